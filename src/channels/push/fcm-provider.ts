/**
 * FCM HTTP v1 (`POST /v1/projects/{project}/messages:send`) with a service-account OAuth2
 * token. UNREGISTERED (HTTP 404) means the device token is gone (permanent, unregistered);
 * 401 refreshes the access token and resends once; 429 and 5xx are retryable; other errors
 * (INVALID_ARGUMENT, SENDER_ID_MISMATCH) are permanent.
 */
import type { Agent } from 'undici';
import { accepted, describeError, permanent, retryable } from '../channel-error.js';
import { withAccessToken } from '../http/access-token-cache.js';
import type { TokenAttempt , AccessTokenCache} from '../http/access-token-cache.js';
import { createAgent, httpRequest, isRetryableStatus, snippet } from '../http/http-json.js';
import type { HttpResponse } from '../http/http-json.js';
import type { FcmProviderConfig } from '../provider-config.js';
import type { Channel, ChannelProvider, OutboundMessage, SendResult } from '../types.js';
import { isUrgent, platformMatches, ttlSeconds } from './push-priority.js';

interface FcmError {
  error?: { code?: number; status?: string; message?: string; details?: Array<{ errorCode?: string }> };
}

/** Firebase Cloud Messaging provider. */
export class FcmProvider implements ChannelProvider {
  readonly name: string;
  readonly channel: Channel;
  readonly #config: FcmProviderConfig;
  readonly #agent: Agent;
  readonly #tokens: AccessTokenCache;

  constructor(config: FcmProviderConfig, channel: Channel, agent: Agent, tokens: AccessTokenCache) {
    this.name = config.name;
    this.channel = channel;
    this.#config = config;
    this.#agent = agent;
    this.#tokens = tokens;
  }

  /** A keep-alive agent sized from config (shared with the token fetcher). */
  static agent(config: FcmProviderConfig): Agent {
    return createAgent(config.connections);
  }

  supports(message: OutboundMessage): boolean {
    return platformMatches(this.#config.platforms, message);
  }

  async prepare(): Promise<void> {
    await this.#tokens.get();
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const deviceToken = message.recipient.deviceToken;
    if (!deviceToken) return permanent(message.messageId, this.name, 'missing recipient.deviceToken');
    const body = JSON.stringify({ message: this.#payload(message, deviceToken) });
    const url = `${this.#config.url}/v1/projects/${encodeURIComponent(this.#config.projectId)}/messages:send`;
    try {
      return await withAccessToken(
        this.#tokens,
        async (token): Promise<TokenAttempt<SendResult>> => {
          const response = await httpRequest(this.#agent, url, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body,
            signal,
          });
          if (response.status === 401) return { tokenRejected: true, reason: 'FCM 401 UNAUTHENTICATED' };
          return { result: this.#classify(message, response) };
        },
        (reason) => retryable(message.messageId, this.name, reason),
      );
    } catch (error) {
      return retryable(message.messageId, this.name, `FCM request failed: ${describeError(error)}`);
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #payload(message: OutboundMessage, token: string): Record<string, unknown> {
    const ttl = ttlSeconds(message);
    const android: Record<string, unknown> = { priority: isUrgent(message) ? 'high' : 'normal' };
    if (ttl !== undefined) android.ttl = `${ttl}s`;
    if (message.collapseKey !== undefined) android.collapse_key = message.collapseKey;
    return {
      token,
      notification: { ...(message.subject === undefined ? {} : { title: message.subject }), body: message.body },
      data: { ...message.templateParams, messageId: message.messageId },
      android,
    };
  }

  #classify(message: OutboundMessage, response: HttpResponse): SendResult {
    const { status } = response;
    if (status === 200) {
      const name = (response.json as { name?: unknown } | undefined)?.name;
      return accepted(message.messageId, this.name, 1, typeof name === 'string' ? name : undefined);
    }
    const error = (response.json as FcmError | undefined)?.error;
    const code = error?.details?.find((d) => typeof d.errorCode === 'string')?.errorCode ?? error?.status;
    const reason = `FCM ${status}${code ? ` ${code}` : ''}${error?.message ? `: ${snippet(error.message, 120)}` : ''}`;
    if (code === 'UNREGISTERED' || status === 404) return permanent(message.messageId, this.name, reason, true);
    if (isRetryableStatus(status) || code === 'QUOTA_EXCEEDED' || code === 'UNAVAILABLE' || code === 'INTERNAL') {
      return retryable(message.messageId, this.name, reason);
    }
    return permanent(message.messageId, this.name, reason);
  }
}
