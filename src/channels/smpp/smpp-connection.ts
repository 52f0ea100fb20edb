/**
 * One SMPP 3.4 transceiver session kept alive: connect, bind_transceiver, enquire_link
 * keep-alive (a link that does not answer within one period is dropped), re-bind after loss
 * with capped exponential backoff, and a window of outstanding submit_sm PDUs. Incoming
 * deliver_sm PDUs are answered here and handed to `onDeliverSm`.
 */
import { ChannelError, describeError } from '../channel-error.js';
import { InFlightLimiter } from '../guard/in-flight-limiter.js';
import type { Secret } from '../secret.js';
import { createPdu, smpp } from './smpp-lib.js';
import type { SmppPdu, SmppSession } from './smpp-lib.js';

/** Connection settings. */
export interface SmppConnectionOptions {
  host: string;
  port: number;
  tls: boolean;
  systemId: string;
  password: Secret;
  systemType: string;
  window: number;
  enquireLinkMs: number;
  reconnectMs: number;
  bindTimeoutMs: number;
  onDeliverSm: (pdu: SmppPdu) => void;
}

/** Connection lifecycle. */
export type SmppConnectionState = 'idle' | 'connecting' | 'bound' | 'down' | 'closed';

const MAX_BACKOFF_MS = 30_000;

/** A self-healing transceiver bind with a submit window. */
export class SmppConnection {
  readonly #options: SmppConnectionOptions;
  readonly #window: InFlightLimiter;
  #state: SmppConnectionState = 'idle';
  #session: SmppSession | undefined;
  #binding: Promise<void> | undefined;
  #pending = new Map<number, (pdu: SmppPdu | Error) => void>();
  #enquireTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #lastError = '';

  constructor(options: SmppConnectionOptions) {
    this.#options = options;
    this.#window = new InFlightLimiter(options.window);
  }

  get state(): SmppConnectionState {
    return this.#state;
  }

