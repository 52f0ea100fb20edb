import { afterEach, describe, expect, it } from 'vitest';
import { Record, Stores, Topology, TopologyTestDriver, jsonSerde, stringSerde as s, changelogTopicName } from '../../../../src/streams/index.js';
import type { KeyValueStore, Processor, ProcessorContext, WindowStore } from '../../../../src/streams/index.js';

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

const num = jsonSerde<number>();

describe('stateful topologies on the test driver', () => {
  for (const kind of ['persistent', 'in-memory'] as const) {
    it(`counts per key in a ${kind} key-value store and logs each flushed value to the changelog`, async () => {
      const supplier = kind === 'persistent' ? Stores.persistentKeyValueStore('counts') : Stores.inMemoryKeyValueStore('counts');
      const counter = (): Processor<string, string, string, number> => {
        let ctx: ProcessorContext<string, number>;
        let store: KeyValueStore<string, number>;
        return {
          init: (c) => {
            ctx = c;
            store = c.getStateStore('counts');
          },
          process: async (r) => {
            const n = ((await store.get(r.key)) ?? 0) + 1;
            store.put(r.key, n);
            ctx.forward(r.withValue(n));
          },
        };
      };
      const t = new Topology()
        .addSource({ name: 'in', topics: ['in'], keySerde: s, valueSerde: s })
        .addProcessor('count', counter, 'in')
        .addStateStore(Stores.keyValueStoreBuilder(supplier, s, num), 'count')
        .addSink({ name: 'out', topic: 'out', keySerde: s, valueSerde: num }, 'count');
      driver = new TopologyTestDriver(t, { applicationId: 'app' });
      const input = driver.createInputTopic('in', s, s);
      for (const k of ['a', 'b', 'a', 'a']) await input.pipeInput(k, 'x');
      expect(driver.createOutputTopic('out', s, num).readValuesToList()).toEqual([1, 1, 2, 3]);
      expect(await driver.getKeyValueStore<string, number>('counts').get('a')).toBe(3);
      await driver.commit();
      const changelog = driver.createOutputTopic(changelogTopicName('app', 'counts'), s, num).readKeyValuesToList();
      // The write cache collapses a key's updates between commits into one changelog record.
      expect(changelog).toEqual(expect.arrayContaining([{ key: 'a', value: 3 }, { key: 'b', value: 1 }]));
      expect(changelog).toHaveLength(2);
    });
  }

  it('keeps windows for their retention of stream time and drops them after', async () => {
    const HOUR = 3_600_000;
    const perHour = (): Processor<string, string, string, number> => {
      let ctx: ProcessorContext<string, number>;
      let store: WindowStore<string, number>;
      return {
        init: (c) => {
          ctx = c;
          store = c.getStateStore('hourly');
        },
        process: async (r) => {
          const start = Math.floor(r.timestamp / HOUR) * HOUR;
          const n = ((await store.fetch(r.key, start)) ?? 0) + 1;
          store.put(r.key, n, start);
          // Sum of the last three hours, as a fatigue rule would count.
          const recent = await store.fetchRange(r.key, start - 2 * HOUR, start);
          ctx.forward(new Record(r.key, recent.reduce((a, w) => a + w.value, 0), r.timestamp));
        },
      };
    };
    const t = new Topology()
      .addSource({ name: 'in', topics: ['in'], keySerde: s, valueSerde: s })
      .addProcessor('hourly', perHour, 'in')
      .addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore('hourly', { retentionMs: 3 * HOUR, segmentIntervalMs: HOUR }), s, num), 'hourly')
      .addSink({ name: 'out', topic: 'out', keySerde: s, valueSerde: num }, 'hourly');
    driver = new TopologyTestDriver(t);
    const input = driver.createInputTopic('in', s, s);
    const out = driver.createOutputTopic('out', s, num);
    await input.pipeInput('u', 'x', 0);
    await input.pipeInput('u', 'x', HOUR - 1); // same window
    await input.pipeInput('u', 'x', HOUR); // next window
    expect(out.readValuesToList()).toEqual([1, 2, 3]);
    await input.pipeInput('u', 'x', 3 * HOUR); // window 0 falls out of the 3-hour sum
    expect(out.readValuesToList()).toEqual([2]);
    const store = driver.getWindowStore<string, number>('hourly');
    // Stream time 3 h, retention 3 h: the window starting at 0 is expired, the one at 1 h is not.
    expect(await store.fetch('u', 0)).toBeUndefined();
    expect(await store.fetch('u', HOUR)).toBe(1);
    await input.pipeInput('other', 'x', 5 * HOUR); // stream time 5 h: windows up to 2 h are expired
    expect(await store.fetch('u', HOUR)).toBeUndefined();
    expect(await store.fetch('u', 3 * HOUR)).toBe(1);
  });
});
