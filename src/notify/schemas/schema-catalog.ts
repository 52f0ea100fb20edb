/**
 * The Avro schemas of `schemas/` (namespace `notify.v1`), loaded as one catalog.
 *
 * Each `.avsc` file defines one named type and refers to others by full name, so no definition
 * is ever duplicated. Consumers that need a self-contained schema (a serde, a schema registry)
 * ask for {@link SchemaCatalog.expandedSchema}: referenced types are inlined at first use, and
 * every attribute (doc, default, logicalType) is kept, which avsc's own `schema()` drops.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';

/** A schema as JSON (object, array for unions, or a type name). */
export type SchemaJson = string | SchemaJson[] | { readonly [key: string]: unknown };

/** The loaded schemas: raw JSON per full name, expanded forms and parsed avsc types. */
export interface SchemaCatalog {
  /** The folder the schemas were read from. */
  readonly dir: string;
  /** Full names (e.g. `notify.v1.NotificationRequest`) in file-name order. */
  names(): string[];
  /** The file's JSON exactly as written. */
  rawSchema(fullName: string): SchemaJson;
  /** A self-contained schema: every referenced named type inlined at its first use. */
  expandedSchema(fullName: string): SchemaJson;
  /** The parsed avsc type of the expanded schema. */
  type(fullName: string): avro.Type;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
/** Values of `type` that are keywords of a definition, not references. */
const KEYWORDS = new Set(['record', 'error', 'enum', 'array', 'map', 'fixed']);

/** Finds `schemas/` by walking up from this module, so it works from `src/` and from `dist/`. */
export function defaultSchemaDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, 'NotificationRequest.avsc'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the schemas/ folder above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Reads every `.avsc` in `dir` (default: the repository's `schemas/`). Throws naming the file. */
export function loadSchemaCatalog(dir: string = defaultSchemaDir()): SchemaCatalog {
  const raw = new Map<string, SchemaJson>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort()) {
    let json: { name?: unknown; namespace?: unknown };
    try {
      json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as typeof json;
    } catch (cause) {
      throw new Error(`schemas/${file}: not valid JSON`, { cause });
    }
    if (typeof json.name !== 'string') throw new Error(`schemas/${file}: a top-level named type is required`);
    const fullName = json.name.includes('.') ? json.name : `${String(json.namespace ?? '')}.${json.name}`;
    if (raw.has(fullName)) throw new Error(`schemas/${file}: ${fullName} is defined twice`);
    raw.set(fullName, json as SchemaJson);
  }

  const expanded = new Map<string, SchemaJson>();
  const types = new Map<string, avro.Type>();
  const expand = (fullName: string): SchemaJson => {
    const cached = expanded.get(fullName);
    if (cached) return cached;
    const result = inline(raw, fullName, new Set());
    expanded.set(fullName, result);
    return result;
  };
  const get = <T>(map: Map<string, T>, name: string): T => {
    const value = map.get(name);
    if (value === undefined) throw new Error(`unknown schema ${name} (known: ${[...raw.keys()].join(', ')})`);
    return value;
  };

  return {
    dir: resolve(dir),
    names: () => [...raw.keys()],
    rawSchema: (name) => get(raw, name),
    expandedSchema: (name) => {
      get(raw, name);
      return expand(name);
    },
    type: (name) => {
      let type = types.get(name);
      if (!type) {
        get(raw, name);
        try {
          type = avro.Type.forSchema(expand(name) as avro.Schema);
        } catch (cause) {
          throw new Error(`schema ${name}: ${(cause as Error).message}`, { cause });
        }
        types.set(name, type);
      }
      return type;
    },
  };
}

/**
 * Returns `fullName`'s schema with references replaced by definitions. `defined` tracks names
 * already written in this output: Avro forbids defining a name twice in one schema.
 */
function inline(raw: Map<string, SchemaJson>, fullName: string, defined: Set<string>): SchemaJson {
  const root = raw.get(fullName);
  if (root === undefined) throw new Error(`undefined type name: ${fullName}`);
  defined.add(fullName);
  const walk = (node: unknown, namespace: string): unknown => {
    if (typeof node === 'string') {
      if (PRIMITIVES.has(node)) return node;
      const ref = node.includes('.') ? node : `${namespace}.${node}`;
      if (defined.has(ref)) return ref;
      if (!raw.has(ref)) throw new Error(`undefined type name: ${ref} (in ${fullName})`);
      defined.add(ref);
      return walk(raw.get(ref), ref.slice(0, ref.lastIndexOf('.')));
    }
    if (Array.isArray(node)) return node.map((n) => walk(n, namespace));
    if (node && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      const ns = typeof obj['namespace'] === 'string' ? obj['namespace'] : namespace;
      const out: Record<string, unknown> = { ...obj };
      if (obj['type'] !== undefined && !KEYWORDS.has(obj['type'] as string)) out['type'] = walk(obj['type'], ns);
      if (obj['items'] !== undefined) out['items'] = walk(obj['items'], ns);
      if (obj['values'] !== undefined) out['values'] = walk(obj['values'], ns);
      if (Array.isArray(obj['fields'])) {
        out['fields'] = (obj['fields'] as Record<string, unknown>[]).map((f) => ({ ...f, type: walk(f['type'], ns) }));
      }
      return out;
    }
    return node;
  };
  const ns = fullName.slice(0, fullName.lastIndexOf('.'));
  return walk(root, ns) as SchemaJson;
}
