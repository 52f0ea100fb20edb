// Test support for the store contract suites: tiny serdes, a StateStoreContext over a temp dir
// with a recording changelog sink, and a bytes store decorator that counts what reaches it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { Serde } from '../../../../src/streams/serde/serde.js';
import type {
  ChangelogRecord,
  ChangelogSink,
  KeyValueBytesStore,
  KeyValueBytesStoreSupplier,
  StateStoreContext,
} from '../../../../src/streams/state/index.js';

export const utf8: Serde<string> = {
  serialize: (_topic, value) => Buffer.from(value, 'utf8'),
  deserialize: (_topic, data) => data.toString('utf8'),
};

export const json: Serde<unknown> = {
  serialize: (_topic, value) => Buffer.from(JSON.stringify(value), 'utf8'),
  deserialize: (_topic, data) => JSON.parse(data.toString('utf8')) as unknown,
};

export function jsonOf<T>(): Serde<T> {
  return json as Serde<T>;
}

export interface SentRecord extends ChangelogRecord {
  readonly topic: string;
  readonly partition: number;
}

/** A changelog sink that keeps what it was sent. */
export class RecordingChangelog implements ChangelogSink {
  readonly records: SentRecord[] = [];

  send(topic: string, partition: number, key: Buffer, value: Buffer | null, timestamp: number): void {
    this.records.push({ topic, partition, key, value, timestamp });
  }
}

/** A store context on a fresh temp dir; stream time is set by the test. */
export class TestStoreContext implements StateStoreContext {
  readonly applicationId = 'app';
  readonly taskId = '0_1';
  readonly partition = 1;
  readonly changelog = new RecordingChangelog();
  readonly metrics = new Registry();
  streamTimeMs = -1;

  constructor(
    readonly stateDir: string,
    readonly changelogTopic: string | null,
  ) {}

  currentStreamTimeMs(): number {
    return this.streamTimeMs;
  }
}

/** Temp dirs made by a suite, removed by `cleanup`. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'notify-streams-state-'));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Counts the calls that reach a bytes store. */
export class Counters {
  gets = 0;
  getKeys = 0;
  writes = 0;
  writtenEntries = 0;
  ranges = 0;
  restored = 0;
}

/** A bytes store decorator that counts reads, writes and scans reaching the store it wraps. */
export class CountingKeyValueBytesStore implements KeyValueBytesStore {
  constructor(
    private readonly inner: KeyValueBytesStore,
    readonly counters: Counters,
  ) {}

  get name(): string {
    return this.inner.name;
  }
  get persistent(): boolean {
    return this.inner.persistent;
  }
  get loggingEnabled(): boolean {
    return this.inner.loggingEnabled;
  }
  init(context: StateStoreContext): Promise<void> {
    return this.inner.init(context);
  }
  isOpen(): boolean {
    return this.inner.isOpen();
  }
  get(key: Buffer): Promise<Buffer | undefined> {
    this.counters.gets++;
    this.counters.getKeys++;
    return this.inner.get(key);
  }
  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    this.counters.gets++;
    this.counters.getKeys += keys.length;
    return this.inner.getMany(keys);
  }
  write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void> {
    this.counters.writes++;
    this.counters.writtenEntries += entries.length;
    return this.inner.write(entries);
  }
  restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    this.counters.restored += records.length;
    return this.inner.restoreBatch(records);
  }
  range(from: Buffer | null, to: Buffer | null): AsyncIterable<readonly [Buffer, Buffer]> {
    this.counters.ranges++;
    return this.inner.range(from, to);
  }
  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Wraps a supplier so that every store it makes counts into `counters`. */
export function counting(supplier: KeyValueBytesStoreSupplier, counters: Counters): KeyValueBytesStoreSupplier {
  return { name: supplier.name, get: () => new CountingKeyValueBytesStore(supplier.get(), counters) };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
