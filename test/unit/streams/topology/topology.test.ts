import { describe, expect, it } from 'vitest';
import { stringSerde as s } from '../../../../src/streams/serde/index.js';
import { Topology } from '../../../../src/streams/topology/topology.js';
import { TopologyError } from '../../../../src/streams/errors.js';
import type { StoreBuilder } from '../../../../src/streams/state/store-builder.js';

const noop = () => ({ process: () => {} });
const fakeStore = (name: string): StoreBuilder => ({
  name,
  loggingEnabled: false,
  changelogConfig: {},
  build: () => {
    throw new Error('not built in this test');
  },
});

describe('Topology', () => {
  it('derives sub-topologies from edges and shared stores', () => {
    const t = new Topology()
      .addSource({ name: 'a', topics: ['ta'], keySerde: s, valueSerde: s })
      .addProcessor('pa', noop, 'a')
      .addSource({ name: 'b', topics: ['tb'], keySerde: s, valueSerde: s })
      .addProcessor('pb', noop, 'b')
      .addSource({ name: 'c', topics: ['tc1', 'tc2'], keySerde: s, valueSerde: s })
      .addProcessor('pc', noop, 'c')
      .addStateStore(fakeStore('shared'), 'pa', 'pb');
    const subs = t.describe();
    expect(subs).toHaveLength(2);
    const ab = subs.find((x) => x.sourceTopics.includes('ta'))!;
    expect([...ab.sourceTopics].sort()).toEqual(['ta', 'tb']);
    expect(ab.storeNames).toEqual(['shared']);
    expect(subs.find((x) => x.sourceTopics.includes('tc1'))!.sourceTopics).toEqual(['tc1', 'tc2']);
  });

  it('names the node in every error', () => {
    expect(() => new Topology().addProcessor('p', noop, 'missing')).toThrow(/node "p" names unknown parent "missing"/);
    expect(() => new Topology().describe()).toThrow(TopologyError);
    const t = new Topology().addSource({ name: 'a', topics: ['t'], keySerde: s, valueSerde: s });
    expect(() => t.addSource({ name: 'a', topics: ['u'], keySerde: s, valueSerde: s })).toThrow(/node "a" is added twice/);
    expect(() => t.addSource({ name: 'b', topics: ['t'], keySerde: s, valueSerde: s })).toThrow(/topic "t" is read by two sources/);
    expect(() => t.addStateStore(fakeStore('st'), 'nope')).toThrow(/unknown processor "nope"/);
    expect(() => t.connectProcessorAndStateStores(['a', 'st'])).toThrow(/only processors have stores/);
    t.addProcessor('p', noop, 'a');
    expect(() => t.connectProcessorAndStateStores(['p', 'unknown-store'])).toThrow(/unknown store "unknown-store"/);
    t.addSink({ name: 'sink', topic: 'o', keySerde: s, valueSerde: s }, 'p');
    expect(() => t.addProcessor('after-sink', noop, 'sink')).toThrow(/names sink "sink" as parent/);
    expect(() => t.addSource({ name: 'w', topics: ['x'], keySerde: s, valueSerde: s, weight: 0 })).toThrow(/weight 0/);
  });
});
