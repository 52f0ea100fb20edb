/**
 * `notify-streams produce`: the demo and load generator (see demo/traffic.ts for the mix).
 * Prints a summary of what it sent; `--ids-out` writes one JSON line per request for scripts.
 */
import { writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { DurableProducer } from '../kafka/durable-producer.js';
import { generateTraffic, type TrafficItem } from '../demo/traffic.js';
import { produceTraffic } from '../demo/traffic-producer.js';
import { loadAppConfig } from './common.js';

export interface ProduceOptions {
  readonly config: string;
  readonly count: number;
  readonly rate: number;
  readonly seed: number;
  readonly users: number;
  readonly profile: 'demo' | 'settling';
  readonly idPrefix?: string;
  readonly idsOut?: string;
  readonly progress: boolean;
}

export async function produceCommand(options: ProduceOptions): Promise<ExitCode> {
  const config = loadAppConfig(options.config);
  const items = generateTraffic({ count: options.count, seed: options.seed, users: options.users, profile: options.profile, ...(options.idPrefix ? { idPrefix: options.idPrefix } : {}) });
  const producer = new DurableProducer({ bootstrapServers: config.kafka.bootstrapServers, clientConfig: config.kafka.clientConfig, clientId: 'notify-streams-produce' });
  const bar = options.progress && process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'producing [{bar}] {value}/{total} records  {eta_formatted} left', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
  bar?.start(items.length, 0);
  try {
    const stats = await produceTraffic(items, producer, config, { rate: options.rate, onProgress: (n) => bar?.update(n) });
    bar?.stop();
    if (options.idsOut) writeIds(options.idsOut, items);
    process.stdout.write(summarize(items, stats.elapsedMs, config.topics.requests.name));
    return EXIT.OK;
  } catch (cause) {
    bar?.stop();
    throw new CliError(`producing failed: ${(cause as Error).message}`, EXIT.RUNTIME_FAILURE, { cause });
  } finally {
    await producer.close();
  }
}

function writeIds(file: string, items: readonly TrafficItem[]): void {
  const lines = items.flatMap((i) => (i.kind === 'request' ? [JSON.stringify({ messageId: i.request.messageId, note: i.note, channel: i.request.channel, category: i.request.category })] : []));
  writeFileSync(file, lines.join('\n') + '\n');
}

/** Counts by kind, category, channel and note. */
export function summarize(items: readonly TrafficItem[], elapsedMs: number, topic: string): string {
  const count = (key: (i: Extract<TrafficItem, { kind: 'request' }>) => string): string => {
    const m = new Map<string, number>();
    for (const i of items) if (i.kind === 'request') m.set(key(i), (m.get(key(i)) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' ');
  };
  const requests = items.filter((i) => i.kind === 'request').length;
  const revokes = items.filter((i) => i.kind === 'revoke').length;
  const garbage = items.filter((i) => i.kind === 'garbage').length;
  const rate = elapsedMs > 0 ? Math.round((items.length * 1000) / elapsedMs) : items.length;
  return [
    `produced ${requests} requests, ${revokes} revokes, ${garbage} undecodable records to ${topic} in ${(elapsedMs / 1000).toFixed(1)} s (${rate}/s, every one acknowledged)`,
    `  category: ${count((i) => i.request.category)}`,
    `  channel:  ${count((i) => i.request.channel)}`,
    `  kind:     ${count((i) => i.note)}`,
    '',
  ].join('\n');
}
