/**
 * Channel provider throughput against local peers running in a worker thread (so the peer does
 * not share the sender's event loop): SMPP submit_sm/s through one transceiver bind with a
 * window of 50, and signed webhook POSTs/s over keep-alive connections. Each is the median of
 * three runs; every message goes through the full router → pool → guard → provider path.
 *
 *   npx tsx bench/channels/providers-bench.ts [messagesPerRun]
 */
import os from 'node:os';
import { createChannelRouter } from '../../src/channels/index.js';
import type { ChannelRouter, OutboundMessage } from '../../src/channels/index.js';
import { ThreadedPeer } from '../../test/integration/channels/support/threaded-peer.js';

const MESSAGES = Number(process.argv[2] ?? 30_000);
const BATCH = 2_000;
const RUNS = 3;

function messages(channel: 'SMS' | 'WEBHOOK', run: number): OutboundMessage[] {
  return Array.from({ length: MESSAGES }, (_, i) => ({
    messageId: `${channel}-${run}-${i}`,
    channel,
    category: 'MARKETING',
    recipient: { userId: `u${i}`, phone: '+8613800138000' },
    body: channel === 'SMS' ? '【商城】双十一大促，全场五折起，回T退订' : 'Order 42 shipped',
    templateParams: {},
    tags: {},
  }));
}

/** Sends every message in batches the size a channel sink would hand over; returns messages/s. */
async function drive(router: ChannelRouter, batch: OutboundMessage[]): Promise<number> {
  const started = performance.now();
  // Two batches in flight, as a sink overlapping its next poll with the current sends would.
  const chunks: OutboundMessage[][] = [];
  for (let i = 0; i < batch.length; i += BATCH) chunks.push(batch.slice(i, i + BATCH));
  let failed = 0;
  const lanes = [0, 1].map(async (lane) => {
    for (let c = lane; c < chunks.length; c += 2) {
      const results = await router.send(chunks[c] ?? []);
      failed += results.filter((r) => r.status !== 'ACCEPTED').length;
    }
  });
  await Promise.all(lanes);
  const seconds = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`${failed} sends failed; the benchmark only measures successful traffic`);
  return batch.length / seconds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function bench(kind: 'smpp' | 'http'): Promise<number[]> {
  const peer = await ThreadedPeer.start(kind, { keepArrivals: false });
  const provider =
    kind === 'smpp'
      ? { type: 'smpp', name: 'smsc', host: '127.0.0.1', port: peer.port, systemId: 'bench', password: { env: 'BENCH_SMPP_PASSWORD' }, sourceAddr: 'SHOP', window: 50, maxInFlight: 4_096 }
      : { type: 'webhook', name: 'hooks', url: `http://127.0.0.1:${peer.port}/events`, secret: { env: 'BENCH_WEBHOOK_SECRET' }, connections: 64, maxInFlight: 256 };
  const channel = kind === 'smpp' ? 'SMS' : 'WEBHOOK';
  const router = await createChannelRouter(
    { pools: { main: { channel, providers: [provider] } } },
    { env: { BENCH_SMPP_PASSWORD: 'bench', BENCH_WEBHOOK_SECRET: 'bench-secret' } },
  );
  try {
    await drive(router, messages(channel, -1).slice(0, 2_000)); // warm-up: connect, JIT
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) rates.push(await drive(router, messages(channel, run)));
    const seen = await peer.stats();
    if (seen.received < MESSAGES * RUNS) throw new Error(`peer saw ${seen.received} of ${MESSAGES * RUNS + 2_000} messages`);
    return rates;
  } finally {
    await router.close();
    await peer.close();
  }
}

const smpp = await bench('smpp');
const webhook = await bench('http');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`### Channel providers (${MESSAGES.toLocaleString('en-US')} messages per run, median of ${RUNS})

Machine: ${os.cpus().length} × ${cpu}, Node ${process.version}. Peers run in a worker thread on 127.0.0.1.
Command: \`npx tsx bench/channels/providers-bench.ts\`

| path | median msgs/s | runs | target |
|---|---:|---|---:|
| SMPP submit_sm, 1 transceiver bind, window 50 | ${fmt(median(smpp))} | ${smpp.map(fmt).join(' / ')} | ≥ 5,000 |
| webhook POST, HMAC-SHA256 signed, keep-alive (64 connections) | ${fmt(median(webhook))} | ${webhook.map(fmt).join(' / ')} | ≥ 5,000 |
`);