  /** Resolves once bound; starts a bind if none is under way. Rejects with a retriable error. */
  ensureBound(): Promise<void> {
    if (this.#state === 'bound') return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new ChannelError('PROVIDER_CLOSED', 'SMPP provider closed'));
    if (!this.#binding) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = undefined;
      this.#binding = this.#connect().finally(() => {
        this.#binding = undefined;
      });
    }
    return this.#binding;
  }

  /**
   * Sends one PDU inside the window and resolves with its response. `signal` abandons the wait
   * (the window slot is released; a late response is ignored). `onResponse` runs synchronously
   * when the response is read, before PDUs behind it in the same chunk are handled.
   */
  async request(
    command: string,
    params: Record<string, unknown>,
    signal: AbortSignal,
    onResponse?: (pdu: SmppPdu) => void,
  ): Promise<SmppPdu> {
    const slot = this.#window.acquire();
    if (slot) await slot; // rejects on close, before a slot is held
    try {
      return await new Promise<SmppPdu>((resolve, reject) => {
        const session = this.#session;
        if (this.#state !== 'bound' || !session) {
          reject(new ChannelError('NOT_CONNECTED', `SMPP not bound (${this.#lastError || this.#state})`, { retriable: true }));
          return;
        }
        const pdu = createPdu(command, params);
        let settled = false;
        const settle = (answer: SmppPdu | Error) => {
          if (settled) return;
          settled = true;
          this.#pending.delete(pdu.sequence_number);
          signal.removeEventListener('abort', onAbort);
          if (answer instanceof Error) {
            reject(answer);
            return;
          }
          onResponse?.(answer);
          resolve(answer);
        };
        const onAbort = () => settle(new ChannelError('NOT_CONNECTED', 'SMPP response timed out', { retriable: true }));
        signal.addEventListener('abort', onAbort, { once: true });
        if (!session.send(pdu, settle)) {
          settle(new ChannelError('NOT_CONNECTED', 'SMPP socket not writable', { retriable: true }));
          return;
        }
        this.#pending.set(pdu.sequence_number, settle);
      });
    } finally {
      this.#window.release();
    }
  }

  /** Unbinds politely (bounded wait), then drops the socket. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const session = this.#session;
    const wasBound = this.#state === 'bound';
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#enquireTimer);
    this.#window.close();
    if (session && wasBound) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        if (!session.send(createPdu('unbind'), () => (clearTimeout(timer), resolve()))) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    session?.destroy();
    this.#failPending('SMPP provider closed');
  }

  #connect(): Promise<void> {
    this.#state = 'connecting';
    const o = this.#options;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(bindTimer);
        if (error) reject(error);
        else resolve();
      };
      const bindTimer = setTimeout(() => {
        this.#lastError = `bind timed out after ${o.bindTimeoutMs} ms`;
        session.destroy();
        finish(new ChannelError('NOT_CONNECTED', `SMPP ${this.#lastError}`, { retriable: true }));
      }, o.bindTimeoutMs);
      const session = smpp.connect({ host: o.host, port: o.port, tls: o.tls, noDelay: true }, () => {
        const bind = createPdu('bind_transceiver', {
          system_id: o.systemId,
          password: o.password.reveal(),
          system_type: o.systemType,
          interface_version: 0x34,
        });
        session.send(bind, (response) => {
          if (response.command_status !== 0) {
            this.#lastError = `bind rejected with command_status 0x${response.command_status.toString(16)}`;
            session.destroy();
            finish(new ChannelError('NOT_CONNECTED', `SMPP ${this.#lastError}`, { retriable: true }));
            return;
          }
          if (this.#state === 'closed') {
            session.destroy();
            finish(new ChannelError('PROVIDER_CLOSED', 'SMPP provider closed'));
            return;
          }
          this.#state = 'bound';
          this.#failures = 0;
          this.#lastError = '';
          this.#startEnquireLink(session);
          finish();
        });
      });
      this.#session = session;
      session.on('error', (error: unknown) => {
        // The password is never part of a socket error; the message is safe to keep.
        this.#lastError = describeError(error);
      });
      session.on('close', () => {
        if (this.#session === session) this.#onLost(session);
        finish(new ChannelError('NOT_CONNECTED', `SMPP connection lost (${this.#lastError || 'closed'})`, { retriable: true }));
      });
      session.on('deliver_sm', (pdu: SmppPdu) => {
        session.send(pdu.response());
        this.#options.onDeliverSm(pdu);
      });
      session.on('enquire_link', (pdu: SmppPdu) => session.send(pdu.response()));
      session.on('unbind', (pdu: SmppPdu) => {
        this.#lastError = 'SMSC unbound';
        session.send(pdu.response());
        session.close();
      });
    });
  }

  #startEnquireLink(session: SmppSession): void {
    clearInterval(this.#enquireTimer);
    let outstanding = false;
    this.#enquireTimer = setInterval(() => {
      if (outstanding) {
        // No answer within a whole period: the link is dead even if TCP has not noticed.
        this.#lastError = 'enquire_link unanswered';
        session.destroy();
        return;
      }
      outstanding = true;
      session.send(createPdu('enquire_link'), () => {
        outstanding = false;
      });
    }, this.#options.enquireLinkMs);
    this.#enquireTimer.unref();
  }

  #onLost(session: SmppSession): void {
    clearInterval(this.#enquireTimer);
    this.#session = undefined;
    session.removeAllListeners('deliver_sm');
    this.#failPending(`SMPP connection lost (${this.#lastError || 'closed'})`);
    if (this.#state === 'closed') return;
    this.#state = 'down';
    // Re-bind in the background so receipts keep flowing after a blip; sends may trigger it sooner.
    const delay = Math.min(MAX_BACKOFF_MS, this.#options.reconnectMs * 2 ** Math.min(this.#failures, 10));
    this.#failures++;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.ensureBound().catch(() => undefined);
    }, delay);
    this.#reconnectTimer.unref();
  }

  #failPending(reason: string): void {
    const error = new ChannelError('NOT_CONNECTED', reason, { retriable: true });
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const settle of pending) settle(error);
  }
}
