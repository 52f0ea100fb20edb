/**
 * No record stops a task: records that cannot be read, processed or produced — a key no store
 * can hold, a processor that throws for one key, an output larger than the producer takes, an
 * output the broker refuses for its topic's own limit, bytes that do not decode — each end in
 * the dead-letter topic with Kafka Streams' `__streams.errors.*` headers, and every other record
 * is processed, under both guarantees, on the real broker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaStreams } from '../../../src/streams/runtime/kafka-streams.js';
import { DEAD_LETTER_HEADERS } from '../../../src/streams/runtime/exception-handlers.js';
import { Record, Stores, Topology, jsonSerde, stringSerde, type KeyValueStore, type Processor, type ProcessorContext } from '../../../src/streams/index.js';
import type { ProcessingGuarantee, StreamsLogger } from '../../../src/streams/config.js';
import { BOOTSTRAP, createTopics, produce, readTopic, uniqueName, type ReadRecord } from '../../support/kafka.js';

let streams: KafkaStreams | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await streams?.close();
  streams = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Payload {
  n: number;
  pad?: string;
}

/** Counts records per key in a store it reads in batches (prefetch), and forwards each record. */
function countingTopology(input: string, output: string): Topology {
  const counter = (): Processor<string, Payload, string, Payload> => {
    let ctx: ProcessorContext<string, Payload>;
    let store: KeyValueStore<string, number>;
    return {
      init(c) {
        ctx = c;
        store = c.getStateStore('counts');
      },
      async prefetch(records) {
        await store.prefetch(records.map((r) => r.key));
      },
      async process(r) {
        if (r.key === 'boom') throw new Error('this processor cannot handle "boom"');
        store.put(r.key, ((await store.get(r.key)) ?? 0) + 1);
        ctx.forward(new Record(r.key, r.value, r.timestamp));
      },
    };
  };
  return new Topology()
    .addSource({ name: 'in', topics: [input], keySerde: stringSerde, valueSerde: jsonSerde<Payload>() })
    .addProcessor('count', counter, 'in')
    .addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore('counts'), stringSerde, jsonSerde<number>()), 'count')
    .addSink({ name: 'out', topic: output, keySerde: stringSerde, valueSerde: jsonSerde<Payload>() }, 'count');
}

/** Engine log lines on the console, when STREAMS_IT_LOG is set (for reading a failing run). */
function consoleLogger(): StreamsLogger {
  const line = (level: string) => (obj: object, msg?: string): void => console.log(level, msg ?? '', JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v)));
  return { debug: () => undefined, info: line('info'), warn: line('warn'), error: line('error') };
}

function header(r: ReadRecord, name: string): string | undefined {
  return r.headers[name]?.toString();
}

