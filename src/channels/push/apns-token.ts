/**
 * APNs provider-token auth: an ES256 JWT (`kid` = key id, `iss` = team id, `iat`) signed with
 * the team's .p8 key. Apple rejects tokens older than an hour and throttles clients that
 * refresh more often than every 20 minutes, so one token is reused and replaced after
 * `refreshMinutes` — before it can expire in flight — or when APNs says it expired.
 */
import { SignJWT, importPKCS8 } from 'jose';
import type { Secret } from '../secret.js';

type SigningKey = Awaited<ReturnType<typeof importPKCS8>>;

/** Options for {@link ApnsTokenSigner}. */
export interface ApnsTokenOptions {
  teamId: string;
  keyId: string;
  signingKey: Secret;
  refreshMinutes: number;
  now?: () => number;
}

/** Issues and caches the APNs bearer token. */
export class ApnsTokenSigner {
  readonly #options: ApnsTokenOptions;
  readonly #now: () => number;
  #key: Promise<SigningKey> | undefined;
  #token: string | undefined;
  #issuedAt = 0;
  #pending: Promise<string> | undefined;
  #issued = 0;

  constructor(options: ApnsTokenOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Tokens signed so far. */
  get issued(): number {
    return this.#issued;
  }

  /** The current token, signing a new one when none exists or it is due for refresh. */
  get(): Promise<string> {
    const age = this.#now() - this.#issuedAt;
    if (this.#token !== undefined && age < this.#options.refreshMinutes * 60_000) return Promise.resolve(this.#token);
    this.#pending ??= this.#sign().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Drops `token` if still current (APNs answered ExpiredProviderToken for it). */
  invalidate(token: string): void {
    if (this.#token === token) this.#token = undefined;
  }

  async #sign(): Promise<string> {
    this.#key ??= importPKCS8(this.#options.signingKey.reveal(), 'ES256');
    const now = this.#now();
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.#options.keyId })
      .setIssuer(this.#options.teamId)
      .setIssuedAt(Math.floor(now / 1000))
      .sign(await this.#key);
    this.#token = token;
    this.#issuedAt = now;
    this.#issued++;
    return token;
  }
}
