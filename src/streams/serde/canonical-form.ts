/**
 * Avro Parsing Canonical Form (specification, "Parsing Canonical Form for Schemas"): the one
 * text that two schemas share exactly when they read and write the same bytes. Fingerprints are
 * taken of this text, so a doc string, an alias, a default or a logical type never changes a
 * schema's fingerprint. avsc has no such function; this follows the specification's rules:
 * PRIMITIVES, FULLNAMES, STRIP, ORDER, STRINGS, INTEGERS, WHITESPACE.
 */
import { StreamsConfigError } from '../errors.js';

/** The Avro primitive type names; they are never qualified with a namespace. */
export const AVRO_PRIMITIVES: ReadonlySet<string> = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
]);

/** Named types: the only ones that take a namespace and that may be referenced by name. */
export const AVRO_NAMED_TYPES: ReadonlySet<string> = new Set(['record', 'error', 'enum', 'fixed']);

/**
 * The Parsing Canonical Form of a schema given as parsed JSON (a string such as `"int"` or a
 * reference, an array for a union, an object otherwise). A named type's first occurrence is
 * written out in full and later ones by full name, as the specification requires; a reference
 * to a type this schema does not define is written as its full name, so inline referenced
 * definitions first (the schema catalog does) when the fingerprint must match other tools.
 *
 * @param schema parsed JSON schema; not modified.
 * @param namespace the enclosing namespace for unqualified names (default: none).
 * @throws StreamsConfigError naming the path of a malformed part (missing name, bad size, ...).
 */
export function parsingCanonicalForm(schema: unknown, namespace = ''): string {
  return write(schema, namespace, new Set<string>(), 'schema');
}

/** The full name of `name` in `namespace`; a dotted name is already full (specification). */
export function avroFullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

/** The namespace that a full name gives to the types nested inside it. */
export function avroNamespaceOf(fullName: string): string {
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? '' : fullName.slice(0, dot);
}

/** The full name of a named-type declaration, given the namespace around it. */
export function declaredFullName(node: Readonly<Record<string, unknown>>, enclosing: string, path: string): string {
  const name = node['name'];
  if (typeof name !== 'string' || name === '') {
    throw new StreamsConfigError(`${path}.name`, `a ${String(node['type'])} needs a non-empty string name`);
  }
  const own = node['namespace'];
  // An explicit namespace, even "", replaces the enclosing one; a dotted name ignores both.
  return avroFullName(name, typeof own === 'string' ? own : enclosing);
}

function write(schema: unknown, namespace: string, seen: Set<string>, path: string): string {
  if (typeof schema === 'string') {
    return JSON.stringify(AVRO_PRIMITIVES.has(schema) ? schema : avroFullName(schema, namespace));
  }
  if (Array.isArray(schema)) {
    return `[${schema.map((branch, i) => write(branch, namespace, seen, `${path}[${i}]`)).join(',')}]`;
  }
  if (schema === null || typeof schema !== 'object') {
    throw new StreamsConfigError(path, `expected a type name, union or object, saw ${JSON.stringify(schema)}`);
  }
  const node = schema as Readonly<Record<string, unknown>>;
  const type = node['type'];
  if (typeof type !== 'string') {
    // {"type": {...}} wraps another schema; the wrapper adds nothing to the canonical form.
    if (type !== undefined && type !== null) return write(type, namespace, seen, `${path}.type`);
    throw new StreamsConfigError(`${path}.type`, 'missing');
  }
  // PRIMITIVES and STRIP: {"type":"long","logicalType":...} reads and writes as "long".
  if (AVRO_PRIMITIVES.has(type)) return JSON.stringify(type);
  switch (type) {
    case 'array':
      return `{"type":"array","items":${write(node['items'], namespace, seen, `${path}.items`)}}`;
    case 'map':
      return `{"type":"map","values":${write(node['values'], namespace, seen, `${path}.values`)}}`;
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed':
      return writeNamed(node, type, namespace, seen, path);
    default:
      // {"type":"Foo"} is a reference to a named type.
      return write(type, namespace, seen, path);
  }
}

function writeNamed(
  node: Readonly<Record<string, unknown>>,
  type: string,
  namespace: string,
  seen: Set<string>,
  path: string,
): string {
  const fullName = declaredFullName(node, namespace, path);
  if (seen.has(fullName)) return JSON.stringify(fullName);
  seen.add(fullName);
  const head = `{"name":${JSON.stringify(fullName)}`;
  if (type === 'enum') {
    const symbols = node['symbols'];
    if (!Array.isArray(symbols) || !symbols.every((s) => typeof s === 'string')) {
      throw new StreamsConfigError(`${path}.symbols`, 'an enum needs an array of string symbols');
    }
    return `${head},"type":"enum","symbols":${JSON.stringify(symbols)}}`;
  }
  if (type === 'fixed') {
    const size = node['size'];
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw new StreamsConfigError(`${path}.size`, `a fixed needs a non-negative integer size, saw ${JSON.stringify(size)}`);
    }
    // INTEGERS: a JS number prints without leading zeros.
    return `${head},"type":"fixed","size":${size}}`;
  }
  const fields = node['fields'];
  if (!Array.isArray(fields)) throw new StreamsConfigError(`${path}.fields`, 'a record needs an array of fields');
  const inner = avroNamespaceOf(fullName);
  const written = fields.map((field: unknown, i) => {
    const fieldPath = `${path}.fields[${i}]`;
    if (field === null || typeof field !== 'object') throw new StreamsConfigError(fieldPath, 'a field must be an object');
    const f = field as Readonly<Record<string, unknown>>;
    if (typeof f['name'] !== 'string') throw new StreamsConfigError(`${fieldPath}.name`, 'a field needs a string name');
    return `{"name":${JSON.stringify(f['name'])},"type":${write(f['type'], inner, seen, `${fieldPath}.type`)}}`;
  });
  // An error is a record to the binary encoding (Java's canonical form writes it as one too).
  return `${head},"type":"record","fields":[${written.join(',')}]}`;
}
