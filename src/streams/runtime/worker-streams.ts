/**
 * Stream threads on their own cores. `KafkaStreams` runs every stream thread on the caller's
 * event loop, so a process uses one core for JavaScript however many threads it has. This runs
 * each stream thread in a worker process of its own (a child process, not a `worker_threads`
 * worker: the Kafka client's native addon loads once per process). Every worker builds the
 * topology from a module (a topology holds functions and cannot be sent) and joins the
 * application's group as one member with one stream thread; the group spreads the tasks over
 * the workers exactly as over pods. They share the state directory, so a task that moves
 * between workers of a pod reuses its local stores.
 *
 * The main process keeps what a pod has once: it receives the workers' logs, answers for their
 * state, merges their metrics, and serves the calls they make through `context.call` (e.g. the
 * channel providers, which keep one connection pool and one rate limit per pod this way). A
 * worker whose main process goes away closes its stream thread and exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { resolveStreamsConfig, silentLogger, type StreamsConfig, type StreamsLogger } from '../config.js';
import { IllegalStateError, StreamsConfigError } from '../errors.js';
import type { Topology } from '../topology/topology.js';
import type { StreamsState } from './kafka-streams.js';
import { errorData, fromErrorData, type ErrorData, type FromWorker, type ToWorker, type WorkerData } from './worker-protocol.js';

/** What a topology module gets in each worker. */
export interface StreamsWorkerContext {
  /** The `args` given to {@link WorkerStreams}, structured-cloned. */
  readonly args: unknown;
  readonly threadIndex: number;
  readonly threadCount: number;
  /** This worker's registry; the main process merges it into {@link WorkerStreams.metrics}. */
  readonly metrics: Registry;
  /** Lines go to the main process's logger. */
  readonly logger: StreamsLogger;
  /** Calls a service of the main process (see {@link WorkerStreamsOptions.services}). */
  call<T>(service: string, payload: unknown): Promise<T>;
}

/** The shape of the module named by {@link WorkerStreamsOptions.module}. */
export interface StreamsWorkerModule {
  createTopology(context: StreamsWorkerContext): Topology | Promise<Topology>;
}

/** A function the main process runs for its workers; payload and result are structured-cloned. */
export type WorkerService = (payload: never) => unknown;

export interface WorkerStreamsOptions {
  /** file: URL of a module exporting `createTopology`. */
  readonly module: string | URL;
  /** Plain data passed to `createTopology` in every worker. */
  readonly args?: unknown;
  /** Worker processes, each running one stream thread. */
  readonly threads: number;
  /** Functions workers call by name through `context.call`. */
  readonly services?: { readonly [name: string]: WorkerService };
  /** How long `close()` waits for a worker before killing it. Default 60 s. */
  readonly closeTimeoutMs?: number;
}

interface WorkerStatus {
  state: StreamsState;
  ready: boolean;
  tasks: readonly string[];
  failure: ErrorData | null;
  exited: boolean;
}

