import { describe, expect, it } from 'vitest';
import { IllegalStateError } from '../../../../src/streams/errors.js';
import type { TopicPartition, TopicPartitionOffset } from '../../../../src/streams/kafka/consumer.js';
import type { ChangelogMessage, RestoreBatch, RestoreConsumer } from '../../../../src/streams/kafka/restore-consumer.js';
import { ChangelogReader } from '../../../../src/streams/runtime/changelog-reader.js';
import { StateUpdater } from '../../../../src/streams/runtime/state-updater.js';
import type { ChangelogRecord, StateStore } from '../../../../src/streams/state/state-store.js';

/** A store that keeps what restore wrote, in order. */
class RecordingStore implements StateStore {
  readonly persistent = true;
  readonly loggingEnabled = true;
  readonly data = new Map<string, string | null>();
  readonly batches: number[] = [];
  constructor(readonly name: string) {}
  async init(): Promise<void> {}
  async restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    this.batches.push(records.length);
    for (const r of records) this.data.set(r.key.toString(), r.value?.toString() ?? null);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  isOpen(): boolean {
    return true;
  }
}

/**
 * A restore consumer over in-memory changelogs. `marker` offsets stand for transaction markers:
 * they take an offset, are never delivered, and the position steps over them.
 */
class FakeRestoreConsumer implements RestoreConsumer {
  readonly logs = new Map<string, { offset: number; key: string | null; value: string | null; marker?: boolean }[]>();
  readonly calls: string[] = [];
  readonly assigned = new Map<string, number>();
  /** Whether the end of an assigned partition was already reported (librdkafka reports it once). */
  private readonly endReported = new Set<string>();

  append(topic: string, partition: number, entries: readonly (readonly [string | null, string | null] | 'marker')[]): void {
    const key = `${topic}:${partition}`;
    const log = this.logs.get(key) ?? [];
    for (const e of entries) {
      const offset = log.length;
      log.push(e === 'marker' ? { offset, key: null, value: null, marker: true } : { offset, key: e[0], value: e[1] });
    }
    this.logs.set(key, log);
  }

  async connect(): Promise<void> {
    this.calls.push('connect');
  }

  async endOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    this.calls.push(`endOffsets(${partitions.length})`);
    return partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: this.logs.get(`${p.topic}:${p.partition}`)?.length ?? 0 }));
  }

  assign(partitions: readonly TopicPartitionOffset[]): void {
    if (partitions.length === 0) return;
    this.calls.push(`assign(${partitions.map((p) => `${p.topic}:${p.partition}@${p.offset}`).join(',')})`);
    for (const p of partitions) {
      this.assigned.set(`${p.topic}:${p.partition}`, p.offset);
      this.endReported.delete(`${p.topic}:${p.partition}`);
    }
  }

  unassign(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return;
    this.calls.push(`unassign(${partitions.map((p) => `${p.topic}:${p.partition}`).join(',')})`);
    for (const p of partitions) this.assigned.delete(`${p.topic}:${p.partition}`);
  }

  async consume(max: number): Promise<RestoreBatch> {
    this.calls.push('consume');
    const records: ChangelogMessage[] = [];
    const ends: TopicPartitionOffset[] = [];
    for (const [key, position] of this.assigned) {
      const [topic, p] = key.split(':') as [string, string];
      const log = this.logs.get(key) ?? [];
      let pos = position;
      while (pos < log.length && records.length < max) {
        const e = log[pos++]!;
        if (e.marker) continue;
        records.push({ topic, partition: Number(p), offset: e.offset, key: e.key === null ? null : Buffer.from(e.key), value: e.value === null ? null : Buffer.from(e.value), timestamp: 0 });
      }
      this.assigned.set(key, pos);
      if (pos >= log.length && !this.endReported.has(key)) {
        this.endReported.add(key);
        ends.push({ topic, partition: Number(p), offset: pos });
      }
    }
    return { records, ends };
  }

  positions(partitions: readonly TopicPartition[]): TopicPartitionOffset[] {
    return partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: this.assigned.get(`${p.topic}:${p.partition}`) ?? -1001 }));
  }

  async close(): Promise<void> {
    this.calls.push('close');
  }
}

