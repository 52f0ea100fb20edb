/**
 * A local SMTP server (`smtp-server`) requiring AUTH, answering RCPT TO per mode (250, 550
 * user unknown, 451 try later, or silence) and keeping every accepted message.
 */
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { PeerMode, TestPeer } from './test-peer.js';

/** A message as the server stored it. */
export interface StoredMail {
  from: string;
  to: string[];
  raw: string;
}

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

/** A stoppable SMTP peer. */
export class SmtpPeer implements TestPeer {
  mode: PeerMode = 'ok';
  received = 0;
  readonly arrivals: number[] = [];
  readonly mails: StoredMail[] = [];
  connections = 0;
  port = 0;
  #server: SMTPServer | undefined;

  static async start(): Promise<SmtpPeer> {
    const peer = new SmtpPeer();
    await peer.start();
    return peer;
  }

  async start(): Promise<void> {
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      closeTimeout: 50,
      logger: false,
      onConnect: (_session, callback) => {
        this.connections++;
        callback();
      },
      onAuth: (auth, _session, callback) => {
        if (auth.username === 'notify' && auth.password === 'smtp-secret') callback(null, { user: auth.username });
        else callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
      },
      onRcptTo: (_address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error | null) => void) => {
        this.received++;
        this.arrivals.push(performance.now());
        switch (this.mode) {
          case 'ok':
            return callback();
          case 'permanent':
            return callback(smtpError(550, '5.1.1 User unknown'));
          case 'retryable':
            return callback(smtpError(451, '4.3.0 Try again later'));
          case 'hang':
            return undefined;
        }
      },
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          this.mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.stop();
  }
}
