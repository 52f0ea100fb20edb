/**
 * WeChat official-account template messages. The access_token (2 h) is fetched from
 * `GET /cgi-bin/token?grant_type=client_credential&appid=..&secret=..`, cached, and refreshed
 * before expiry; when a send answers 40001 / 40014 / 42001 (token invalid or expired, e.g.
 * another process refreshed it) the token is refetched and the same message resent once, so
 * it is not lost. Sends go to `POST /cgi-bin/message/template/send?access_token=..` with
 * `{touser: openId, template_id: templateCode, data: {key: {value}}}`. The secret travels in a
 * query string, so request URLs are never put into reasons or logs.
 */
import type { Agent } from 'undici';
import { ChannelError, accepted, describeError, permanent, retryable } from '../channel-error.js';
import { AccessTokenCache, withAccessToken } from '../http/access-token-cache.js';
import type { FetchedToken, TokenAttempt } from '../http/access-token-cache.js';
import { createAgent, httpRequest, isRetryableStatus, snippet } from '../http/http-json.js';
import type { WechatProviderConfig } from '../provider-config.js';
import type { Secret } from '../secret.js';
import type { Channel, ChannelProvider, OutboundMessage, SendResult } from '../types.js';

const TOKEN_ERRORS = new Set([40001, 40014, 42001]);
/** The user cannot receive from us: not following, bad openid, or blocked template messages. */
const UNREGISTERED_ERRORS = new Set([40003, 43004, 43101]);
/** System busy, frequency and quota limits. */
const RETRYABLE_ERRORS = new Set([-1, 45009, 45011, 45047]);

/** WeChat template-message provider. */
export class WechatTemplateProvider implements ChannelProvider {
  readonly name: string;
  readonly channel: Channel;
  readonly #config: WechatProviderConfig;
  readonly #agent: Agent;
  readonly #tokens: AccessTokenCache;

  constructor(config: WechatProviderConfig, channel: Channel, appSecret: Secret) {
    this.name = config.name;
    this.channel = channel;
    this.#config = config;
    this.#agent = createAgent(config.connections);
    this.#tokens = new AccessTokenCache(() => this.#fetchToken(appSecret), { refreshMarginMs: 5 * 60_000 });
  }

  /** Token fetches so far (refreshes included). */
  get tokenFetches(): number {
    return this.#tokens.fetches;
  }

  async prepare(): Promise<void> {
    await this.#tokens.get();
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const openId = message.recipient.openId;
    if (!openId) return permanent(message.messageId, this.name, 'missing recipient.openId');
    if (!message.templateCode) return permanent(message.messageId, this.name, 'missing templateCode (WeChat template_id)');
    const data = Object.fromEntries(Object.entries(message.templateParams).map(([key, value]) => [key, { value }]));
    const body = JSON.stringify({ touser: openId, template_id: message.templateCode, data });
    try {
      return await withAccessToken(
        this.#tokens,
        async (token): Promise<TokenAttempt<SendResult>> => {
          const response = await httpRequest(
            this.#agent,
            `${this.#config.url}/cgi-bin/message/template/send?access_token=${encodeURIComponent(token)}`,
            { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal },
          );
          const json = response.json as { errcode?: unknown; errmsg?: unknown; msgid?: unknown } | undefined;
          const errcode = typeof json?.errcode === 'number' ? json.errcode : undefined;
          const reason = `WeChat HTTP ${response.status} errcode ${errcode ?? '-'} ${typeof json?.errmsg === 'string' ? snippet(json.errmsg, 120) : ''}`.trim();
          if (errcode !== undefined && TOKEN_ERRORS.has(errcode)) return { tokenRejected: true, reason };
          if (response.status === 200 && errcode === 0) {
            const msgid = json?.msgid;
            return { result: accepted(message.messageId, this.name, 1, msgid === undefined ? undefined : String(msgid)) };
          }
          if (errcode !== undefined && UNREGISTERED_ERRORS.has(errcode)) return { result: permanent(message.messageId, this.name, reason, true) };
          if ((errcode !== undefined && RETRYABLE_ERRORS.has(errcode)) || isRetryableStatus(response.status) || errcode === undefined) {
            return { result: retryable(message.messageId, this.name, reason) };
          }
          return { result: permanent(message.messageId, this.name, reason) };
        },
        (reason) => retryable(message.messageId, this.name, reason),
      );
    } catch (error) {
      return retryable(message.messageId, this.name, `WeChat request failed: ${describeError(error)}`);
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #fetchToken(appSecret: Secret): Promise<FetchedToken> {
    const query = new URLSearchParams({ grant_type: 'client_credential', appid: this.#config.appId, secret: appSecret.reveal() });
    const response = await httpRequest(this.#agent, `${this.#config.url}/cgi-bin/token?${query.toString()}`, {
      method: 'GET',
      signal: AbortSignal.timeout(10_000),
    });
    const json = response.json as { access_token?: unknown; expires_in?: unknown; errcode?: unknown } | undefined;
    if (response.status !== 200 || typeof json?.access_token !== 'string') {
      const code = typeof json?.errcode === 'number' ? ` errcode ${json.errcode}` : '';
      throw new ChannelError('NOT_CONNECTED', `WeChat token endpoint answered HTTP ${response.status}${code}`, { retriable: true });
    }
    return { token: json.access_token, expiresInSeconds: typeof json.expires_in === 'number' ? json.expires_in : 7200 };
  }
}
