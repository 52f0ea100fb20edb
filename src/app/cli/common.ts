/**
 * What the commands share: loading the configuration (a ConfigError becomes exit code 2 with
 * one line per bad key), durations on the command line, integer options.
 */
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig, type NotifyConfig } from '../../notify/index.js';
import { CliError, EXIT } from '../exit-codes.js';

export { DEFAULT_CONFIG_FILE };

/** Loads and validates `file` with environment overrides; exit code 2 on any problem. */
export function loadAppConfig(file: string): NotifyConfig {
  try {
    return loadConfig({ file, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(formatConfigError(err), EXIT.USAGE, { cause: err });
    throw err;
  }
}

/** One line per problem: `key: message`, after the file name. */
export function formatConfigError(err: ConfigError): string {
  const lines = [`invalid configuration${err.file ? ` in ${err.file}` : ''}:`];
  for (const p of err.problems) lines.push(`  ${p.key}: ${p.message}`);
  return lines.join('\n');
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `30s`, `5m`, or plain milliseconds; for commander's option parsers. */
export function parseDurationOption(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new CliError(`expected a duration like 30s or 500ms, got "${value}"`, EXIT.USAGE);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
}

export function parseIntOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`expected a non-negative integer, got "${value}"`, EXIT.USAGE);
  return n;
}

/** Stream threads: `--threads`, else `kafka.threads` of the configuration (default 1). */
export function threadsFrom(config: NotifyConfig, flag: number | undefined): number {
  return flag !== undefined ? Math.max(1, flag) : config.kafka.threads;
}
