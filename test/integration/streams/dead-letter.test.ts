import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaStreams } from '../../../src/streams/runtime/kafka-streams.js';
import { Topology } from '../../../src/streams/topology/topology.js';
import { jsonSerde, stringSerde } from '../../../src/streams/serde/index.js';
import { DEAD_LETTER_HEADERS } from '../../../src/streams/runtime/exception-handlers.js';
import { BOOTSTRAP, createTopics, produce, readTopic, uniqueName } from '../../support/kafka.js';

let streams: KafkaStreams | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await streams?.close();
  streams = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('dead-letter topic on the real broker', () => {
  it('sends an undecodable record to the dead-letter topic with its reason and processes past it', async () => {
    const input = uniqueName('dlq-in');
    const output = uniqueName('dlq-out');
    const dlq = uniqueName('dlq');
    await createTopics([
      { name: input, partitions: 2 },
      { name: output, partitions: 2 },
      { name: dlq, partitions: 1 },
    ]);
    const serde = jsonSerde<{ n: number }>();
    const topology = new Topology()
      .addSource({ name: 'in', topics: [input], keySerde: stringSerde, valueSerde: serde })
      .addSink({ name: 'out', topic: output, keySerde: stringSerde, valueSerde: serde }, 'in');
    const stateDir = mkdtempSync(join(tmpdir(), 'dlq-test-'));
    dirs.push(stateDir);
    streams = new KafkaStreams(topology, {
      applicationId: uniqueName('dlq-app'),
      bootstrapServers: BOOTSTRAP,
      stateDir,
      deadLetterTopic: dlq,
      commitIntervalMs: 200,
      sessionTimeoutMs: 6000,
    });
    await streams.start();

    const records = [];
    for (let i = 0; i < 50; i++) records.push({ key: `k${i}`, value: JSON.stringify({ n: i }) });
    records.splice(20, 0, { key: 'broken', value: '{"n": 1' });
    await produce(input, records);

    const out = await readTopic(output, (r) => r.length >= 50, 30_000);
    expect(out).toHaveLength(50);
    const dead = await readTopic(dlq, (r) => r.length >= 1, 10_000);
    expect(dead).toHaveLength(1);
    const d = dead[0]!;
    expect(d.key).toBe('broken');
    expect(d.value!.toString()).toBe('{"n": 1');
    expect(d.headers[DEAD_LETTER_HEADERS.stage]!.toString()).toBe('deserialize');
    expect(d.headers[DEAD_LETTER_HEADERS.topic]!.toString()).toBe(input);
    expect(Number(d.headers[DEAD_LETTER_HEADERS.offset]!.toString())).toBeGreaterThanOrEqual(0);
    expect(d.headers[DEAD_LETTER_HEADERS.error]!.toString()).toMatch(/JSON|json/);
  });
});
