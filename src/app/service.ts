/**
 * One notify-streams pod: the HTTP server, the channel router, the stream processor and the
 * intake producer, started in that order and stopped in the reverse one.
 *
 * Shutdown (SIGTERM/SIGINT, {@link NotifyService.stop}):
 *   1. HTTP stops accepting new intake requests (503) while probes keep answering;
 *   2. the processor closes: stop fetching, finish the channel sink's in-flight batch, flush
 *      stores and the producer, commit offsets, write checkpoints, leave the group;
 *   3. the channel router closes its provider connections;
 *   4. the intake producer flushes and disconnects; the HTTP server closes.
 * The caller bounds the whole with a timer (`--shutdown-timeout`).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createChannelRouter, type ChannelRouter, type OutboundMessage } from '../channels/index.js';
import { buildNotifyTopology, type NotifyConfig } from '../notify/index.js';
import { KafkaStreams, WorkerStreams, type StreamsConfig } from '../streams/index.js';
import { appCodecs } from './codecs.js';
import { deliveryReportSink } from './delivery-reports.js';
import { HttpServer } from './http/http-server.js';
import { RequestIntake, TokenTable } from './intake/request-intake.js';
import { DurableProducer } from './kafka/durable-producer.js';
import { streamsLogger } from './logger.js';
import { FeedbackTrace } from './trace/feedback-trace.js';
import { SEND_SERVICE, type ProcessorWorkerArgs } from './processor-worker.js';

export interface ServiceOptions {
  readonly config: NotifyConfig;
  readonly logger: Logger;
  /** Stream threads (consumers) in this process. */
  readonly threads: number;
  /**
   * Worker processes, each running one stream thread, instead of `threads` in this process: a
   * pod with several cores uses them for processing. The channel providers stay here.
   */
  readonly workers?: number;
  readonly stateDir: string;
  /** Overrides `http.port`; 0 picks a free port. */
  readonly httpPort?: number;
  /** Lines of log providers with `print: true` go to this file instead of the log. */
  readonly sentLog?: string;
  /** Whether to run the stream processor (false: HTTP intake and trace only). Default true. */
  readonly processor?: boolean;
  /** How long intake waits for Kafka's acknowledgement before answering 503. Default 10 s. */
  readonly intakeTimeoutMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Extra settings for the engine (tests lower the session timeout). */
  readonly sessionTimeoutMs?: number;
}

export class NotifyService {
  readonly registry = new Registry();
  private router: ChannelRouter | null = null;
  private streams: KafkaStreams | WorkerStreams | null = null;
  private http: HttpServer | null = null;
  private sentLog: WriteStream | null = null;
  private readonly producer: DurableProducer;
  private stopping: Promise<void> | null = null;
  /** The bound HTTP port once started. */
  port = 0;

  constructor(private readonly options: ServiceOptions) {
    collectDefaultMetrics({ register: this.registry });
    const k = options.config.kafka;
    this.producer = new DurableProducer({
      bootstrapServers: k.bootstrapServers,
      clientConfig: k.clientConfig,
      deliveryTimeoutMs: options.intakeTimeoutMs ?? 10_000,
      connectTimeoutMs: Math.min(options.intakeTimeoutMs ?? 10_000, 10_000),
      clientId: `${k.applicationId}-intake`,
    });
  }

  /** Processor state for /readyz and the CLI. */
  get state(): string {
    if (this.options.processor === false) return 'INTAKE_ONLY';
    return this.streams?.state ?? 'CREATED';
  }

  isReady(): boolean {
    if (this.options.processor === false) return this.producer.connected;
    return this.streams?.isReady() ?? false;
  }

  /** The first failure of a stream thread, if one died. */
  failure(): Error | null {
    return this.streams?.failure() ?? null;
  }

