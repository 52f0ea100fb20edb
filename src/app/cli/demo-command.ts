/**
 * `notify-streams demo`: the quick start in one process — the processor and HTTP (as `run`),
 * a few hundred generated requests (as `produce`), then a live table of outcomes per status and
 * channel until every request has settled (a terminal status, or held for a later send time) or
 * `--duration` passes; then a clean shutdown and exit 0. Ctrl-C stops early, also cleanly.
 * Logs go to a file (`--log-file`) so they do not scribble over the table.
 */
import cliProgress from 'cli-progress';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { destination } from 'pino';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { DurableProducer } from '../kafka/durable-producer.js';
import { createLogger } from '../logger.js';
import { NotifyService } from '../service.js';
import { FeedbackWatcher } from '../demo/feedback-watcher.js';
import { OutcomeTable } from '../demo/outcome-table.js';
import { generateTraffic } from '../demo/traffic.js';
import { produceTraffic } from '../demo/traffic-producer.js';
import { loadAppConfig, threadsFrom } from './common.js';
import { summarize } from './produce-command.js';

export interface DemoOptions {
  readonly config: string;
  readonly count: number;
  readonly rate: number;
  readonly duration: number;
  readonly stateDir: string;
  readonly logFile: string;
  readonly threads?: number;
  readonly port?: number;
}

export async function demoCommand(options: DemoOptions): Promise<ExitCode> {
  const config = loadAppConfig(options.config);
  mkdirSync(dirname(options.logFile), { recursive: true });
  const logger = createLogger(config.logging.level, destination({ dest: options.logFile, sync: false, mkdir: true }));
  const out = (s: string): void => void process.stdout.write(s);
  const tty = process.stdout.isTTY;
  const service = new NotifyService({ config, logger, threads: threadsFrom(config, options.threads), stateDir: options.stateDir, ...(options.port !== undefined ? { httpPort: options.port } : {}) });
  const watcher = new FeedbackWatcher(config.kafka.bootstrapServers, config.kafka.clientConfig, config.topics.feedback.name);
  const producer = new DurableProducer({ bootstrapServers: config.kafka.bootstrapServers, clientConfig: config.kafka.clientConfig, clientId: 'notify-streams-demo' });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  try {
    out(`starting the processor (logs: ${options.logFile}) ...\n`);
    try {
      await service.start();
    } catch (cause) {
      throw new CliError(`the processor did not start: ${(cause as Error).message}`, EXIT.RUNTIME_FAILURE, { cause });
    }
    while (!service.isReady() && !abort.signal.aborted && Date.now() - started < 60_000) await sleep(100);
    out(`processor ready in ${((Date.now() - started) / 1000).toFixed(1)} s; HTTP on http://127.0.0.1:${service.port} (/readyz, /metrics, /v1/messages)\n`);

    const table = new OutcomeTable();
    await watcher.start(config.topics.feedback.partitions, (e) => table.add(e));
    const items = generateTraffic({ count: options.count, users: Math.max(200, options.count * 4), userPrefix: `${Date.now().toString(36)}-` });
    const bar = tty ? new cliProgress.SingleBar({ format: 'producing [{bar}] {value}/{total}', stream: process.stdout }, cliProgress.Presets.shades_classic) : null;
    bar?.start(items.length, 0);
    const stats = await produceTraffic(items, producer, config, { rate: options.rate, onProgress: (n) => bar?.update(n), signal: abort.signal });
    bar?.stop();
    out(summarize(items, stats.elapsedMs, config.topics.requests.name));

    const deadline = started + options.duration;
    let drawn = 0;
    let settledAt: number | null = null;
    // A producer retry repeats a messageId: its copy ends DUPLICATE while the original may still
    // be held, so held messages are capped by the records not yet terminal.
    const held = (): number => Math.min(table.held(), Math.max(0, stats.requests - table.terminal));
    const draw = (final: boolean): void => {
      const text = `${table.render()}\n${table.terminal}/${stats.requests} request records terminal, ${held()} held for later (scheduled/quiet hours/retry)${final ? '' : ' ...'}\n`;
      if (tty && drawn > 0) out(`\x1b[${drawn}A\x1b[0J`);
      if (tty || final) out(text);
      drawn = text.split('\n').length - 1;
    };
    out('\noutcomes per status and channel (live):\n');
    while (!abort.signal.aborted && Date.now() < deadline) {
      draw(false);
      if (table.terminal + held() >= stats.requests) {
        settledAt ??= Date.now();
        if (Date.now() - settledAt > 1500) break;
      } else settledAt = null;
      await sleep(500);
    }
    draw(true);
    const why = abort.signal.aborted ? 'stopped by signal' : settledAt ? 'every request settled' : `time limit (${options.duration / 1000} s) reached`;
    const sample = items.find((i) => i.kind === 'request');
    out(`\n${why} after ${((Date.now() - started) / 1000).toFixed(1)} s; stopping the processor cleanly ...\n`);
    if (sample?.kind === 'request') out(`trace one message: node bin/notify-streams.js trace ${sample.request.messageId}\n`);
    return EXIT.OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await watcher.stop().catch(() => undefined);
    await producer.close();
    await service.stop();
    logger.flush();
    out('stopped.\n');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
