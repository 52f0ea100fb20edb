/**
 * OAuth2 access tokens for a Google service account (the flow FCM HTTP v1 needs): an RS256
 * JWT assertion (`iss` = client_email, `scope`, `aud` = token endpoint, one-hour `exp`)
 * exchanged at the token endpoint with the jwt-bearer grant. The endpoint is configurable so
 * tests and staging can point it at a local server.
 */
import { SignJWT, importPKCS8 } from 'jose';
import type { Dispatcher } from 'undici';
import { ChannelError } from '../channel-error.js';
import type { FetchedToken } from '../http/access-token-cache.js';
import { httpRequest, snippet } from '../http/http-json.js';
import type { Secret } from '../secret.js';

/** The scope FCM HTTP v1 requires. */
export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

interface ServiceAccount {
  client_email: string;
  private_key: string;
}

/** Parses the service-account JSON; errors name the config key, never the content. */
export function parseServiceAccount(secret: Secret, key: string): ServiceAccount {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret.reveal());
  } catch {
    throw new ChannelError('SECRET_UNAVAILABLE', `${key}: service account is not valid JSON`);
  }
  const account = parsed as Partial<ServiceAccount> | null;
  if (typeof account?.client_email !== 'string' || typeof account.private_key !== 'string') {
    throw new ChannelError('SECRET_UNAVAILABLE', `${key}: service account needs client_email and private_key`);
  }
  return { client_email: account.client_email, private_key: account.private_key };
}

/** Returns a fetcher for {@link AccessTokenCache}. */
export function serviceAccountTokenFetcher(
  account: ServiceAccount,
  tokenUrl: string,
  dispatcher: Dispatcher,
  scope = FCM_SCOPE,
): () => Promise<FetchedToken> {
  let key: ReturnType<typeof importPKCS8> | undefined;
  return async () => {
    key ??= importPKCS8(account.private_key, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(account.client_email)
      .setAudience(tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await key);
    const response = await httpRequest(dispatcher, tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const body = response.json as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (response.status !== 200 || typeof body?.access_token !== 'string') {
      throw new ChannelError('NOT_CONNECTED', `token endpoint answered HTTP ${response.status} ${snippet(response.text, 120)}`, { retriable: true });
    }
    return { token: body.access_token, expiresInSeconds: typeof body.expires_in === 'number' ? body.expires_in : 3600 };
  };
}