function entries(n: number, prefix = 'k'): [string, string][] {
  return Array.from({ length: n }, (_, i) => [`${prefix}${i}`, `v${i}`]);
}

function setup(options: { maxPollRecords?: number; clock?: () => number } = {}) {
  const consumer = new FakeRestoreConsumer();
  const restored: [string, number][] = [];
  const reader = new ChangelogReader(consumer, { maxPollRecords: options.maxPollRecords ?? 100, onRestored: (s, n) => restored.push([s, n]), clock: options.clock });
  const updater = new StateUpdater(reader, options.clock);
  return { consumer, reader, updater, restored };
}

describe('StateUpdater', () => {
  it('completes tasks whose changelogs are empty or at their checkpoint with one end-offset request and no reading', async () => {
    const { consumer, updater } = setup();
    consumer.append('c', 1, entries(5));
    const stores = [new RecordingStore('s'), new RecordingStore('s'), new RecordingStore('s')];
    updater.add({ id: '0_0', changelogs: [{ store: stores[0]!, topic: 'c', partition: 0, fromOffset: 0 }] });
    updater.add({ id: '0_1', changelogs: [{ store: stores[1]!, topic: 'c', partition: 1, fromOffset: 5 }] });
    updater.add({ id: '0_2', changelogs: [] }); // no logged store
    const done = await updater.restoreSlice(100);
    expect(done.map((d) => d.id).sort()).toEqual(['0_0', '0_1', '0_2']);
    expect(done.every((d) => d.restoredRecords === 0)).toBe(true);
    expect(consumer.calls).toEqual(['connect', 'endOffsets(2)']);
    expect(updater.hasWork()).toBe(false);
  });

  it('restores the stores of all new tasks through one assignment, each batch as one write per store', async () => {
    const { consumer, updater, restored } = setup({ maxPollRecords: 1000 });
    consumer.append('a', 0, entries(300, 'a'));
    consumer.append('b', 0, entries(200, 'b'));
    consumer.append('a', 1, entries(50, 'x'));
    const sa = new RecordingStore('a');
    const sb = new RecordingStore('b');
    const sa1 = new RecordingStore('a');
    updater.add({
      id: '0_0',
      changelogs: [
        { store: sa, topic: 'a', partition: 0, fromOffset: 0 },
        { store: sb, topic: 'b', partition: 0, fromOffset: 100 },
      ],
    });
    updater.add({ id: '0_1', changelogs: [{ store: sa1, topic: 'a', partition: 1, fromOffset: 0 }] });
    const done = await updater.restoreSlice(1000);
    expect(done.map((d) => [d.id, d.restoredRecords]).sort()).toEqual([
      ['0_0', 400],
      ['0_1', 50],
    ]);
    expect(consumer.calls.filter((c) => c.startsWith('assign'))).toEqual(['assign(a:0@0,b:0@100,a:1@0)']);
    expect(sa.data.size).toBe(300);
    expect(sb.data.size).toBe(100);
    expect(sb.data.has('b99')).toBe(false);
    expect(sb.data.get('b199')).toBe('v199');
    expect(sa1.batches).toEqual([50]);
    expect(restored.reduce((n, [, k]) => n + k, 0)).toBe(450);
    // Complete partitions leave the restore consumer.
    expect(consumer.assigned.size).toBe(0);
  });

  it('completes a changelog that ends in a transaction marker, which is never delivered', async () => {
    const { consumer, updater } = setup();
    consumer.append('c', 0, [...entries(10), 'marker', ['k0', 'again'], 'marker']);
    const store = new RecordingStore('s');
    updater.add({ id: '0_0', changelogs: [{ store, topic: 'c', partition: 0, fromOffset: 0 }] });
    const done = await updater.restoreSlice(1000);
    expect(done.map((d) => d.id)).toEqual(['0_0']);
    expect(store.data.get('k0')).toBe('again');
  });

  it('applies tombstones and skips records without a key', async () => {
    const { consumer, updater } = setup();
    consumer.append('c', 0, [['a', '1'], [null, 'x'], ['b', '2'], ['a', null]]);
    const store = new RecordingStore('s');
    updater.add({ id: '0_0', changelogs: [{ store, topic: 'c', partition: 0, fromOffset: 0 }] });
    const done = await updater.restoreSlice(1000);
    expect(done[0]!.restoredRecords).toBe(3);
    expect([...store.data]).toEqual([
      ['a', null],
      ['b', '2'],
    ]);
  });

  it('stops a slice at its budget and continues in the next one', async () => {
    let now = 0;
    const { consumer, updater } = setup({ maxPollRecords: 100, clock: () => now });
    consumer.append('c', 0, entries(1000));
    const consume = consumer.consume.bind(consumer);
    consumer.consume = async (max: number) => {
      now += 10; // each poll takes 10 ms
      return consume(max);
    };
    const store = new RecordingStore('s');
    updater.add({ id: '0_0', changelogs: [{ store, topic: 'c', partition: 0, fromOffset: 0 }] });
    expect(await updater.restoreSlice(25)).toEqual([]);
    // Polls at 10, 20, 30 ms: the third one was under way when the budget ran out.
    expect(store.data.size).toBe(300);
    expect(updater.hasWork()).toBe(true);
    let slices = 1;
    let done: Awaited<ReturnType<StateUpdater['restoreSlice']>> = [];
    while (done.length === 0) {
      done = await updater.restoreSlice(25);
      slices++;
    }
    expect(store.data.size).toBe(1000);
    expect(slices).toBeGreaterThanOrEqual(4);
    expect(done[0]!.restoredRecords).toBe(1000);
  });

  it('removes a task mid-restore: its partitions leave the consumer and it reports the offsets its stores reached', async () => {
    let now = 0;
    const { consumer, updater } = setup({ maxPollRecords: 100, clock: () => now });
    consumer.append('c', 0, entries(1000));
    consumer.append('c', 1, entries(150));
    const consume = consumer.consume.bind(consumer);
    consumer.consume = async (max: number) => {
      now += 10;
      return consume(max);
    };
    const s0 = new RecordingStore('s');
    const s1 = new RecordingStore('s');
    updater.add({ id: '0_0', changelogs: [{ store: s0, topic: 'c', partition: 0, fromOffset: 0 }] });
    updater.add({ id: '0_1', changelogs: [{ store: s1, topic: 'c', partition: 1, fromOffset: 0 }] });
    await updater.restoreSlice(15);
    const reached = updater.remove('0_0');
    expect(reached?.get('s')).toBe(s0.data.size);
    expect(reached?.get('s')).toBeLessThan(1000);
    expect(consumer.assigned.has('c:0')).toBe(false);
    expect(updater.remove('0_0')).toBeNull();
    const written = s0.data.size;
    let done: Awaited<ReturnType<StateUpdater['restoreSlice']>> = [];
    while (done.length === 0) done = await updater.restoreSlice(100);
    expect(done.map((d) => d.id)).toEqual(['0_1']);
    expect(s1.data.size).toBe(150);
    expect(s0.data.size).toBe(written);
    // Added again (the task came back): restore continues from the reached offset.
    updater.add({ id: '0_0', changelogs: [{ store: s0, topic: 'c', partition: 0, fromOffset: reached!.get('s')! }] });
    while ((await updater.restoreSlice(1000)).length === 0);
    expect(s0.data.size).toBe(1000);
  });

  it('refuses a task or a changelog partition that is already restoring', () => {
    const { updater } = setup();
    const store = new RecordingStore('s');
    updater.add({ id: '0_0', changelogs: [{ store, topic: 'c', partition: 0, fromOffset: 0 }] });
    expect(() => updater.add({ id: '0_0', changelogs: [] })).toThrow(IllegalStateError);
    expect(() => updater.add({ id: '1_0', changelogs: [{ store, topic: 'c', partition: 0, fromOffset: 0 }] })).toThrow(IllegalStateError);
  });
});
