/**
 * Email over SMTP with nodemailer's pooled transport (a few long-lived connections, many
 * messages each). Classification follows SMTP reply classes: 4xx and connection failures are
 * retryable; 5xx is permanent, and 550/551/553 on the recipient (user unknown, mailbox gone)
 * also mark the address unregistered. Authentication failures are the provider's problem, not
 * the message's, so they are retryable (the circuit opens and the pool fails over).
 */
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { accepted, describeError, permanent, retryable } from '../channel-error.js';
import type { SmtpProviderConfig } from '../provider-config.js';
import type { Secret } from '../secret.js';
import type { Channel, ChannelProvider, OutboundMessage, SendResult } from '../types.js';

const GONE_MAILBOX = new Set([550, 551, 553]);

/** Pooled SMTP provider. */
export class SmtpProvider implements ChannelProvider {
  readonly name: string;
  readonly channel: Channel;
  readonly #config: SmtpProviderConfig;
  readonly #transport: Transporter<SMTPPool.SentMessageInfo>;

  constructor(config: SmtpProviderConfig, channel: Channel, password: Secret | undefined) {
    this.name = config.name;
    this.channel = channel;
    this.#config = config;
    const options: SMTPPool.Options = {
      pool: true,
      host: config.host,
      port: config.port,
      secure: config.secure,
      maxConnections: config.maxConnections,
      maxMessages: config.maxMessages,
      tls: { rejectUnauthorized: config.rejectUnauthorized },
      // Bounded so a dead server frees pool slots; the guard's timeout bounds the caller anyway.
      connectionTimeout: Math.max(1_000, config.timeoutMs),
      greetingTimeout: Math.max(1_000, config.timeoutMs),
      socketTimeout: Math.max(5_000, config.timeoutMs * 2),
      logger: false,
      debug: false,
    };
    if (config.user !== undefined) options.auth = { user: config.user, pass: password?.reveal() ?? '' };
    this.#transport = nodemailer.createTransport(options);
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const to = message.recipient.email;
    if (!to) return permanent(message.messageId, this.name, 'missing recipient.email');
    try {
      const info = await this.#transport.sendMail({
        from: this.#config.from,
        to,
        subject: message.subject ?? '',
        text: message.body,
        headers: { 'X-Notify-Message-Id': message.messageId },
      });
      if (info.rejected.length > 0) return permanent(message.messageId, this.name, `recipient rejected: ${info.response}`);
      return accepted(message.messageId, this.name, 1, info.messageId);
    } catch (error) {
      return this.#classify(message, error);
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
    return Promise.resolve();
  }

  #classify(message: OutboundMessage, error: unknown): SendResult {
    const e = error as { responseCode?: unknown; code?: unknown; command?: unknown };
    const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
    const reason = `SMTP ${responseCode ?? ''} ${describeError(error)}`.replace(/\s+/g, ' ').trim();
    if (responseCode === undefined || responseCode < 500 || e.code === 'EAUTH') {
      return retryable(message.messageId, this.name, reason);
    }
    const onRecipient = e.command === 'RCPT TO' || e.code === 'EENVELOPE';
    return permanent(message.messageId, this.name, reason, onRecipient && GONE_MAILBOX.has(responseCode));
  }
}
