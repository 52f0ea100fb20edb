/**
 * Named-type references between schema files. A `.avsc` file may use a record, enum or fixed
 * declared in another file by its (namespace-qualified) name; avsc and schema registries want
 * one self-contained schema, so references are inlined: the first mention of a name carries
 * its whole definition, later mentions the full name, exactly as the Avro specification lets a
 * single schema be written. Internal to the serde folder.
 */
import { StreamsConfigError } from '../errors.js';
import { AVRO_NAMED_TYPES, AVRO_PRIMITIVES, avroFullName, avroNamespaceOf, declaredFullName } from './canonical-form.js';

type JsonObject = Readonly<Record<string, unknown>>;

/** Where a named type is declared: the JSON node, the namespace around it, and its file. */
export interface NamedDefinition {
  readonly fullName: string;
  readonly node: JsonObject;
  readonly enclosingNamespace: string;
  readonly source: string;
  /** True when the declaration is a file's top-level schema (not nested in another type). */
  readonly topLevel: boolean;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Adds every named type declared anywhere in `schema` to `into`.
 * @throws StreamsConfigError when a name is declared twice (naming both sources) or malformed.
 */
export function collectDefinitions(schema: unknown, source: string, into: Map<string, NamedDefinition>): void {
  const visit = (node: unknown, namespace: string, path: string, topLevel: boolean): void => {
    if (Array.isArray(node)) {
      node.forEach((branch, i) => visit(branch, namespace, `${path}[${i}]`, false));
      return;
    }
    if (!isObject(node)) return;
    const type = node['type'];
    if (typeof type === 'string' && AVRO_NAMED_TYPES.has(type)) {
      const fullName = declaredFullName(node, namespace, `${source}: ${path}`);
      const earlier = into.get(fullName);
      if (earlier !== undefined) {
        throw new StreamsConfigError(source, `type ${fullName} is already declared in ${earlier.source}; declare it once`);
      }
      into.set(fullName, { fullName, node, enclosingNamespace: namespace, source, topLevel });
      const fields = node['fields'];
      if (Array.isArray(fields)) {
        const inner = avroNamespaceOf(fullName);
        fields.forEach((field: unknown, i) => {
          if (isObject(field)) visit(field['type'], inner, `${path}.fields[${i}].type`, false);
        });
      }
      return;
    }
    if (type === 'array') visit(node['items'], namespace, `${path}.items`, false);
    else if (type === 'map') visit(node['values'], namespace, `${path}.values`, false);
    else if (typeof type === 'object') visit(type, namespace, `${path}.type`, false);
  };
  visit(schema, '', 'schema', true);
}

/**
 * A copy of `schema` with every reference to a type declared elsewhere replaced by that
 * type's definition (first mention only) and every declared name written in full, so the
 * result parses on its own. Attributes such as doc, default and logicalType are kept.
 *
 * @param schema the parsed JSON schema; not modified.
 * @param enclosingNamespace the namespace around `schema` where it was declared.
 * @throws StreamsConfigError naming `source` and the unknown name when a reference is dangling.
 */
export function inlineReferences(
  schema: unknown,
  enclosingNamespace: string,
  definitions: ReadonlyMap<string, NamedDefinition>,
  source: string,
): unknown {
  const defined = new Set<string>();

  const reference = (name: string, namespace: string, path: string): unknown => {
    if (AVRO_PRIMITIVES.has(name)) return name;
    const fullName = avroFullName(name, namespace);
    if (defined.has(fullName)) return fullName;
    const definition = definitions.get(fullName);
    if (definition === undefined) {
      throw new StreamsConfigError(
        source,
        `${path} refers to type ${fullName}, which no schema declares (is its file missing, or its namespace different?)`,
      );
    }
    return expand(definition.node, definition.enclosingNamespace, path);
  };

  const expand = (node: unknown, namespace: string, path: string): unknown => {
    if (typeof node === 'string') return reference(node, namespace, path);
    if (Array.isArray(node)) return node.map((branch, i) => expand(branch, namespace, `${path}[${i}]`));
    if (!isObject(node)) return node;
    const type = node['type'];
    if (typeof type === 'string' && AVRO_NAMED_TYPES.has(type)) {
      const fullName = declaredFullName(node, namespace, `${source}: ${path}`);
      if (defined.has(fullName)) return fullName;
      defined.add(fullName);
      const copy: Record<string, unknown> = { ...node, name: fullName };
      // The full name carries the namespace now; nested names resolve against it.
      delete copy['namespace'];
      const fields = node['fields'];
      if (Array.isArray(fields)) {
        const inner = avroNamespaceOf(fullName);
        copy['fields'] = fields.map((field: unknown, i) =>
          isObject(field) ? { ...field, type: expand(field['type'], inner, `${path}.fields[${i}].type`) } : field,
        );
      }
      return copy;
    }
    if (type === 'array') return { ...node, items: expand(node['items'], namespace, `${path}.items`) };
    if (type === 'map') return { ...node, values: expand(node['values'], namespace, `${path}.values`) };
    if (typeof type === 'string' && AVRO_PRIMITIVES.has(type)) return node;
    if (typeof type === 'string') return reference(type, namespace, `${path}.type`);
    return { ...node, type: expand(type, namespace, `${path}.type`) };
  };

  return expand(schema, enclosingNamespace, 'schema');
}
