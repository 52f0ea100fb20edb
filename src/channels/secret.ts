/**
 * Credentials come only from environment variables or files named in config (never inline), and
 * a resolved {@link Secret} refuses to print itself, so a logged config or error cannot leak it.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import { ChannelError } from './channel-error.js';

/** Where a secret lives: `{ env: NAME }` or `{ file: path }` (relative to the config's base dir). */
export type SecretRef = { env: string } | { file: string };

/** Zod schema for {@link SecretRef}; inline values are rejected on purpose. */
export const SecretRefSchema = z.union([
  z.strictObject({ env: z.string().min(1) }),
  z.strictObject({ file: z.string().min(1) }),
]);

const REDACTED = '[redacted]';

/** A credential value that prints as `[redacted]` in strings, JSON and `util.inspect`. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The raw value; call only where the protocol needs it, never to log. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Where to read secrets from; tests pass their own environment. */
export interface SecretSource {
  env: Readonly<Record<string, string | undefined>>;
  /** Base directory for relative secret files. */
  baseDir: string;
}

/**
 * Reads a secret. Throws `ChannelError('SECRET_UNAVAILABLE')` naming the config key, the variable
 * or the file, never the value. File contents are trimmed of one trailing newline only where
 * that cannot change a PEM or JSON document's meaning (trailing whitespace).
 */
export function resolveSecret(ref: SecretRef, key: string, source: SecretSource): Secret {
  if ('env' in ref) {
    const value = source.env[ref.env];
    if (value === undefined || value === '') {
      throw new ChannelError(
        'SECRET_UNAVAILABLE',
        `${key}: environment variable ${ref.env} is not set; export it before starting`,
      );
    }
    return new Secret(value);
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(source.baseDir, ref.file);
  try {
    return new Secret(readFileSync(path, 'utf8').trimEnd());
  } catch (error) {
    throw new ChannelError('SECRET_UNAVAILABLE', `${key}: cannot read secret file ${path}`, { cause: error });
  }
}
