/**
 * The HTTP port of a pod against the local broker: probes, metrics, intake (202 once durably
 * written; 400/401/403/413/415), the trace of a message the processor handled, and 503 from a second
 * instance whose Kafka is unreachable.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotifyService } from '../../../src/app/service.js';
import { createLogger } from '../../../src/app/logger.js';
import { waitFor } from '../../support/kafka.js';
import { cliInProcess, isolatedApp } from './support/app-env.js';

const app = isolatedApp('http');
let service: NotifyService;
let base: string;

const valid = {
  businessUnit: 'shop',
  scenario: 'order-shipped',
  category: 'NOTIFICATION',
  channel: 'SMS',
  recipient: { userId: 'u-http-1', phone: '+8613800138000' },
  templateId: 'order-shipped',
  templateParams: { orderId: 'SO42' },
};

function post(body: unknown, token?: string): Promise<Response> {
  return fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  expect((await cliInProcess(['topics', 'create'], app.env)).code).toBe(0);
  service = new NotifyService({ config: app.config, logger: createLogger('warn'), threads: 1, stateDir: mkdtempSync(join(tmpdir(), 'notify-http-')), env: app.env, sessionTimeoutMs: 6000 });
  await service.start();
  base = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await service?.stop();
});

describe('HTTP', () => {
  it('answers /healthz, /readyz and /metrics with engine and channel metrics', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 20_000, 'readiness');
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { ready: boolean; state: string };
    expect(ready).toEqual({ ready: true, state: 'RUNNING' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['streams_records_processed_total', 'streams_commits_total', 'notify_channel_sends_total', 'notify_channel_circuit_state', 'notify_http_requests_total', 'process_cpu_seconds_total']) {
      expect(metrics, name).toContain(name);
    }
  });

  it('accepts a valid request with 202 once written, and serves its trace', async () => {
    const res = await post({ ...valid, messageId: 'http-ok-1' }, 'shop-secret-token');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ messageId: 'http-ok-1' });
    const generated = await post(valid, 'shop-secret-token');
    expect(generated.status).toBe(202);
    expect(((await generated.json()) as { messageId: string }).messageId).toMatch(/^[0-9a-f-]{36}$/);

    let trace: { events: { status: string }[]; terminal: string | null } | undefined;
    await waitFor(async () => {
      const r = await fetch(`${base}/v1/messages/http-ok-1`, { headers: { authorization: 'Bearer shop-secret-token' } });
      if (r.status !== 200) return false;
      trace = (await r.json()) as typeof trace;
      return trace?.terminal === 'SENT';
    }, 30_000, 'the trace to show SENT');
    expect(trace!.events.map((e) => e.status)).toContain('SENT');
    const other = await fetch(`${base}/v1/messages/http-ok-1`, { headers: { authorization: 'Bearer growth-secret-token' } });
    expect(other.status).toBe(403);
    expect((await fetch(`${base}/v1/messages/no-such-id`, { headers: { authorization: 'Bearer shop-secret-token' } })).status).toBe(404);
  });

  it('answers 401 without a known token and 403 for another unit', async () => {
    expect((await post(valid)).status).toBe(401);
    expect((await post(valid, 'wrong-token')).status).toBe(401);
    const forbidden = await post(valid, 'growth-secret-token');
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: string }).error).toContain('growth');
  });

  it('answers 400 naming the failing field', async () => {
    const cases: [unknown, string][] = [
      [{ ...valid, channel: 'FAX' }, 'channel'],
      [{ ...valid, recipient: { phone: '+8613800138000' } }, 'recipient.userId'],
      [{ ...valid, templateParams: { orderId: 42 } }, 'templateParams.orderId'],
      [{ ...valid, sendAt: 'tomorrow-ish' }, 'sendAt'],
      [{ ...valid, colour: 'blue' }, 'colour'],
      // The input limits the topology applies (limits in the configuration).
      [{ ...valid, messageId: '' }, 'messageId'],
      [{ ...valid, recipient: { userId: 'u'.repeat(129), phone: '+8613800138000' } }, 'recipient.userId'],
      [{ ...valid, templateParams: { orderId: 'x'.repeat(4097) } }, 'templateParams.orderId'],
      [{ ...valid, templateParams: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, 'v'])) }, 'templateParams'],
      [{ ...valid, tags: { env: 'g'.repeat(257) } }, 'tags.env'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body, 'shop-secret-token');
      expect(res.status, field).toBe(400);
      expect(((await res.json()) as { field: string }).field).toBe(field);
    }
    const limit = (await (await post({ ...valid, recipient: { userId: 'u'.repeat(129) } }, 'shop-secret-token')).json()) as { error: string; problems: { reason?: string }[] };
    expect(limit.error).toBe('recipient.userId: at most 128 characters');
    expect(limit.problems[0]!.reason).toBe('limit:recipient.userId:too-long');
    const notJson = await fetch(`${base}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer shop-secret-token' }, body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('answers 413 for a body over limits.requestBytes without reading it all, and 415 for a body that is not JSON', async () => {
    const headers = { 'content-type': 'application/json', authorization: 'Bearer shop-secret-token' };
    const declared = await post({ ...valid, templateParams: { orderId: 'x'.repeat(70_000) } }, 'shop-secret-token');
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toContain('65536');
    // Chunked, with no Content-Length: the server stops at the chunk that crosses the limit and
    // answers while the client is still sending (16 MB it never finishes).
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 16 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const chunked = await fetch(`${base}/v1/messages`, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
    const text = await fetch(`${base}/v1/messages`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: JSON.stringify(valid) });
    expect(text.status).toBe(415);
    // The port still serves afterwards.
    expect((await post({ ...valid, messageId: 'http-after-413' }, 'shop-secret-token')).status).toBe(202);
  });

  it('answers 503 while Kafka is unreachable, accepting nothing', async () => {
    const down = isolatedApp('http-down');
    const config = { ...down.config, kafka: { ...down.config.kafka, bootstrapServers: '127.0.0.1:1' } };
    const offline = new NotifyService({ config, logger: createLogger('silent'), threads: 1, stateDir: mkdtempSync(join(tmpdir(), 'notify-down-')), env: down.env, processor: false, intakeTimeoutMs: 1500 });
    await offline.start();
    try {
      const url = `http://127.0.0.1:${offline.port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      const res = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer shop-secret-token' }, body: JSON.stringify(valid) });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
    } finally {
      await offline.stop();
    }
  });
});
