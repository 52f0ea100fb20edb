/**
 * Environment overrides for the configuration file: `NOTIFY_<PATH>=value`, with `__` between
 * levels and `_` between the words of one key, e.g. `NOTIFY_KAFKA__BOOTSTRAP_SERVERS` →
 * `kafka.bootstrapServers`, `NOTIFY_FATIGUE__RULES__0__CAP` → `fatigue.rules[0].cap`.
 *
 * Only names with at least one `__` are overrides: every setting sits under a section, and
 * names like `NOTIFY_TOKEN_SHOP` (secrets the file points at) must not be mistaken for one.
 * Values are read as YAML scalars, so `3`, `true` and `[a, b]` get their natural types.
 */
import { parse as parseYaml } from 'yaml';

const PREFIX = 'NOTIFY_';

/** One override that was applied: the variable and the key path it set. */
export interface AppliedOverride {
  readonly env: string;
  readonly path: readonly (string | number)[];
}

/**
 * Applies the overrides in `env` to `document` in place (matching existing keys without regard
 * to case or `_`/`-`, so `SMS` and `bootstrapServers` are both found) and returns what it set.
 * A key that does not exist yet is created in camelCase, and schema validation will name it if
 * it is not a real setting.
 */
export function applyEnvOverrides(document: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): AppliedOverride[] {
  const applied: AppliedOverride[] = [];
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (!name.startsWith(PREFIX) || !name.includes('__') || raw === undefined) continue;
    const segments = name.slice(PREFIX.length).split('__');
    if (segments.some((s) => s === '')) continue;
    const path: (string | number)[] = [];
    let node: Record<string, unknown> | unknown[] = document;
    segments.forEach((segment, i) => {
      const last = i === segments.length - 1;
      let key: string | number;
      if (Array.isArray(node) && /^\d+$/.test(segment)) key = Number(segment);
      else key = findKey(node as Record<string, unknown>, segment) ?? camelCase(segment);
      path.push(key);
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[key] = readValue(raw);
      } else {
        const next = container[key];
        if (next === null || typeof next !== 'object') container[key] = /^\d+$/.test(segments[i + 1]!) ? [] : {};
        node = container[key] as Record<string, unknown> | unknown[];
      }
    });
    applied.push({ env: name, path });
  }
  return applied;
}

function normalize(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

function findKey(node: Record<string, unknown>, segment: string): string | undefined {
  const wanted = normalize(segment);
  return Object.keys(node).find((k) => normalize(k) === wanted);
}

function camelCase(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function readValue(raw: string): unknown {
  try {
    const value: unknown = parseYaml(raw);
    return value === null ? raw : value;
  } catch {
    return raw;
  }
}
