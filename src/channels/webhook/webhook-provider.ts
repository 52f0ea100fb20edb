/**
 * Webhook provider: one HTTP POST per message to the recipient's URL (or a fixed URL from
 * config), JSON body, HMAC-SHA256 signature and timestamp headers, keep-alive connection pools
 * per origin (undici Agent). 2xx is ACCEPTED; 408/425/429/5xx and network errors are retryable;
 * 410 Gone means the endpoint was removed (permanent, unregistered); other 4xx are permanent.
 */
import type { Agent } from 'undici';
import { accepted, describeError, permanent, retryable } from '../channel-error.js';
import { createAgent, httpRequest, isRetryableStatus, snippet } from '../http/http-json.js';
import type { WebhookProviderConfig } from '../provider-config.js';
import type { Secret } from '../secret.js';
import type { Channel, ChannelProvider, OutboundMessage, SendResult } from '../types.js';
import { signWebhook } from './webhook-signature.js';

/** Signed JSON POSTs over pooled keep-alive connections. */
export class WebhookProvider implements ChannelProvider {
  readonly name: string;
  readonly channel: Channel;
  readonly #config: WebhookProviderConfig;
  readonly #secret: Secret;
  readonly #agent: Agent;

  constructor(config: WebhookProviderConfig, channel: Channel, secret: Secret) {
    this.name = config.name;
    this.channel = channel;
    this.#config = config;
    this.#secret = secret;
    this.#agent = createAgent(config.connections);
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const target = this.#config.url ?? message.recipient.webhookUrl;
    if (!target) return permanent(message.messageId, this.name, 'missing recipient.webhookUrl');
    if (!/^https?:\/\//.test(target)) return permanent(message.messageId, this.name, 'webhook URL must be http(s)');
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      messageId: message.messageId,
      category: message.category,
      userId: message.recipient.userId,
      subject: message.subject,
      body: message.body,
      templateCode: message.templateCode,
      templateParams: message.templateParams,
      tags: message.tags,
      timestamp,
    });
    let response;
    try {
      response = await httpRequest(this.#agent, target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [this.#config.timestampHeader]: String(timestamp),
          [this.#config.signatureHeader]: signWebhook(this.#secret.reveal(), timestamp, body),
          'x-notify-message-id': message.messageId,
        },
        body,
        signal,
      });
    } catch (error) {
      return retryable(message.messageId, this.name, `webhook request failed: ${describeError(error)}`);
    }
    const { status } = response;
    if (status >= 200 && status < 300) {
      const requestId = response.headers['x-request-id'];
      return accepted(message.messageId, this.name, 1, typeof requestId === 'string' ? requestId : undefined);
    }
    const reason = `HTTP ${status} ${snippet(response.text)}`.trim();
    if (status === 410) return permanent(message.messageId, this.name, reason, true);
    if (isRetryableStatus(status)) return retryable(message.messageId, this.name, reason);
    return permanent(message.messageId, this.name, reason);
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
