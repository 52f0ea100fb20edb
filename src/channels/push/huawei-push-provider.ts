/**
 * Huawei Push Kit (HMS) server API, the Android vendor channel for phones without Google
 * services. Real endpoints (defaults in config):
 *
 * - token: `POST https://oauth-login.cloud.huawei.com/oauth2/v3/token`, form
 *   `grant_type=client_credentials&client_id=<appId>&client_secret=<secret>` →
 *   `{"access_token": "...", "expires_in": 3600, "token_type": "Bearer"}`
 * - send: `POST https://push-api.cloud.huawei.com/v1/<appId>/messages:send`,
 *   `Authorization: Bearer <token>`, body
 *   `{"validate_only": false, "message": {"android": {"urgency": "HIGH", "ttl": "86400s",
 *   "notification": {"title": "...", "body": "...", "click_action": {"type": 3}}},
 *   "token": ["<device token>"]}}` → `{"code": "80000000", "msg": "Success", "requestId": "..."}`
 *
 * Result codes: 80000000 success; 80200001/80200003 OAuth token invalid/expired (refresh and
 * resend once); 80300007 all tokens invalid and 80100000 with our single token listed as
 * illegal (permanent, unregistered); 81000001 internal error and HTTP 5xx/429 (retryable);
 * other 801xxxxx/803xxxxx parameter or permission errors (permanent).
 */
import type { Agent } from 'undici';
import { accepted, describeError, permanent, retryable } from '../channel-error.js';
import { AccessTokenCache, withAccessToken } from '../http/access-token-cache.js';
import type { FetchedToken, TokenAttempt } from '../http/access-token-cache.js';
import { createAgent, httpRequest, isRetryableStatus, snippet } from '../http/http-json.js';
import type { HttpResponse } from '../http/http-json.js';
import type { HuaweiPushProviderConfig } from '../provider-config.js';
import type { Secret } from '../secret.js';
import { ChannelError } from '../channel-error.js';
import type { Channel, ChannelProvider, OutboundMessage, SendResult } from '../types.js';
import { isUrgent, platformMatches, ttlSeconds } from './push-priority.js';

const SUCCESS = '80000000';
const PARTIAL = '80100000';
const TOKEN_CODES = new Set(['80200001', '80200003']);
const UNREGISTERED_CODES = new Set(['80300007']);
const RETRYABLE_CODES = new Set(['81000001', '80600003']);

/** Huawei Push Kit provider. */
export class HuaweiPushProvider implements ChannelProvider {
  readonly name: string;
  readonly channel: Channel;
  readonly #config: HuaweiPushProviderConfig;
  readonly #agent: Agent;
  readonly #tokens: AccessTokenCache;

  constructor(config: HuaweiPushProviderConfig, channel: Channel, clientSecret: Secret) {
    this.name = config.name;
    this.channel = channel;
    this.#config = config;
    this.#agent = createAgent(config.connections);
    this.#tokens = new AccessTokenCache(() => this.#fetchToken(clientSecret), { refreshMarginMs: 5 * 60_000 });
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
    const url = `${this.#config.url}/v1/${encodeURIComponent(this.#config.appId)}/messages:send`;
    const body = JSON.stringify({ validate_only: false, message: this.#payload(message, deviceToken) });
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
          const code = resultCode(response);
          if (code !== undefined && TOKEN_CODES.has(code)) return { tokenRejected: true, reason: `Huawei ${code} token rejected` };
          return { result: this.#classify(message, response, code) };
        },
        (reason) => retryable(message.messageId, this.name, reason),
      );
    } catch (error) {
      return retryable(message.messageId, this.name, `Huawei request failed: ${describeError(error)}`);
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #payload(message: OutboundMessage, token: string): Record<string, unknown> {
    const ttl = ttlSeconds(message);
    const android: Record<string, unknown> = {
      urgency: isUrgent(message) ? 'HIGH' : 'NORMAL',
      notification: {
        ...(message.subject === undefined ? {} : { title: message.subject }),
        body: message.body,
        click_action: { type: 3 }, // open the app's home screen
      },
    };
    if (ttl !== undefined) android.ttl = `${ttl}s`;
    // Huawei's collapse_key is a small integer (-1..100); other keys cannot be expressed.
    if (message.collapseKey !== undefined && /^-?\d{1,3}$/.test(message.collapseKey)) android.collapse_key = Number(message.collapseKey);
    return { android, data: JSON.stringify({ messageId: message.messageId }), token: [token] };
  }

  #classify(message: OutboundMessage, response: HttpResponse, code: string | undefined): SendResult {
    const json = response.json as { msg?: unknown; requestId?: unknown } | undefined;
    const msg = typeof json?.msg === 'string' ? snippet(json.msg, 120) : snippet(response.text, 120);
    const reason = `Huawei HTTP ${response.status} code ${code ?? '-'} ${msg}`.trim();
    if (response.status === 200 && code === SUCCESS) {
      return accepted(message.messageId, this.name, 1, typeof json?.requestId === 'string' ? json.requestId : undefined);
    }
    if (code !== undefined && (UNREGISTERED_CODES.has(code) || code === PARTIAL)) {
      return permanent(message.messageId, this.name, reason, true);
    }
    if ((code !== undefined && RETRYABLE_CODES.has(code)) || isRetryableStatus(response.status)) {
      return retryable(message.messageId, this.name, reason);
    }
    return permanent(message.messageId, this.name, reason);
  }

  async #fetchToken(clientSecret: Secret): Promise<FetchedToken> {
    const response = await httpRequest(this.#agent, this.#config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.#config.clientId ?? this.#config.appId,
        client_secret: clientSecret.reveal(),
      }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const body = response.json as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (response.status !== 200 || typeof body?.access_token !== 'string') {
      throw new ChannelError('NOT_CONNECTED', `Huawei token endpoint answered HTTP ${response.status}`, { retriable: true });
    }
    return { token: body.access_token, expiresInSeconds: typeof body.expires_in === 'number' ? body.expires_in : 3600 };
  }
}

function resultCode(response: HttpResponse): string | undefined {
  const code = (response.json as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : typeof code === 'number' ? String(code) : undefined;
}