  async start(): Promise<void> {
    const { config, logger } = this.options;
    const log = logger.child({ component: 'service' });
    const tokens = new TokenTable(config.http.tokens, this.options.env ?? process.env);
    for (const env of tokens.missing) log.warn({ env }, 'no intake token in this environment variable; its business unit cannot use POST /v1/messages');
    this.http = new HttpServer({
      port: this.options.httpPort ?? config.http.port,
      registry: this.registry,
      // Worker processes keep their own registries; a scrape merges them in.
      workerMetrics: () => (this.streams instanceof WorkerStreams ? this.streams.metrics() : Promise.resolve(null)),
      logger: logger.child({ component: 'http' }),
      isReady: () => this.isReady(),
      state: () => this.state,
      intake: new RequestIntake(this.producer, config.topics.requests.name),
      tokens,
      limits: config.limits,
      trace: new FeedbackTrace({ bootstrapServers: config.kafka.bootstrapServers, clientConfig: config.kafka.clientConfig, topic: config.topics.feedback.name }),
    });
    this.port = await this.http.listen();
    log.info({ port: this.port }, 'HTTP listening (/healthz, /readyz, /metrics, /v1/messages)');
    // Intake connects in the background: a pod whose Kafka is down still answers probes (and 503).
    this.producer.connect().catch((err: unknown) => log.warn({ err }, 'intake producer cannot reach Kafka yet; intake answers 503 until it can'));
    if (this.options.processor === false) return;

    if (this.options.sentLog) this.sentLog = createWriteStream(this.options.sentLog, { flags: 'a' });
    const sentLog = this.sentLog;
    const providerLog = logger.child({ component: 'provider' });
    this.router = await createChannelRouter(config.channels, {
      metrics: this.registry,
      env: this.options.env ?? process.env,
      print: sentLog ? (line) => sentLog.write(`${line}\n`) : (line) => providerLog.info({ sent: JSON.parse(line) as unknown }, 'sent'),
    });
    const reports = deliveryReportSink(config.topics.deliveryReports.name, appCodecs().catalog, this.producer, logger);
    this.router.onDeliveryReport((report) => reports.accept(report));
    const streamsConfig: StreamsConfig = {
      applicationId: config.kafka.applicationId,
      bootstrapServers: config.kafka.bootstrapServers,
      processingGuarantee: config.kafka.processingGuarantee,
      ...(config.kafka.commitInterval !== undefined ? { commitIntervalMs: config.kafka.commitInterval } : {}),
      stateDir: this.options.stateDir,
      deadLetterTopic: config.topics.dlq.name,
      clientConfig: config.kafka.clientConfig,
      producerConfig: config.kafka.producerConfig,
      memory: { totalBytes: config.memory.totalMb * 1024 * 1024, rocksDbRatio: config.memory.rocksDbRatio, recordCacheRatio: config.memory.recordCacheRatio, writeBufferRatio: config.memory.writeBufferRatio },
      metrics: this.registry,
      logger: streamsLogger(logger, 'streams'),
      ...(this.options.sessionTimeoutMs ? { sessionTimeoutMs: this.options.sessionTimeoutMs } : {}),
    };
    const router = this.router;
    if (this.options.workers) {
      this.streams = new WorkerStreams(streamsConfig, {
        module: new URL(`./processor-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
        args: { config } satisfies ProcessorWorkerArgs,
        threads: this.options.workers,
        services: { [SEND_SERVICE]: (batch: OutboundMessage[]) => router.send(batch) },
      });
    } else {
      const topology = buildNotifyTopology(config, { sender: router, schemas: appCodecs().catalog });
      this.streams = new KafkaStreams(topology, streamsConfig, { threads: this.options.threads });
    }
    await this.streams.start();
    log.info({ threads: this.options.threads, workers: this.options.workers ?? 0, applicationId: config.kafka.applicationId, stateDir: this.options.stateDir }, 'processor running');
  }

  /** Stops everything in order (see the file comment); safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const log = this.options.logger.child({ component: 'service' });
    this.http?.drain();
    if (this.streams) {
      await this.streams.close();
      log.info({ state: this.streams.state }, 'processor closed: offsets committed, group left');
    }
    await this.router?.close();
    await this.producer.close();
    if (this.sentLog) {
      const s = this.sentLog;
      await new Promise<void>((resolve) => s.end(() => resolve()));
    }
    await this.http?.close();
  }
}
