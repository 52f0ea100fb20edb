import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import avsc from 'avsc';
import type { ForSchemaOptions, Type } from 'avsc';
import { StreamsConfigError } from '../errors.js';
import { boundedCollectionsHook } from './bounded-collections.js';
import { AVRO_NAMED_TYPES, parsingCanonicalForm } from './canonical-form.js';
import { fingerprintToBytes, fingerprintToHex, rabinFingerprint64 } from './rabin-fingerprint.js';
import { collectDefinitions, inlineReferences } from './schema-references.js';
import type { NamedDefinition } from './schema-references.js';

/** avsc options applied to every schema of a catalog (the catalog owns `registry`). */
export type AvroTypeOptions = Partial<Omit<ForSchemaOptions, 'registry'>>;

/** Options for {@link AvroSchemaCatalog}. */
export interface AvroSchemaCatalogOptions {
  /** Passed to avsc's `Type.forSchema` for each schema, e.g. `logicalTypes` or `wrapUnions`. */
  readonly typeOptions?: AvroTypeOptions;
}

/** One schema the catalog can read: a current named type, or an older writer version. */
export interface AvroSchemaEntry {
  /** Full name of the type (e.g. `notify.v1.NotificationRequest`); undefined for unnamed. */
  readonly name: string | undefined;
  /** The avsc type, parsed on its own (references inlined). */
  readonly type: Type;
  /** The self-contained JSON schema: what is registered with a schema registry. */
  readonly schema: unknown;
  /** Avro Parsing Canonical Form of `schema`. */
  readonly canonicalForm: string;
  /** CRC-64-AVRO of `canonicalForm`, unsigned. */
  readonly fingerprint: bigint;
  /** `fingerprint` as the 8 little-endian bytes of single-object encoding. */
  readonly fingerprintBytes: Buffer;
  /** The file (or other origin) the schema came from, for messages. */
  readonly source: string;
  /** True for a current type (looked up by name); false for a writer-only older version. */
  readonly current: boolean;
}

// Low and high 32 bits of the fingerprint: the hot path reads two uint32s and allocates nothing.
interface IndexedEntry extends AvroSchemaEntry {
  readonly low: number;
  readonly high: number;
}

/**
 * The Avro schemas a process knows, loaded from `.avsc` files with avsc. Files may refer to
 * types declared in other files by full name (namespace rules apply); every named type,
 * top-level or nested, can be looked up by name, and every schema by its CRC-64-AVRO
 * fingerprint, which is how single-object encoded records name their writer schema. Older
 * versions that data may still be written with are added with {@link addWriterSchema}: they
 * are found by fingerprint only, and readers resolve them with Avro's evolution rules.
 *
 * Loading is synchronous and meant for startup; lookups afterwards are in-memory.
 */
export class AvroSchemaCatalog {
  private readonly byName = new Map<string, IndexedEntry>();
  private readonly byLow = new Map<number, IndexedEntry[]>();
  private readonly typeOptions: AvroTypeOptions;

  private constructor(options: AvroSchemaCatalogOptions) {
    this.typeOptions = options.typeOptions ?? {};
  }

  /**
   * Every `*.avsc` file under `directory` (subfolders included, in name order).
   * @throws StreamsConfigError naming the file of an unreadable, invalid or dangling schema.
   */
  static fromDirectory(directory: string, options: AvroSchemaCatalogOptions = {}): AvroSchemaCatalog {
    const files = listSchemaFiles(directory);
    if (files.length === 0) throw new StreamsConfigError(directory, 'no .avsc files found');
    return AvroSchemaCatalog.fromFiles(files, options);
  }

  /** The given `.avsc` files. @throws StreamsConfigError naming the bad file. */
  static fromFiles(files: readonly string[], options: AvroSchemaCatalogOptions = {}): AvroSchemaCatalog {
    return AvroSchemaCatalog.fromSchemas(
      files.map((file) => ({ source: file, schema: readSchemaFile(file) })),
      options,
    );
  }

  /** Schemas already parsed from JSON, each with a `source` used in error messages. */
  static fromSchemas(
    schemas: readonly { readonly source: string; readonly schema: unknown }[],
    options: AvroSchemaCatalogOptions = {},
  ): AvroSchemaCatalog {
    const catalog = new AvroSchemaCatalog(options);
    const definitions = new Map<string, NamedDefinition>();
    for (const { source, schema } of schemas) collectDefinitions(schema, source, definitions);
    for (const definition of definitions.values()) {
      const inlined = inlineReferences(definition.node, definition.enclosingNamespace, definitions, definition.source);
      catalog.index(catalog.parse(inlined, definition.source, true));
    }
    // A top-level schema that is not a named type (a union, array, map...) has no name to look
    // up, but records written with it can still name it by fingerprint.
    for (const { source, schema } of schemas) {
      if (isNamedDeclaration(schema)) continue;
      const entry = catalog.parse(inlineReferences(schema, '', definitions, source), source, true);
      if (catalog.lookup(entry.low, entry.high) === undefined) catalog.index(entry);
    }
    return catalog;
  }

