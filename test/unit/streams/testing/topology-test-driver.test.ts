import { afterEach, describe, expect, it } from 'vitest';
import { Record } from '../../../../src/streams/processor/record.js';
import type { Processor, ProcessorContext } from '../../../../src/streams/processor/processor.js';
import { stringSerde, jsonSerde } from '../../../../src/streams/serde/index.js';
import { Topology } from '../../../../src/streams/topology/topology.js';
import { TopologyTestDriver } from '../../../../src/streams/testing/topology-test-driver.js';
import { DEAD_LETTER_HEADERS } from '../../../../src/streams/runtime/exception-handlers.js';

const s = stringSerde;
let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

function upper(): Processor<string, string> {
  let ctx: ProcessorContext<string, string>;
  return {
    init: (c) => {
      ctx = c;
    },
    process: (r) => ctx.forward(r.withValue(r.value.toUpperCase())),
  };
}

describe('TopologyTestDriver', () => {
  it('runs records from a source through processors to a sink', async () => {
    const t = new Topology()
      .addSource({ name: 'in', topics: ['words'], keySerde: s, valueSerde: s })
      .addProcessor('upper', upper, 'in')
      .addSink({ name: 'out', topic: 'loud', keySerde: s, valueSerde: s }, 'upper');
    driver = new TopologyTestDriver(t);
    const input = driver.createInputTopic('words', s, s);
    const output = driver.createOutputTopic('loud', s, s);
    await input.pipeInput('k1', 'hello', 10);
    await input.pipeInput('k2', 'world', 20);
    const out = output.readRecordsToList();
    expect(out.map((r) => [r.key, r.value, r.timestamp])).toEqual([
      ['k1', 'HELLO', 10],
      ['k2', 'WORLD', 20],
    ]);
    expect(output.isEmpty()).toBe(true);
  });

  it('forwards to a named child only, and to all children in order otherwise', async () => {
    const router = (): Processor<string, string> => {
      let ctx: ProcessorContext<string, string>;
      return {
        init: (c) => {
          ctx = c;
        },
        process: (r) => (r.value.startsWith('a') ? ctx.forward(r, 'to-a') : ctx.forward(r)),
      };
    };
    const t = new Topology()
      .addSource({ name: 'in', topics: ['in'], keySerde: s, valueSerde: s })
      .addProcessor('route', router, 'in')
      .addSink({ name: 'to-a', topic: 'a', keySerde: s, valueSerde: s }, 'route')
      .addSink({ name: 'to-b', topic: 'b', keySerde: s, valueSerde: s }, 'route');
    driver = new TopologyTestDriver(t);
    const input = driver.createInputTopic('in', s, s);
    await input.pipeInput('1', 'apple');
    await input.pipeInput('2', 'banana');
    expect(driver.createOutputTopic('a', s, s).readValuesToList()).toEqual(['apple', 'banana']);
    expect(driver.createOutputTopic('b', s, s).readValuesToList()).toEqual(['banana']);
  });

  it('lets a processor await before forwarding without reordering records', async () => {
    const slow = (): Processor<string, string> => {
      let ctx: ProcessorContext<string, string>;
      return {
        init: (c) => {
          ctx = c;
        },
        process: async (r) => {
          await new Promise((res) => setTimeout(res, r.value === 'first' ? 20 : 0));
          ctx.forward(r);
        },
      };
    };
    const t = new Topology()
      .addSource({ name: 'in', topics: ['in'], keySerde: s, valueSerde: s })
      .addProcessor('slow', slow, 'in')
      .addProcessor('upper', upper, 'slow')
      .addSink({ name: 'out', topic: 'out', keySerde: s, valueSerde: s }, 'upper');
    driver = new TopologyTestDriver(t);
    await driver.createInputTopic('in', s, s).pipeRecordList([
      { key: 'k', value: 'first' },
      { key: 'k', value: 'second' },
    ]);
    expect(driver.createOutputTopic('out', s, s).readValuesToList()).toEqual(['FIRST', 'SECOND']);
  });

  it('fires stream-time punctuators only as record timestamps advance', async () => {
    const fired: number[] = [];
    const p = (): Processor<string, string> => ({
      init: (c) => {
        c.schedule(1000, 'STREAM_TIME', (ts) => {
          fired.push(ts);
        });
      },
      process: () => {},
    });
    const t = new Topology().addSource({ name: 'in', topics: ['in'], keySerde: s, valueSerde: s }).addProcessor('p', p, 'in');
    driver = new TopologyTestDriver(t, { initialWallClockTimeMs: 0 });
    const input = driver.createInputTopic('in', s, s);
    await input.pipeInput('k', 'v', 5_000); // first record sets the schedule: next at 6000
    await driver.advanceWallClockTime(60_000);
    expect(fired).toEqual([]);
    await input.pipeInput('k', 'v', 5_999);
    expect(fired).toEqual([]);
    await input.pipeInput('k', 'v', 6_000);
    expect(fired).toEqual([6_000]);
    await input.pipeInput('k', 'v', 9_500); // jumped 3 intervals: fires once
    expect(fired).toEqual([6_000, 9_500]);
    await input.pipeInput('k', 'v', 1_000); // out-of-order record: stream time does not go back
    expect(fired).toEqual([6_000, 9_500]);
    await input.pipeInput('k', 'v', 10_000);
    expect(fired).toEqual([6_000, 9_500, 10_000]);
  });

  it('fires wall-clock punctuators when the mock clock advances, and forwards from them', async () => {
    const ticker = (): Processor<string, string> => ({
      init: (c) => {
        c.schedule(100, 'WALL_CLOCK_TIME', (ts) => c.forward(new Record('tick', String(ts), ts)));
      },
      process: () => {},
    });
    const t = new Topology()
      .addSource({ name: 'in', topics: ['in'], keySerde: s, valueSerde: s })
      .addProcessor('ticker', ticker, 'in')
      .addSink({ name: 'out', topic: 'ticks', keySerde: s, valueSerde: s }, 'ticker');
    driver = new TopologyTestDriver(t, { initialWallClockTimeMs: 1_000 });
    await driver.readyForUse();
    const out = driver.createOutputTopic('ticks', s, s);
    await driver.advanceWallClockTime(99);
    expect(out.isEmpty()).toBe(true);
    await driver.advanceWallClockTime(1);
    expect(out.readValuesToList()).toEqual(['1100']);
    await driver.advanceWallClockTime(250);
    expect(out.readValuesToList()).toEqual(['1350']);
    await driver.advanceWallClockTime(50);
    expect(out.readValuesToList()).toEqual(['1400']);
  });

  it('sends undecodable records to the dead-letter topic with headers and goes on', async () => {
    const t = new Topology()
      .addSource({ name: 'in', topics: ['json-in'], keySerde: s, valueSerde: jsonSerde<{ n: number }>() })
      .addProcessor('p', (): Processor<string, { n: number }> => {
        let ctx: ProcessorContext<string, { n: number }>;
        return { init: (c) => void (ctx = c), process: (r) => ctx.forward(r) };
      }, 'in')
      .addSink({ name: 'out', topic: 'json-out', keySerde: s, valueSerde: jsonSerde<{ n: number }>() }, 'p');
    driver = new TopologyTestDriver(t, { deadLetterTopic: 'dlq' });
    await driver.pipeRaw('json-in', Buffer.from('bad'), Buffer.from('{not json'), 5);
    await driver.createInputTopic('json-in', s, jsonSerde<{ n: number }>()).pipeInput('good', { n: 1 }, 6);
    const dlq = driver.producedRecords('dlq');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.value!.toString()).toBe('{not json');
    expect(dlq[0]!.key!.toString()).toBe('bad');
    expect(dlq[0]!.headers[DEAD_LETTER_HEADERS.stage]!.toString()).toBe('deserialize');
    expect(dlq[0]!.headers[DEAD_LETTER_HEADERS.topic]!.toString()).toBe('json-in');
    expect(dlq[0]!.headers[DEAD_LETTER_HEADERS.offset]!.toString()).toBe('0');
    expect(dlq[0]!.headers[DEAD_LETTER_HEADERS.error]!.toString().length).toBeGreaterThan(0);
    expect(driver.createOutputTopic('json-out', s, jsonSerde<{ n: number }>()).readValuesToList()).toEqual([{ n: 1 }]);
  });

  it('fails on an undecodable record when no dead-letter topic is configured', async () => {
    const t = new Topology()
      .addSource({ name: 'in', topics: ['json-in'], keySerde: s, valueSerde: jsonSerde() })
      .addProcessor('p', () => ({ process: () => {} }), 'in');
    driver = new TopologyTestDriver(t);
    await expect(driver.pipeRaw('json-in', null, Buffer.from('{'))).rejects.toThrow(/deserialize|JSON/i);
  });

  it('routes a throwing processor through the processing handler', async () => {
    const t = new Topology()
      .addSource({ name: 'in', topics: ['in'], keySerde: s, valueSerde: s })
      .addProcessor('boom', (): Processor<string, string> => {
        let ctx: ProcessorContext<string, string>;
        return {
          init: (c) => void (ctx = c),
          process: (r) => {
            if (r.value === 'bad') throw new Error('cannot handle bad');
            ctx.forward(r);
          },
        };
      }, 'in')
      .addSink({ name: 'out', topic: 'out', keySerde: s, valueSerde: s }, 'boom');
    driver = new TopologyTestDriver(t, { deadLetterTopic: 'dlq', processingHandler: () => 'continue' });
    const input = driver.createInputTopic('in', s, s);
    await input.pipeInput('k', 'bad');
    await input.pipeInput('k', 'good');
    expect(driver.createOutputTopic('out', s, s).readValuesToList()).toEqual(['good']);
    const dlq = driver.producedRecords('dlq');
    expect(dlq.map((r) => r.headers[DEAD_LETTER_HEADERS.stage]!.toString())).toEqual(['process']);
    expect(dlq[0]!.headers[DEAD_LETTER_HEADERS.error]!.toString()).toContain('cannot handle bad');
  });

  it('feeds records written to a topic the topology reads back into it', async () => {
    const t = new Topology()
      .addSource({ name: 'in', topics: ['in'], keySerde: s, valueSerde: s })
      .addSink({ name: 'to-mid', topic: 'mid', keySerde: s, valueSerde: s }, 'in')
      .addSource({ name: 'mid-in', topics: ['mid'], keySerde: s, valueSerde: s })
      .addProcessor('upper', upper, 'mid-in')
      .addSink({ name: 'out', topic: 'out', keySerde: s, valueSerde: s }, 'upper');
    driver = new TopologyTestDriver(t);
    await driver.createInputTopic('in', s, s).pipeInput('k', 'x');
    expect(driver.createOutputTopic('out', s, s).readValuesToList()).toEqual(['X']);
  });

  it('flushes buffering processors at commit, before stores, and delivers what they forward', async () => {
    const batcher = (): Processor<string, string> => {
      let ctx: ProcessorContext<string, string>;
      const buffer: Record<string, string>[] = [];
      return {
        init: (c) => void (ctx = c),
        process: (r) => void buffer.push(r),
        flush: async () => {
          await Promise.resolve();
          for (const r of buffer.splice(0)) ctx.forward(r.withValue(`sent:${r.value}`));
        },
      };
    };
    const t = new Topology()
      .addSource({ name: 'in', topics: ['in'], keySerde: s, valueSerde: s })
      .addProcessor('batch', batcher, 'in')
      .addSink({ name: 'out', topic: 'out', keySerde: s, valueSerde: s }, 'batch');
    driver = new TopologyTestDriver(t);
    const input = driver.createInputTopic('in', s, s);
    await input.pipeInput('k', 'a');
    await input.pipeInput('k', 'b');
    const out = driver.createOutputTopic('out', s, s);
    expect(out.isEmpty()).toBe(true);
    await driver.commit();
    expect(out.readValuesToList()).toEqual(['sent:a', 'sent:b']);
  });
});