describe.each<ProcessingGuarantee>(['at_least_once', 'exactly_once_v2'])('poison pills under %s on the real broker', (guarantee) => {
  it('dead-letters each bad record and processes every other one; the task never stops', async () => {
    const input = uniqueName('pill-in');
    const output = uniqueName('pill-out');
    const dlq = uniqueName('pill-dlq');
    await createTopics([
      // The input takes records of up to 2 MB; the output only 50 kB (the broker refuses more).
      { name: input, partitions: 2, config: { 'max.message.bytes': '2100000' } },
      { name: output, partitions: 2, config: { 'max.message.bytes': '50000' } },
      { name: dlq, partitions: 1 },
    ]);
    const stateDir = mkdtempSync(join(tmpdir(), 'pill-test-'));
    dirs.push(stateDir);
    streams = new KafkaStreams(countingTopology(input, output), {
      applicationId: uniqueName('pill-app'),
      bootstrapServers: BOOTSTRAP,
      processingGuarantee: guarantee,
      stateDir,
      deadLetterTopic: dlq,
      commitIntervalMs: 200,
      sessionTimeoutMs: 6000,
      ...(process.env['STREAMS_IT_LOG'] ? { logger: consoleLogger() } : {}),
    });
    await streams.start();

    const good = (i: number) => ({ key: `k${i % 40}`, value: JSON.stringify({ n: i }) });
    const records = [];
    for (let i = 0; i < 100; i++) records.push(good(i));
    records.push({ key: '', value: JSON.stringify({ n: -1 }) }); // an empty key: no store holds it
    records.push({ key: 'boom', value: JSON.stringify({ n: -2 }) }); // the processor throws
    records.push({ key: 'huge', value: JSON.stringify({ n: -3, pad: 'x'.repeat(1_200_000) }) }); // over the producer's 1 MB
    records.push({ key: 'wide', value: JSON.stringify({ n: -4, pad: 'y'.repeat(80_000) }) }); // over the output topic's 50 kB
    records.push({ key: 'garbled', value: '{"n": ' }); // does not decode
    for (let i = 100; i < 200; i++) records.push(good(i));
    await produce(input, records, { 'message.max.bytes': 2_000_000 });

    const distinct = (rs: ReadRecord[]) => new Set(rs.map((r) => r.value?.toString())).size;
    const out = await readTopic(output, (r) => distinct(r) >= 200, 60_000);
    const dead = await readTopic(dlq, (r) => new Set(r.map((d) => d.key)).size >= 5, 30_000);

    // Every good record; exactly once under exactly-once. Under at-least-once a batch the broker
    // refused makes the task process the records since the last commit again, so some repeat.
    const seen = out.map((r) => (JSON.parse(r.value!.toString()) as Payload).n);
    if (guarantee === 'exactly_once_v2') expect(seen.sort((a, b) => a - b)).toEqual([...Array(200).keys()]);
    else expect([...new Set(seen)].sort((a, b) => a - b)).toEqual([...Array(200).keys()]);
    expect(streams.state).toBe('RUNNING');
    expect(streams.failure()).toBeNull();

    // An empty key reads back as no key.
    const byKey = new Map(dead.map((d) => [d.key ?? '', d]));
    expect([...byKey.keys()].sort()).toEqual(['', 'boom', 'garbled', 'huge', 'wide']);
    if (guarantee === 'exactly_once_v2') expect(dead).toHaveLength(5);
    expect(header(byKey.get('')!, DEAD_LETTER_HEADERS.stage)).toBe('process');
    expect(header(byKey.get('')!, DEAD_LETTER_HEADERS.error)).toMatch(/empty key/);
    expect(header(byKey.get('boom')!, DEAD_LETTER_HEADERS.stage)).toBe('process');
    expect(header(byKey.get('boom')!, DEAD_LETTER_HEADERS.stackTrace)).toMatch(/cannot handle "boom"[\s\S]*at /);
    expect(header(byKey.get('garbled')!, DEAD_LETTER_HEADERS.stage)).toBe('deserialize');
    for (const d of dead) {
      expect(header(d, DEAD_LETTER_HEADERS.errorClass)).toBeTruthy();
      expect(header(d, DEAD_LETTER_HEADERS.node)).toBeTruthy();
    }
    // Too large for the producer: the input record itself does not fit the dead-letter topic,
    // so it goes without its value and says how much was left out; its offset points at it.
    const huge = byKey.get('huge')!;
    expect(header(huge, DEAD_LETTER_HEADERS.stage)).toBe('produce');
    expect(huge.value).toBeNull();
    expect(Number(header(huge, DEAD_LETTER_HEADERS.omitted))).toBeGreaterThan(1_200_000);
    expect(header(huge, DEAD_LETTER_HEADERS.topic)).toBe(input);
    expect(Number(header(huge, DEAD_LETTER_HEADERS.offset))).toBeGreaterThanOrEqual(0);
    // Refused by the broker after it was sent. Under exactly-once the transaction is aborted and
    // the input record is refused up front when processed again; under at-least-once its input
    // is already committed, so the refused output record is dead-lettered with its topic.
    const wide = byKey.get('wide')!;
    expect(header(wide, DEAD_LETTER_HEADERS.stage)).toBe('produce');
    expect(JSON.parse(wide.value!.toString()).n).toBe(-4);
    if (guarantee === 'exactly_once_v2') expect(header(wide, DEAD_LETTER_HEADERS.topic)).toBe(input);
    else expect(header(wide, DEAD_LETTER_HEADERS.outputTopic)).toBe(output);
  }, 120_000);
});
