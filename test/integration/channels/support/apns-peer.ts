/**
 * A local APNs: HTTP/2 over TLS with a generated certificate, verifying the ES256 provider
 * token like Apple does and answering `/3/device/<token>` per mode with APNs' status codes and
 * `{"reason": ...}` bodies.
 */
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer, Http2Session, IncomingHttpHeaders } from 'node:http2';
import { importSPKI, jwtVerify } from 'jose';
import type { PeerMode, TestPeer } from './test-peer.js';
import type { TestCertificate } from './test-certificate.js';

/** One request as APNs saw it. */
export interface ApnsRequest {
  headers: IncomingHttpHeaders;
  body: string;
  deviceToken: string;
}

/** A stoppable APNs peer. */
export class ApnsPeer implements TestPeer {
  mode: PeerMode = 'ok';
  received = 0;
  readonly arrivals: number[] = [];
  readonly requests: ApnsRequest[] = [];
  /** Answer the next N requests with 403 ExpiredProviderToken. */
  expireTokens = 0;
  port = 0;
  readonly #cert: TestCertificate;
  readonly #publicKeyPem: string;
  #server: Http2SecureServer | undefined;
  readonly #sessions = new Set<Http2Session>();

  private constructor(cert: TestCertificate, publicKeyPem: string) {
    this.#cert = cert;
    this.#publicKeyPem = publicKeyPem;
  }

  static async start(cert: TestCertificate, publicKeyPem: string): Promise<ApnsPeer> {
    const peer = new ApnsPeer(cert, publicKeyPem);
    await peer.start();
    return peer;
  }

  async start(): Promise<void> {
    const publicKey = await importSPKI(this.#publicKeyPem, 'ES256');
    const server = createSecureServer({ key: this.#cert.key, cert: this.#cert.cert });
    server.on('session', (session) => {
      this.#sessions.add(session);
      session.on('close', () => this.#sessions.delete(session));
      session.on('error', () => undefined);
    });
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('error', () => undefined);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const path = String(headers[':path'] ?? '');
        const deviceToken = decodeURIComponent(path.replace(/^\/3\/device\//, ''));
        const reply = (status: number, reason?: string) => {
          if (stream.closed) return;
          stream.respond({ ':status': status, 'apns-id': `apns-${this.received}` });
          stream.end(reason ? JSON.stringify({ reason }) : undefined);
        };
        const bearer = String(headers.authorization ?? '').replace(/^bearer /, '');
        jwtVerify(bearer, publicKey, { algorithms: ['ES256'] }).then(
          ({ payload, protectedHeader }) => {
            if (payload.iss !== 'TEAM123456' || protectedHeader.kid !== 'KEY1234567') return reply(403, 'InvalidProviderToken');
            if (this.expireTokens > 0) {
              this.expireTokens--;
              return reply(403, 'ExpiredProviderToken');
            }
            this.received++;
            this.arrivals.push(performance.now());
            this.requests.push({ headers, body: Buffer.concat(chunks).toString('utf8'), deviceToken });
            switch (this.mode) {
              case 'ok':
                return reply(200);
              case 'permanent':
                return reply(410, 'Unregistered');
              case 'retryable':
                return reply(503, 'ServiceUnavailable');
              case 'hang':
                return undefined;
            }
          },
          () => reply(403, 'InvalidProviderToken'),
        );
      });
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
    for (const session of this.#sessions) session.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.stop();
  }
}
