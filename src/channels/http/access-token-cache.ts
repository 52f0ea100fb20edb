/**
 * Caches one OAuth-style access token (FCM, Huawei, WeChat) and refreshes it before it expires.
 * Fetches are single-flight: a thousand concurrent sends trigger one token request. When the
 * API says a token is stale, callers invalidate *that* token only, so a burst of failures from
 * one stale token causes one refresh, not a thousand.
 */
import { ChannelError, describeError } from '../channel-error.js';

/** A token and how long it lives. */
export interface FetchedToken {
  token: string;
  expiresInSeconds: number;
}

/** Options for {@link AccessTokenCache}. */
export interface AccessTokenCacheOptions {
  /** Refresh this long before expiry, so a token never expires in flight. */
  refreshMarginMs?: number;
  now?: () => number;
}

/** A single-flight, refresh-before-expiry token cache. */
export class AccessTokenCache {
  readonly #fetch: () => Promise<FetchedToken>;
  readonly #margin: number;
  readonly #now: () => number;
  #token: string | undefined;
  #expiresAt = 0;
  #pending: Promise<string> | undefined;
  #fetches = 0;

  constructor(fetch: () => Promise<FetchedToken>, options: AccessTokenCacheOptions = {}) {
    this.#fetch = fetch;
    this.#margin = options.refreshMarginMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Token requests made so far (for tests and metrics). */
  get fetches(): number {
    return this.#fetches;
  }

  /** A valid token, fetching one when none is cached or it is about to expire. */
  get(): Promise<string> {
    if (this.#token !== undefined && this.#now() < this.#expiresAt - this.#margin) {
      return Promise.resolve(this.#token);
    }
    if (!this.#pending) {
      this.#fetches++;
      this.#pending = this.#fetch()
        .then(({ token, expiresInSeconds }) => {
          this.#token = token;
          this.#expiresAt = this.#now() + expiresInSeconds * 1000;
          return token;
        })
        .catch((error: unknown) => {
          throw error instanceof ChannelError
            ? error
            : new ChannelError('NOT_CONNECTED', `access token request failed (${describeError(error)})`, { retriable: true, cause: error });
        })
        .finally(() => {
          this.#pending = undefined;
        });
    }
    return this.#pending;
  }

  /** Drops the cached token if it is still `token` (a newer one is kept). */
  invalidate(token: string): void {
    if (this.#token === token) {
      this.#token = undefined;
      this.#expiresAt = 0;
    }
  }
}

/** One attempt's outcome: a result, or "the API rejected this token". */
export type TokenAttempt<T> = { result: T } | { tokenRejected: true; reason: string };

/**
 * Runs `attempt` with a cached token; if the API says the token is stale, invalidates it,
 * fetches a fresh one and runs `attempt` once more, so the message is not lost to a token
 * refresh. A second rejection is returned to the caller as `onRejected(reason)`.
 */
export async function withAccessToken<T>(
  cache: AccessTokenCache,
  attempt: (token: string) => Promise<TokenAttempt<T>>,
  onRejected: (reason: string) => T,
): Promise<T> {
  let token = await cache.get();
  let outcome = await attempt(token);
  if ('result' in outcome) return outcome.result;
  cache.invalidate(token);
  token = await cache.get();
  outcome = await attempt(token);
  if ('result' in outcome) return outcome.result;
  cache.invalidate(token);
  return onRejected(outcome.reason);
}