  /**
   * Adds an older (or foreign) version of a schema so records written with it can be read.
   * It may refer to the catalog's current types by name. Returns the existing entry when a
   * schema with the same fingerprint is already known.
   * @throws StreamsConfigError naming `source` when the schema is invalid.
   */
  addWriterSchema(schema: unknown, source: string): AvroSchemaEntry {
    const definitions = new Map<string, NamedDefinition>();
    for (const entry of this.byName.values()) {
      collectDefinitionsOnce(entry, definitions);
    }
    // The writer's own declarations win over the current ones of the same name.
    const own = new Map<string, NamedDefinition>();
    collectDefinitions(schema, source, own);
    for (const [name, definition] of own) definitions.set(name, definition);
    const inlined = inlineReferences(schema, '', definitions, source);
    const entry = this.parse(inlined, source, false);
    return this.lookup(entry.low, entry.high) ?? this.index(entry);
  }

  /** Reads an older schema version from a `.avsc` file; see {@link addWriterSchema}. */
  addWriterSchemaFile(file: string): AvroSchemaEntry {
    return this.addWriterSchema(readSchemaFile(file), file);
  }

  /**
   * The current type named `name`: a full name, or a short name that only one type has.
   * @throws StreamsConfigError listing the known names when there is no such type.
   */
  get(name: string): AvroSchemaEntry {
    const entry = this.find(name);
    if (entry === undefined) {
      throw new StreamsConfigError(name, `no Avro type of that name in the schema catalog; known: ${this.names().join(', ')}`);
    }
    return entry;
  }

  /** Like {@link get}, but undefined when unknown or ambiguous. */
  find(name: string): AvroSchemaEntry | undefined {
    const exact = this.byName.get(name);
    if (exact !== undefined || name.includes('.')) return exact;
    const matches = [...this.byName.values()].filter((e) => e.name?.endsWith(`.${name}`));
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** The schema with this fingerprint (current or writer-only), if known. */
  findByFingerprint(fingerprint: bigint): AvroSchemaEntry | undefined {
    const unsigned = BigInt.asUintN(64, fingerprint);
    return this.lookup(Number(unsigned & 0xffffffffn), Number(unsigned >> 32n));
  }

  /** The schema whose 8-byte little-endian fingerprint starts at `offset` in `data`. Hot path. */
  findByFingerprintAt(data: Buffer, offset: number): AvroSchemaEntry | undefined {
    return this.lookup(data.readUInt32LE(offset), data.readUInt32LE(offset + 4));
  }

  /** Full names of the current types, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Every known schema, current ones first. */
  entries(): AvroSchemaEntry[] {
    const all = [...this.byLow.values()].flat();
    return [...all.filter((e) => e.current), ...all.filter((e) => !e.current)];
  }

  private lookup(low: number, high: number): IndexedEntry | undefined {
    const bucket = this.byLow.get(low);
    if (bucket === undefined) return undefined;
    for (const entry of bucket) if (entry.high === high) return entry;
    return undefined;
  }

  private parse(schema: unknown, source: string, current: boolean): IndexedEntry {
    let type: Type;
    try {
      // A fresh registry per schema: versions of one name must not collide.
      type = avsc.Type.forSchema(schema as avsc.Schema, {
        ...this.typeOptions,
        registry: {},
        typeHook: boundedCollectionsHook(this.typeOptions.typeHook),
      });
    } catch (cause) {
      throw new StreamsConfigError(source, `invalid Avro schema: ${(cause as Error).message}`);
    }
    const canonicalForm = parsingCanonicalForm(schema);
    const fingerprint = rabinFingerprint64(canonicalForm);
    return {
      name: type.name,
      type,
      schema,
      canonicalForm,
      fingerprint,
      fingerprintBytes: fingerprintToBytes(fingerprint),
      source,
      current,
      low: Number(fingerprint & 0xffffffffn),
      high: Number(fingerprint >> 32n),
    };
  }

  private index(entry: IndexedEntry): IndexedEntry {
    if (entry.current && entry.name !== undefined) this.byName.set(entry.name, entry);
    const existing = this.lookup(entry.low, entry.high);
    if (existing !== undefined && existing.canonicalForm !== entry.canonicalForm) {
      // Two different schemas with one 64-bit fingerprint: astronomically unlikely, but fatal.
      throw new StreamsConfigError(
        entry.source,
        `fingerprint ${fingerprintToHex(entry.fingerprint)} collides with ${existing.source}; rename a type`,
      );
    }
    if (existing === undefined) {
      const bucket = this.byLow.get(entry.low);
      if (bucket === undefined) this.byLow.set(entry.low, [entry]);
      else bucket.push(entry);
    }
    return entry;
  }
}

function isNamedDeclaration(schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return false;
  const type = (schema as { type?: unknown }).type;
  return typeof type === 'string' && AVRO_NAMED_TYPES.has(type);
}

function collectDefinitionsOnce(entry: AvroSchemaEntry, into: Map<string, NamedDefinition>): void {
  // Current entries are self-contained, so each one's declarations are complete; names already
  // collected from another entry are the same definition and are skipped.
  const mine = new Map<string, NamedDefinition>();
  collectDefinitions(entry.schema, entry.source, mine);
  for (const [name, definition] of mine) if (!into.has(name)) into.set(name, definition);
}

function listSchemaFiles(directory: string): string[] {
  let names: string[];
  try {
    names = readdirSync(directory).sort();
  } catch (cause) {
    throw new StreamsConfigError(directory, `cannot read the schema directory: ${(cause as Error).message}`);
  }
  const files: string[] = [];
  for (const name of names) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) files.push(...listSchemaFiles(path));
    else if (name.endsWith('.avsc')) files.push(path);
  }
  return files;
}

function readSchemaFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new StreamsConfigError(file, `cannot read the schema file: ${(cause as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new StreamsConfigError(file, `not valid JSON: ${(cause as Error).message}`);
  }
}
