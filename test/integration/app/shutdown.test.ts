/**
 * `run` as a child process: SIGTERM in the middle of a load ends it cleanly (exit 0) with
 * offsets committed; a restarted process finishes the rest, and nothing is lost or sent twice:
 * every messageId has exactly one terminal status, and the log providers' sends (appended to
 * one file by both processes) match the SENT feedback one for one.
 */
import KafkaJs from '@confluentinc/kafka-javascript';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appCodecs } from '../../../src/app/codecs.js';
import { generateTraffic } from '../../../src/app/demo/traffic.js';
import { produceTraffic } from '../../../src/app/demo/traffic-producer.js';
import { DurableProducer } from '../../../src/app/kafka/durable-producer.js';
import { TERMINAL_STATUSES, type DeliveryFeedback } from '../../../src/notify/index.js';
import { spawnTs } from '../../support/child.js';
import { BOOTSTRAP, readTopic, waitFor } from '../../support/kafka.js';
import { cliInProcess, isolatedApp } from './support/app-env.js';

async function committedOffsets(group: string, topic: string, partitions: number): Promise<number[]> {
  const consumer = new KafkaJs.KafkaConsumer({ 'bootstrap.servers': BOOTSTRAP, 'group.id': group, 'enable.auto.commit': false } as never, {} as never);
  await new Promise<void>((res, rej) => consumer.connect({}, (err) => (err ? rej(err) : res())));
  try {
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const result = await new Promise<{ offset?: number }[]>((res, rej) => consumer.committed(tps, 10_000, (err, r) => (err ? rej(err) : res(r as { offset?: number }[]))));
    return result.map((r) => r.offset ?? -1);
  } finally {
    await new Promise<void>((res) => consumer.disconnect(() => res()));
  }
}

describe.each([
  { mode: 'one stream thread in the process', extra: [] as string[] },
  { mode: 'two worker processes (--workers 2)', extra: ['--workers', '2'] },
])('run: graceful shutdown and restart, $mode', ({ extra }) => {
  it('SIGTERM mid-load exits 0 with offsets committed; the restart neither loses nor re-sends', async () => {
    const app = isolatedApp('shutdown');
    expect((await cliInProcess(['topics', 'create'], app.env)).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'notify-run-'));
    const sentLog = join(dir, 'sent.jsonl');
    const args = ['run', '--state-dir', join(dir, 'state'), '--sent-log', sentLog, '--session-timeout', '6s', '--shutdown-timeout', '20s', '--port', '0', ...extra];
    const items = generateTraffic({ count: 1200, seed: 11, users: 20_000, profile: 'settling', idPrefix: 'sd' });
    const ids = new Set(items.flatMap((i) => (i.kind === 'request' ? [i.request.messageId] : [])));

    const first = spawnTs('src/app/main.ts', args, app.env);
    await first.waitFor('"msg":"RUNNING"', 60_000);
    const producer = new DurableProducer({ bootstrapServers: BOOTSTRAP, clientId: 'shutdown-test' });
    const producing = produceTraffic(items, producer, app.config, { rate: 300 });
    // Let the processor get into the load (some sends done), then stop it.
    const sentLines = (): number => (existsSync(sentLog) ? readFileSync(sentLog, 'utf8').trim().split('\n').filter(Boolean).length : 0);
    await waitFor(() => sentLines() >= 50, 30_000, 'the first sends');
    // /metrics shows the engine's counters, from the worker processes too.
    const port = Number(/"port":(\d+),"msg":"RUNNING"/.exec(first.stdout())?.[1]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^streams_records_processed_total\{task="0_\d+"\} [1-9]/m);
    expect(first.stdout()).toContain(`"workers":${extra.length > 0 ? 2 : 0}`);
    const stoppedAt = Date.now();
    first.process.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(20_000);
    expect(first.stdout()).toContain('processor closed: offsets committed, group left');
    const committed = await committedOffsets(app.applicationId, app.config.topics.requests.name, 2);
    expect(committed.some((o) => o > 0)).toBe(true);
    await producing;
    await producer.close();
    const sentBefore = sentLines();
    expect(sentBefore).toBeGreaterThan(0);
    expect(sentBefore).toBeLessThan(ids.size);

    const second = spawnTs('src/app/main.ts', args, app.env);
    await second.waitFor('"msg":"RUNNING"', 60_000);
    const serde = appCodecs().feedback;
    const terminal = new Map<string, string[]>();
    const sent = new Set<string>();
    let sentEvents = 0;
    const decode = (records: { value: Buffer | null; topic: string }[]): void => {
      terminal.clear();
      sent.clear();
      sentEvents = 0;
      for (const r of records) {
        const e: DeliveryFeedback = serde.deserialize(r.topic, r.value!);
        if ((e.subject ?? 'REQUEST') !== 'REQUEST' || !TERMINAL_STATUSES.has(e.status)) continue;
        terminal.set(e.messageId, [...(terminal.get(e.messageId) ?? []), e.status]);
        if (e.status === 'SENT') {
          sentEvents++;
          sent.add(e.messageId);
        }
      }
    };
    await readTopic(app.config.topics.feedback.name, (records) => {
      decode(records);
      return [...ids].every((id) => terminal.has(id));
    }, 45_000);
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const missing = [...ids].filter((id) => !terminal.has(id));
    expect(missing).toEqual([]);
    const twice = [...terminal].filter(([, statuses]) => statuses.length !== 1);
    expect(twice).toEqual([]);
    const lines = readFileSync(sentLog, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { messageId: string }).messageId);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.length).toBe(sentEvents);
    expect(new Set(lines)).toEqual(sent);
  }, 120_000);
});
