/**
 * Entry point of one stream-thread worker process (started by {@link WorkerStreams}): imports
 * the caller's topology module, builds the topology, and runs it as a `KafkaStreams` member of
 * the application's group with one stream thread. Logs, status and metrics go to the main
 * process; `context.call` reaches the services it offers.
 *
 * Only the main process decides when to stop: a signal sent to the whole process group (Ctrl-C
 * in a terminal) is left to it, and it sends `close`. If the main process goes away without
 * that, the worker closes its stream thread (commit, checkpoint, leave the group) and exits.
 */
import { Registry } from 'prom-client';
import type { StreamsLogger } from '../config.js';
import { KafkaStreams } from './kafka-streams.js';
import { cloneableFields, errorData, fromErrorData, type FromWorker, type ToWorker, type WorkerData } from './worker-protocol.js';
import type { StreamsWorkerContext, StreamsWorkerModule } from './worker-streams.js';

const STATUS_INTERVAL_MS = 250;

const post = (message: FromWorker): void => {
  if (process.connected) process.send!(message);
};

const logger: StreamsLogger = {
  debug: (fields, msg) => post({ type: 'log', level: 'debug', fields: cloneableFields(fields), msg }),
  info: (fields, msg) => post({ type: 'log', level: 'info', fields: cloneableFields(fields), msg }),
  warn: (fields, msg) => post({ type: 'log', level: 'warn', fields: cloneableFields(fields), msg }),
  error: (fields, msg) => post({ type: 'log', level: 'error', fields: cloneableFields(fields), msg }),
};

const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
let nextCallId = 0;
const registry = new Registry();
let streams: KafkaStreams | null = null;
let closing: Promise<void> | null = null;
let statusTimer: NodeJS.Timeout | undefined;

function postStatus(): void {
  if (!streams) return;
  const failure = streams.failure();
  post({ type: 'status', state: streams.state, ready: streams.isReady(), tasks: streams.runningTaskIds(), failure: failure ? errorData(failure) : null });
}

function close(): Promise<void> {
  closing ??= (async () => {
    clearInterval(statusTimer);
    try {
      await streams?.close();
      postStatus();
    } catch (err) {
      logger.error({ err }, 'stream thread did not close cleanly');
    }
    post({ type: 'closed' });
    process.exit(0);
  })();
  return closing;
}

async function start(data: WorkerData): Promise<void> {
  const context: StreamsWorkerContext = {
    args: data.args,
    threadIndex: data.threadIndex,
    threadCount: data.threadCount,
    metrics: registry,
    logger,
    call: <T>(service: string, payload: unknown): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const id = nextCallId++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        post({ type: 'call', id, service, payload });
      }),
  };
  try {
    const module = (await import(data.module)) as Partial<StreamsWorkerModule>;
    if (typeof module.createTopology !== 'function') throw new TypeError(`${data.module} does not export a createTopology(context) function`);
    const topology = await module.createTopology(context);
    streams = new KafkaStreams(topology, { ...data.config, metrics: registry, logger }, { threads: 1, firstThreadIndex: data.threadIndex });
    statusTimer = setInterval(postStatus, STATUS_INTERVAL_MS);
    await streams.start();
    postStatus();
    post({ type: 'started' });
  } catch (err) {
    post({ type: 'start-failed', error: errorData(err) });
    await close();
  }
}

process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
process.on('disconnect', () => void close());
process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      void start(message.data);
      break;
    case 'reply': {
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) call?.reject(fromErrorData(message.error));
      else call?.resolve(message.value);
      break;
    }
    case 'metrics':
      registry
        .getMetricsAsJSON()
        .then((metrics) => post({ type: 'metrics', id: message.id, metrics }))
        .catch((err: unknown) => logger.warn({ err }, 'could not collect metrics'));
      break;
    case 'close':
      void close();
      break;
  }
});