// Workers run this module's sibling; from TypeScript sources they need tsx's loader (the CLI's
// launcher does the same for the main process).
const WORKER_ENTRY = new URL(`./streams-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class WorkerStreams {
  private streamsState: StreamsState = 'CREATED';
  private readonly workers: ChildProcess[] = [];
  private readonly status: WorkerStatus[] = [];
  private readonly logger: StreamsLogger;
  private readonly metricsWaiters = new Map<number, (json: unknown) => void>();
  private nextMetricsId = 0;
  private exitFailure: Error | null = null;

  constructor(
    private readonly config: StreamsConfig,
    private readonly options: WorkerStreamsOptions,
  ) {
    resolveStreamsConfig(config, options.threads); // a bad value fails here, naming its key, not in a worker
    for (const key of ['deserializationHandler', 'processingHandler', 'productionHandler'] as const) {
      if (typeof config[key] === 'function') throw new StreamsConfigError(key, "a function cannot be sent to a worker process; use 'fail' or 'continue'");
    }
    if (config.memory?.rocksDbConfigSetter) throw new StreamsConfigError('memory.rocksDbConfigSetter', 'a function cannot be sent to a worker process; leave it unset with WorkerStreams');
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new StreamsConfigError('threads', `expected a positive integer, got ${JSON.stringify(options.threads)}`);
    this.logger = config.logger ?? silentLogger;
  }

  get state(): StreamsState {
    if (this.streamsState === 'RUNNING' && (this.exitFailure || this.status.some((s) => s.state === 'ERROR' || s.failure))) return 'ERROR';
    return this.streamsState;
  }

  /** Every worker running with all its tasks restored. Backs `/readyz`. */
  isReady(): boolean {
    return this.streamsState === 'RUNNING' && this.status.every((s) => s.ready && !s.exited);
  }

  runningTaskIds(): string[] {
    return this.status.flatMap((s) => s.tasks);
  }

  /** The first failure of any worker, if one died. */
  failure(): Error | null {
    if (this.exitFailure) return this.exitFailure;
    const failed = this.status.find((s) => s.failure);
    return failed?.failure ? fromErrorData(failed.failure) : null;
  }

  /** Starts the workers; resolves once every one runs, rejects (after stopping the others) if one cannot start. */
  async start(): Promise<void> {
    if (this.streamsState !== 'CREATED') throw new IllegalStateError(`start() called in state ${this.streamsState}`);
    this.streamsState = 'STARTING';
    const { metrics: _metrics, logger: _logger, ...config } = this.config;
    // One memory total for the pod: each worker process gets an equal part of it.
    const total = resolveStreamsConfig(this.config, this.options.threads).memory.totalBytes;
    const workerMemory = { ...config.memory, totalBytes: Math.floor(total / this.options.threads) };
    const module = this.options.module instanceof URL ? this.options.module.href : this.options.module;
    const execArgv = WORKER_ENTRY.pathname.endsWith('.ts') ? ['--import', createRequire(import.meta.url).resolve('tsx')] : [];
    const started: Promise<void>[] = [];
    for (let i = 0; i < this.options.threads; i++) {
      const data: WorkerData = { module, args: this.options.args, config: { ...config, memory: workerMemory }, threadIndex: i, threadCount: this.options.threads };
      // 'advanced' serialization is structured clone: Buffers, Maps and Dates cross as they are.
      const worker = fork(fileURLToPath(WORKER_ENTRY), [], { execArgv, serialization: 'advanced', stdio: 'inherit' });
      this.workers.push(worker);
      this.status.push({ state: 'STARTING', ready: false, tasks: [], failure: null, exited: false });
      started.push(this.attach(worker, i));
      worker.send({ type: 'init', data } satisfies ToWorker);
    }
    const results = await Promise.allSettled(started);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.streamsState = 'RUNNING'; // so close() stops the ones that did start
      await this.close();
      this.streamsState = 'ERROR';
      throw failed.reason;
    }
    this.streamsState = 'RUNNING';
  }

  /** Routes one worker's messages; resolves when it started, rejects if it could not. */
  private attach(worker: ChildProcess, index: number): Promise<void> {
    const status = this.status[index]!;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'started':
            resolve();
            break;
          case 'start-failed':
            reject(fromErrorData(message.error));
            break;
          case 'status':
            status.state = message.state;
            status.ready = message.ready;
            status.tasks = message.tasks;
            status.failure = message.failure;
            break;
          case 'log':
            this.logger[message.level]({ ...message.fields, worker: index }, message.msg);
            break;
          case 'call':
            this.serve(worker, message.id, message.service, message.payload);
            break;
          case 'metrics':
            this.metricsWaiters.get(message.id)?.(message.metrics);
            break;
          case 'closed':
            break;
        }
      });
      worker.on('error', (err) => {
        this.logger.error({ err, worker: index }, 'stream-thread worker failed');
        this.exitFailure ??= err;
        reject(err);
      });
      worker.on('exit', (code, signal) => {
        status.exited = true;
        status.ready = false;
        if (this.streamsState !== 'PENDING_SHUTDOWN' && this.streamsState !== 'NOT_RUNNING') {
          this.exitFailure ??= new Error(`stream-thread worker ${index} exited (${signal ?? `code ${code}`})`);
          this.logger.error({ worker: index, code, signal }, 'stream-thread worker exited; its partitions move to the other members');
          reject(this.exitFailure);
        }
      });
    });
  }

  private serve(worker: ChildProcess, id: number, name: string, payload: unknown): void {
    const reply = (message: ToWorker): void => {
      if (worker.connected) worker.send(message);
    };
    const service = this.options.services?.[name];
    if (!service) {
      reply({ type: 'reply', id, error: errorData(new Error(`no service "${name}" in the main process`)) });
      return;
    }
    Promise.resolve()
      .then(() => service(payload as never))
      .then(
        (value) => reply({ type: 'reply', id, value }),
        (err: unknown) => reply({ type: 'reply', id, error: errorData(err) }),
      );
  }

  /** The workers' metrics merged (counters and gauges summed), for `/metrics`. */
  async metrics(): Promise<Registry> {
    const live = this.workers.filter((w, i) => !this.status[i]!.exited && w.connected);
    const parts = await Promise.all(
      live.map(
        (worker) =>
          new Promise<unknown>((resolve) => {
            const id = this.nextMetricsId++;
            const done = (json: unknown): void => {
              clearTimeout(timer);
              this.metricsWaiters.delete(id);
              resolve(json);
            };
            const timer = setTimeout(() => done([]), 5_000);
            this.metricsWaiters.set(id, done);
            worker.send({ type: 'metrics', id } satisfies ToWorker);
          }),
      ),
    );
    return AggregatorRegistry.aggregate(parts as Parameters<typeof AggregatorRegistry.aggregate>[0]);
  }

  /** Closes every worker's stream thread (commit, checkpoint, leave the group) and waits for the workers to exit. */
  async close(): Promise<void> {
    if (this.streamsState === 'CREATED' || this.streamsState === 'NOT_RUNNING') {
      this.streamsState = 'NOT_RUNNING';
      return;
    }
    const failedBefore = this.state === 'ERROR';
    this.streamsState = 'PENDING_SHUTDOWN';
    const timeout = this.options.closeTimeoutMs ?? 60_000;
    await Promise.all(
      this.workers.map(async (worker, i) => {
        if (this.status[i]!.exited) return;
        const exited = once(worker, 'exit');
        if (worker.connected) worker.send({ type: 'close' } satisfies ToWorker);
        const timer = setTimeout(() => {
          this.logger.warn({ worker: i, timeoutMs: timeout }, 'stream-thread worker did not close in time; killing it');
          worker.kill('SIGKILL');
        }, timeout);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.streamsState = failedBefore || this.failure() ? 'ERROR' : 'NOT_RUNNING';
  }
}
