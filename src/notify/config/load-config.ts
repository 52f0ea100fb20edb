/**
 * Loads the notification configuration: YAML file → environment overrides → schema validation.
 * Any problem becomes one {@link ConfigError} naming the key (and the environment variable when
 * an override set it), so a bad deployment stops at startup with something an operator can fix.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError, formatKeyPath, type ConfigProblem } from './config-error.js';
import { notifyConfigSchema, type NotifyConfig } from './config-schema.js';
import { applyEnvOverrides, type AppliedOverride } from './env-overrides.js';

/** The configuration file used when none is named. */
export const DEFAULT_CONFIG_FILE = 'topology/notify-streams.yaml';

export interface LoadConfigOptions {
  /** Path of the YAML file; {@link DEFAULT_CONFIG_FILE} by default. */
  readonly file?: string;
  /** Where `NOTIFY_…__…` overrides are read from; `process.env` by default, `{}` for none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Reads, overrides and validates the configuration file. Throws {@link ConfigError}. */
export function loadConfig(options: LoadConfigOptions = {}): NotifyConfig {
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError([{ key: '(root)', message: `cannot read the file: ${(cause as Error).message}` }], file);
  }
  return parseConfigText(text, { file, env: options.env ?? process.env });
}

/** Like {@link loadConfig} for YAML text already in memory; `file` is only used in messages. */
export function parseConfigText(text: string, options: LoadConfigOptions = {}): NotifyConfig {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({ key: '(root)', message: `not valid YAML: ${e.message.split('\n')[0] ?? e.message}` }));
    throw new ConfigError(problems, options.file);
  }
  const document: unknown = doc.toJS();
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError([{ key: '(root)', message: 'expected a mapping of sections (kafka, topics, lanes, ...)' }], options.file);
  }
  return validateConfig(document as Record<string, unknown>, options);
}

/** Applies environment overrides to a parsed document and validates it. */
export function validateConfig(document: Record<string, unknown>, options: LoadConfigOptions = {}): NotifyConfig {
  const overrides = applyEnvOverrides(document, options.env ?? {});
  const result = notifyConfigSchema.safeParse(document);
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    let path: PropertyKey[] = issue.path;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      // Name the misspelt key itself, not the object around it.
      path = [...issue.path, issue.keys[0] ?? ''];
      message = issue.keys.length > 1 ? `unknown keys ${issue.keys.join(', ')}` : 'unknown key';
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      message = 'missing';
    }
    return { key: formatKeyPath(path), message: message + setBy(path, overrides) };
  });
  throw new ConfigError(problems, options.file);
}

function setBy(path: readonly PropertyKey[], overrides: readonly AppliedOverride[]): string {
  const key = formatKeyPath(path);
  const hit = overrides.find((o) => {
    const k = formatKeyPath(o.path);
    return key === k || key.startsWith(`${k}.`) || key.startsWith(`${k}[`);
  });
  return hit ? ` (set by ${hit.env})` : '';
}
