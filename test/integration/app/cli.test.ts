/**
 * The CLI as a user runs it (bin/notify-streams.js in a child process) against the local
 * broker: --help everywhere, exit codes, config check, topics create (idempotent), produce
 * (Avro single-object records keyed by userId) and trace.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../../src/streams/index.js';
import { appCodecs } from '../../../src/app/codecs.js';
import type { DeliveryFeedback } from '../../../src/notify/index.js';
import { BOOTSTRAP, produce, readTopic } from '../../support/kafka.js';
import { cli, cliInProcess, isolatedApp } from './support/app-env.js';

describe('notify-streams CLI', () => {
  it('has --help on every command, exit 0', async () => {
    const commands = [[], ['run'], ['topics'], ['topics', 'create'], ['produce'], ['trace'], ['config'], ['config', 'check'], ['demo']];
    const launched = await cli(['--help']);
    expect(launched.code).toBe(0);
    expect(launched.stdout).toContain('Usage: notify-streams');
    const results = [];
    for (const c of commands) results.push(await cliInProcess([...c, '--help']));
    results.forEach((r, i) => {
      expect(r.code, commands[i]!.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: notify-streams${commands[i]!.length ? ' ' + commands[i]!.join(' ') : ''}`);
    });
    expect(results[0]!.stdout).toContain('Exit codes');
  });

  it('answers bad usage with exit 2', async () => {
    expect((await cli(['no-such-command'])).code).toBe(2);
    expect((await cliInProcess(['produce', '--count', 'many'])).code).toBe(2);
    const r = await cliInProcess(['trace']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'messageId'");
  });

  it('config check prints the effective configuration, or every bad key with exit 2', async () => {
    const ok = await cliInProcess(['config', 'check', 'topology/notify-streams.yaml'], { NOTIFY_KAFKA__APPLICATION_ID: 'from-env' });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('applicationId: from-env');
    expect(ok.stdout).toContain('commitInterval: 100');

    const dir = mkdtempSync(join(tmpdir(), 'notify-config-'));
    const bad = join(dir, 'bad.yaml');
    const text = readFileSync('topology/notify-streams.yaml', 'utf8').replace('commitInterval: 100ms', 'commitInterval: soon').replace('  dedupe:\n', '  dedupe:\n').replace('retention: 24h', 'retension: 24h');
    writeFileSync(bad, text);
    const r = await cliInProcess(['config', 'check', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('kafka.commitInterval: expected a duration');
    expect(r.stderr).toContain('dedupe.retension: unknown key');
    const env = await cliInProcess(['config', 'check', 'topology/notify-streams.yaml'], { NOTIFY_TOPICS__REQUESTS__PARTITIONS: 'three' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('(set by NOTIFY_TOPICS__REQUESTS__PARTITIONS)');
    expect((await cliInProcess(['run', '-c', bad])).code).toBe(2);
  });

  it('topics create makes every topic once, compaction for the tables, and is idempotent', async () => {
    const app = isolatedApp('cli-topics', 3);
    const first = await cli(['topics', 'create'], app.env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('11 created, 0 already existed');
    expect(first.stdout).toMatch(/subscriptions\s+3 partitions compacted/);
    const again = await cliInProcess(['topics', 'create'], app.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 created, 11 already existed');
    const admin = new KafkaAdmin({ 'bootstrap.servers': BOOTSTRAP });
    try {
      const t = app.config.topics;
      const counts = await admin.partitionCounts([t.requests.name, t.dlq.name, t.lanes.bulk.name, t.deliveryReports.name]);
      expect([...counts.values()]).toEqual([3, 3, 3, 3]);
    } finally {
      await admin.close();
    }
  });

  it('produce sends Avro single-object records keyed by userId, the whole mix, every one acknowledged', async () => {
    const app = isolatedApp('cli-produce');
    expect((await cli(['topics', 'create'], app.env)).code).toBe(0);
    const ids = join(mkdtempSync(join(tmpdir(), 'notify-ids-')), 'ids.jsonl');
    const r = await cli(['produce', '--count', '400', '--rate', '0', '--ids-out', ids, '--seed', '7'], app.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/produced 400 requests, \d+ revokes, \d+ undecodable records/);
    const lines = readFileSync(ids, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { note: string; channel: string; category: string });
    expect(lines).toHaveLength(400);
    for (const note of ['plain', 'scheduled', 'revoked', 'duplicate-key', 'producer-retry', 'invalid']) expect(lines.some((l) => l.note === note), note).toBe(true);
    for (const channel of ['SMS', 'PUSH', 'WECHAT', 'EMAIL', 'WEBHOOK']) expect(lines.some((l) => l.channel === channel), channel).toBe(true);
    for (const category of ['VERIFICATION', 'NOTIFICATION', 'MARKETING']) expect(lines.some((l) => l.category === category), category).toBe(true);

    const records = await readTopic(app.config.topics.requests.name, (rs) => rs.length >= 400, 20_000);
    const decoded = records.filter((rec) => rec.value?.[0] === 0xc3 && rec.value[1] === 0x01);
    expect(decoded.length).toBe(400);
    const serde = appCodecs().request;
    for (const rec of decoded.slice(0, 50)) expect(serde.deserialize(rec.topic, rec.value!).recipient.userId).toBe(rec.key);
  });

  it('trace prints every feedback event of one message in order; exit 4 when there is none', async () => {
    const app = isolatedApp('cli-trace', 3);
    expect((await cli(['topics', 'create'], app.env)).code).toBe(0);
    const topic = app.config.topics.feedback.name;
    const serde = appCodecs().feedback;
    const base: DeliveryFeedback = { messageId: 'm-trace-1', userId: 'u1', businessUnit: 'shop', scenario: 'order-shipped', category: 'NOTIFICATION', channel: 'SMS', provider: null, status: 'SCHEDULED', subject: 'REQUEST', reason: 'quiet-hours:NOTIFICATION', attempt: 0, billableUnits: 0, cost: 0, scheduledFor: 1_700_000_100_000, providerMessageId: null, eventTime: 1_700_000_000_000, emittedAt: 1_700_000_000_000 };
    const events: DeliveryFeedback[] = [
      base,
      { ...base, status: 'RETRYING', reason: 'provider timeout', provider: 'sms-a', attempt: 1, eventTime: base.eventTime + 100_000 },
      { ...base, status: 'SENT', reason: null, provider: 'sms-b', attempt: 2, billableUnits: 2, cost: 0.09, providerMessageId: 'p-9', eventTime: base.eventTime + 105_000 },
    ];
    const noise = Array.from({ length: 30 }, (_, i) => ({ key: `other-${i}`, value: Buffer.from(serde.serialize(topic, { ...base, messageId: `other-${i}` })) }));
    await produce(topic, [...noise.slice(0, 15), ...events.map((e) => ({ key: e.messageId, value: Buffer.from(serde.serialize(topic, e)) })), ...noise.slice(15)]);

    const r = await cli(['trace', 'm-trace-1'], app.env);
    expect(r.code, r.stderr).toBe(0);
    const statuses = [...r.stdout.matchAll(/^ {2}\S+Z {2}(\w+)/gm)].map((m) => m[1]);
    expect(statuses).toEqual(['SCHEDULED', 'RETRYING', 'SENT']);
    expect(r.stdout).toContain('terminal: SENT');
    expect(r.stdout).toContain('reason=provider timeout');

    const json = await cliInProcess(['trace', 'm-trace-1', '--json'], app.env);
    const parsed = JSON.parse(json.stdout) as { events: { status: string; offset: number }[]; complete: boolean };
    expect(parsed.events.map((e) => e.status)).toEqual(['SCHEDULED', 'RETRYING', 'SENT']);
    expect(parsed.complete).toBe(true);

    const none = await cliInProcess(['trace', 'never-sent'], app.env);
    expect(none.code).toBe(4);
    expect(none.stdout).toContain('no feedback events');
  });
});
