import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { AccessTokenCache, withAccessToken } from '../../../src/channels/http/access-token-cache.js';
import { ApnsTokenSigner } from '../../../src/channels/push/apns-token.js';
import { Secret, resolveSecret } from '../../../src/channels/secret.js';

describe('secrets', () => {
  it('reads from env vars and files, and never prints the value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-secret-'));
    writeFileSync(join(dir, 'key.txt'), 'from-file\n');
    const source = { env: { TOKEN: 'from-env' }, baseDir: dir };
    const fromEnv = resolveSecret({ env: 'TOKEN' }, 'k', source);
    const fromFile = resolveSecret({ file: 'key.txt' }, 'k', source);
    expect(fromEnv.reveal()).toBe('from-env');
    expect(fromFile.reveal()).toBe('from-file');
    const printed = `${String(fromEnv)} ${JSON.stringify({ fromEnv })} ${inspect({ fromFile })}`;
    expect(printed).not.toContain('from-');
    expect(printed).toContain('[redacted]');
  });

  it('names the key and the variable or file when missing', () => {
    const source = { env: {}, baseDir: '/nonexistent' };
    expect(() => resolveSecret({ env: 'NOPE' }, 'channels.pools.a.providers[0].secret', source)).toThrow(
      'channels.pools.a.providers[0].secret: environment variable NOPE is not set',
    );
    expect(() => resolveSecret({ file: 'x.pem' }, 'k', source)).toThrow('k: cannot read secret file /nonexistent/x.pem');
  });
});

describe('AccessTokenCache', () => {
  it('fetches once for concurrent callers and refreshes before expiry', async () => {
    let now = 0;
    let fetched = 0;
    const cache = new AccessTokenCache(async () => ({ token: `t${++fetched}`, expiresInSeconds: 100 }), { refreshMarginMs: 10_000, now: () => now });
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual(['t1', 't1', 't1']);
    now = 89_999;
    expect(await cache.get()).toBe('t1');
    now = 90_000; // inside the margin: refresh before the token can expire in flight
    expect(await cache.get()).toBe('t2');
    expect(cache.fetches).toBe(2);
  });

  it('invalidates only the stale token and retries the attempt once', async () => {
    let fetched = 0;
    const cache = new AccessTokenCache(async () => ({ token: `t${++fetched}`, expiresInSeconds: 3600 }));
    const seen: string[] = [];
    const result = await withAccessToken(
      cache,
      async (token) => (seen.push(token), token === 't1' ? { tokenRejected: true as const, reason: 'expired' } : { result: 'sent' }),
      (reason) => `gave up: ${reason}`,
    );
    expect(result).toBe('sent');
    expect(seen).toEqual(['t1', 't2']);
    cache.invalidate('t1'); // an older token's failure must not evict the fresh one
    expect(await cache.get()).toBe('t2');
  });
});

describe('ApnsTokenSigner', () => {
  it('signs ES256 with kid and iss, reuses the token, and re-signs after the refresh interval', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let now = Date.UTC(2025, 0, 1);
    const signer = new ApnsTokenSigner({
      teamId: 'TEAM',
      keyId: 'KID',
      signingKey: new Secret(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      refreshMinutes: 50,
      now: () => now,
    });
    const first = await signer.get();
    expect(decodeProtectedHeader(first)).toMatchObject({ alg: 'ES256', kid: 'KID' });
    expect(decodeJwt(first)).toMatchObject({ iss: 'TEAM', iat: Math.floor(now / 1000) });
    now += 49 * 60_000;
    expect(await signer.get()).toBe(first);
    now += 60_000; // 50 minutes: before Apple's one-hour limit
    const second = await signer.get();
    expect(second).not.toBe(first);
    expect(signer.issued).toBe(2);
  });
});
