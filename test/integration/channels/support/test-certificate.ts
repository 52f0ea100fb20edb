/**
 * A throwaway self-signed TLS certificate for 127.0.0.1, generated at test time with the
 * openssl CLI (EC P-256, one day), written to a temp directory so configs can name the file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';

/** PEM key and certificate plus where they were written. */
export interface TestCertificate {
  key: string;
  cert: string;
  certPath: string;
  dir: string;
}

/** Generates a certificate valid for 127.0.0.1 and localhost. */
export function generateTestCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'notify-channels-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath,
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath, dir };
}

/** An EC P-256 key pair as PEM (APNs .p8-style PKCS#8 private key), private key written to a file. */
export function generateEs256Key(dir: string): { privateKeyPath: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateKeyPath = join(dir, 'AuthKey_TEST.p8');
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { privateKeyPath, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** An RSA key pair (service-account style) as PEM. */
export function generateRsaKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
