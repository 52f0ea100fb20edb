/**
 * A local HTTP/1.1 peer for the HTTP-based providers (FCM, Huawei, WeChat, webhook). Each test
 * supplies a handler that speaks the API's success and error shapes per mode; the peer counts
 * sends, remembers arrival times, and can go down and come back on the same port.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { PeerMode, TestPeer } from './test-peer.js';

/** A request as the handler sees it. */
export interface PeerRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A handler's answer; `'hang'` never answers (the client's timeout must fire). */
export type PeerResponse = { status: number; json?: unknown; text?: string; headers?: Record<string, string> } | 'hang';

/** Decides the answer; call `peer.count()` for requests that are sends. */
export type PeerHandler = (request: PeerRequest, peer: HttpPeer) => PeerResponse | Promise<PeerResponse>;

/** A stoppable, restartable HTTP peer on 127.0.0.1. */
export class HttpPeer implements TestPeer {
  mode: PeerMode = 'ok';
  received = 0;
  readonly arrivals: number[] = [];
  readonly requests: PeerRequest[] = [];
  port = 0;
  readonly #handler: PeerHandler;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #hanging = new Set<() => void>();

  private constructor(handler: PeerHandler) {
    this.#handler = handler;
  }

  /** Starts a peer on an ephemeral port. */
  static async start(handler: PeerHandler): Promise<HttpPeer> {
    const peer = new HttpPeer(handler);
    await peer.start();
    return peer;
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Marks the current request as a delivered send. */
  count(): void {
    this.received++;
    this.arrivals.push(performance.now());
  }

  async start(): Promise<void> {
    const server = createServer({ keepAlive: true }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        if (this.requests.length < 10_000) this.requests.push(request);
        void Promise.resolve(this.#handler(request, this)).then((answer) => {
        if (answer === 'hang') {
          const release = () => res.destroy();
          this.#hanging.add(release);
          res.on('close', () => this.#hanging.delete(release));
          return;
        }
        const payload = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.text ?? '');
        res.writeHead(answer.status, {
          'content-type': answer.json !== undefined ? 'application/json' : 'text/plain',
          ...answer.headers,
        });
        res.end(payload);
        });
      });
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const release of this.#hanging) release();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.stop();
  }
}
