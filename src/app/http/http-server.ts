/**
 * The one HTTP port of a pod: health, readiness, Prometheus metrics, the intake API and the
 * trace API. node:http with a small router; every request is logged at debug, failures at warn.
 *
 *   GET  /healthz                 200 while the process runs
 *   GET  /readyz                  200 when every assigned task is restored and running, else 503
 *   GET  /metrics                 Prometheus text (engine, stores, channels, HTTP)
 *   POST /v1/messages             202 {messageId} once durably written; 400/401/403/413/415/503
 *   GET  /v1/messages/{messageId} the trace as JSON; 404 when there are no events (yet)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../../notify/index.js';
import { Counter, Registry } from 'prom-client';
import { appCodecs } from '../codecs.js';
import { KafkaUnavailableError } from '../kafka/durable-producer.js';
import { parseRequestBody } from '../intake/request-body.js';
import type { RequestIntake, TokenTable } from '../intake/request-intake.js';
import type { FeedbackTrace } from '../trace/feedback-trace.js';

export interface HttpServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly registry: Registry;
  /** Metrics kept elsewhere (stream-thread worker processes), merged into each scrape. */
  readonly workerMetrics?: () => Promise<Registry | null>;
  readonly logger: Logger;
  /** Readiness: true when all assigned tasks are restored and running. */
  readonly isReady: () => boolean;
  /** Shown in /readyz answers. */
  readonly state: () => string;
  /** Absent on pods that run without intake. */
  readonly intake?: RequestIntake;
  readonly tokens: TokenTable;
  readonly trace?: FeedbackTrace;
  /** The input limits of `POST /v1/messages` (the configuration's `limits`); defaults otherwise. */
  readonly limits?: RequestLimits;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body['error'] ?? status));
  }
}

/**
 * Answers that leave the request body unread close the connection: keeping it alive would mean
 * reading (and discarding) a body of any size first.
 */
const CLOSE = { connection: 'close' };

export class HttpServer {
  private readonly server: Server;
  private readonly requests: Counter<'route' | 'code'>;
  private draining = false;

