/**
 * `notify-streams run`: one pod — processor, HTTP and metrics — until SIGTERM/SIGINT, then a
 * bounded clean shutdown (exit 0), or exit 3 if the bound passes, or exit 1 if a stream thread
 * dies or startup fails.
 */
import { EXIT, type ExitCode } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { NotifyService } from '../service.js';
import { loadAppConfig, threadsFrom } from './common.js';
import { armHardExit } from '../hard-exit.js';

/** How long after the shutdown bound a process that still has not exited is killed. */
const HARD_EXIT_GRACE_MS = 10_000;

export interface RunOptions {
  readonly config: string;
  readonly threads?: number;
  readonly workers?: number;
  readonly stateDir: string;
  readonly port?: number;
  readonly shutdownTimeout: number;
  readonly sentLog?: string;
  readonly processor: boolean;
  readonly sessionTimeout?: number;
}

export async function runCommand(options: RunOptions): Promise<ExitCode> {
  const config = loadAppConfig(options.config);
  const logger = createLogger(config.logging.level);
  const service = new NotifyService({
    config,
    logger,
    threads: threadsFrom(config, options.threads),
    ...(options.workers ? { workers: options.workers } : {}),
    stateDir: options.stateDir,
    ...(options.port !== undefined ? { httpPort: options.port } : {}),
    ...(options.sentLog ? { sentLog: options.sentLog } : {}),
    processor: options.processor,
    ...(options.sessionTimeout ? { sessionTimeoutMs: options.sessionTimeout } : {}),
  });
  return new Promise<ExitCode>((resolve) => {
    let finishing = false;
    const finish = (why: string, code: ExitCode, err?: unknown): void => {
      if (finishing) return;
      finishing = true;
      clearInterval(watchdog);
      const log = code === EXIT.OK ? logger.info.bind(logger) : logger.error.bind(logger);
      log({ reason: why, err, shutdownTimeoutMs: options.shutdownTimeout }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error({ shutdownTimeoutMs: options.shutdownTimeout }, 'shutdown did not finish in time; exiting anyway');
        resolve(EXIT.SHUTDOWN_TIMEOUT);
      }, options.shutdownTimeout);
      timer.unref();
      // If even the exit hangs (the event loop held in native code), this ends it.
      armHardExit(options.shutdownTimeout + HARD_EXIT_GRACE_MS);
      service.stop().then(
        () => {
          clearTimeout(timer);
          logger.info({ code }, 'stopped');
          resolve(code);
        },
        (stopErr: unknown) => {
          clearTimeout(timer);
          logger.error({ err: stopErr }, 'shutdown failed');
          resolve(EXIT.RUNTIME_FAILURE);
        },
      );
    };
    process.once('SIGTERM', () => finish('SIGTERM', EXIT.OK));
    process.once('SIGINT', () => finish('SIGINT', EXIT.OK));
    const watchdog = setInterval(() => {
      const failure = service.failure();
      if (failure) finish('a stream thread failed', EXIT.RUNTIME_FAILURE, failure);
    }, 1000);
    service.start().then(
      () => {
        logger.info({ port: service.port }, 'RUNNING');
      },
      (err: unknown) => finish('startup failed', EXIT.RUNTIME_FAILURE, err),
    );
  });
}