  constructor(private readonly options: HttpServerOptions) {
    this.requests =
      (options.registry.getSingleMetric('notify_http_requests_total') as Counter<'route' | 'code'> | undefined) ??
      new Counter({ name: 'notify_http_requests_total', help: 'HTTP requests answered, by route and status code', labelNames: ['route', 'code'], registers: [options.registry] });
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  /** Listens; resolves with the bound port (useful with port 0). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops taking new intake requests (503) while the pod drains; probes keep answering. */
  drain(): void {
    this.draining = true;
  }

  /** Stops listening and waits for open requests (bounded by the caller's shutdown timer). */
  async close(): Promise<void> {
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let route = 'other';
    try {
      if (req.method === 'GET' && url.pathname === '/healthz') {
        route = 'healthz';
        return this.json(res, route, 200, { status: 'ok' });
      }
      if (req.method === 'GET' && url.pathname === '/readyz') {
        route = 'readyz';
        const ready = this.options.isReady();
        return this.json(res, route, ready ? 200 : 503, { ready, state: this.options.state() });
      }
      if (req.method === 'GET' && url.pathname === '/metrics') {
        route = 'metrics';
        const workers = await this.options.workerMetrics?.();
        const text = await (workers ? Registry.merge([this.options.registry, workers]) : this.options.registry).metrics();
        this.requests.inc({ route, code: '200' });
        res.writeHead(200, { 'content-type': this.options.registry.contentType });
        res.end(text);
        return;
      }
      if (url.pathname === '/v1/messages') {
        route = 'post_message';
        if (req.method !== 'POST') throw new HttpError(405, { error: 'method not allowed; use POST' });
        return await this.postMessage(req, res, route);
      }
      const m = /^\/v1\/messages\/([^/]+)$/.exec(url.pathname);
      if (m) {
        route = 'get_message';
        if (req.method !== 'GET') throw new HttpError(405, { error: 'method not allowed; use GET' });
        return await this.getMessage(req, res, route, decodeURIComponent(m[1]!));
      }
      throw new HttpError(404, { error: 'not found' });
    } catch (err) {
      if (err instanceof HttpError) return this.json(res, route, err.status, err.body, err.headers);
      if (err instanceof KafkaUnavailableError) {
        this.options.logger.warn({ err, route }, 'Kafka unavailable; answering 503');
        return this.json(res, route, 503, { error: 'Kafka is unavailable; nothing was accepted, retry later' }, { 'retry-after': '5' });
      }
      this.options.logger.error({ err, route }, 'HTTP handler failed');
      return this.json(res, route, 500, { error: 'internal error' });
    }
  }

  /** The business unit of the request's bearer token; 401 when absent or unknown. */
  private authenticate(req: IncomingMessage): string {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new HttpError(401, { error: 'missing bearer token' });
    const unit = this.options.tokens.unitOf(m[1]!);
    if (unit === undefined) throw new HttpError(401, { error: 'unknown bearer token' });
    return unit;
  }

  private async postMessage(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const unit = this.authenticate(req);
    if (!this.options.intake) throw new HttpError(404, { error: 'intake is disabled on this pod' });
    if (this.draining) throw new HttpError(503, { error: 'shutting down; retry on another pod' });
    const limits = this.options.limits ?? DEFAULT_REQUEST_LIMITS;
    const body = await readJson(req, limits.requestBytes);
    if (body && typeof body === 'object' && 'businessUnit' in body && typeof body.businessUnit === 'string' && body.businessUnit !== unit) {
      throw new HttpError(403, { error: `the token belongs to business unit ${unit}, not ${body.businessUnit}` });
    }
    const parsed = parseRequestBody(body, appCodecs().request.entry.type, Date.now(), limits);
    if (!parsed.ok) {
      const first = parsed.problems[0]!;
      throw new HttpError(400, { error: `${first.field}: ${first.message}`, field: first.field, problems: parsed.problems });
    }
    const delivered = await this.options.intake.submit(parsed.request);
    this.options.logger.info({ messageId: parsed.request.messageId, businessUnit: unit, partition: delivered.partition, offset: delivered.offset }, 'request accepted');
    return this.json(res, route, 202, { messageId: parsed.request.messageId });
  }

  private async getMessage(req: IncomingMessage, res: ServerResponse, route: string, messageId: string): Promise<void> {
    const unit = this.authenticate(req);
    if (!this.options.trace) throw new HttpError(404, { error: 'trace is disabled on this pod' });
    let trace;
    try {
      trace = await this.options.trace.trace(messageId, { timeoutMs: 20_000 });
    } catch (cause) {
      throw new KafkaUnavailableError('reading the feedback topic failed', { cause });
    }
    if (trace.events.length === 0) throw new HttpError(404, { error: 'no feedback events for this message (unknown, or not processed yet)', messageId });
    const owner = trace.events[0]!.businessUnit;
    if (owner !== unit) throw new HttpError(403, { error: `the message belongs to business unit ${owner}` });
    return this.json(res, route, 200, trace as unknown as Record<string, unknown>);
  }

  private json(res: ServerResponse, route: string, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
    this.requests.inc({ route, code: String(status) });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
}

/**
 * Reads a JSON body of at most `maxBytes`. A declared Content-Length over the limit is refused
 * before reading anything; a body that grows past it (chunked) stops being read at the chunk
 * that crosses it — nothing past the limit is buffered — and the connection is closed after
 * the 413.
 */
async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, { error: 'expected content-type application/json' }, CLOSE);
  const tooLarge = (): HttpError => new HttpError(413, { error: `body larger than ${maxBytes} bytes (limits.requestBytes)` }, CLOSE);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        done();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, { error: '(body): not valid JSON', field: '(body)' });
  }
}
