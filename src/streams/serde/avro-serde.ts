import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Resolver, Type } from 'avsc';
import { DeserializationError, SerializationError } from '../errors.js';
import type { Headers } from '../processor/record.js';
import {
  CONFLUENT_HEADER_LENGTH,
  SINGLE_OBJECT_HEADER_LENGTH,
  confluentHeader,
  describeBytes,
  detectFraming,
  singleObjectHeader,
} from './avro-framing.js';
import type { AvroFraming } from './avro-framing.js';
import type { AvroSchemaCatalog, AvroSchemaEntry } from './avro-schema-catalog.js';
import { ConfluentSchemaIds } from './confluent-schema-ids.js';
import { EncodeBuffer } from './encode-buffer.js';
import { fingerprintToHex } from './rabin-fingerprint.js';
import type { Serde } from './serde.js';
import { UnknownSchemaIdError } from './unknown-schema-id-error.js';

/** Options for {@link AvroSerde}. */
export interface AvroSerdeOptions {
  /** Where the schemas come from; also where writer schemas are looked up by fingerprint. */
  readonly catalog: AvroSchemaCatalog;
  /** The type values are written with and read as: a full name, or a unique short name. */
  readonly type: string;
  /**
   * A schema registry client. When set, values are written with Confluent framing and ids
   * registered under {@link subject}; without it, with Avro single-object encoding.
   * Reading accepts both framings either way (Confluent ids need a registry to resolve).
   */
  readonly registry?: SchemaRegistry;
  /** The registry subject for a topic. Default: Confluent's TopicNameStrategy. */
  readonly subject?: (topic: string) => string;
  /** Whether this serde is for record keys (`<topic>-key` subjects by default). */
  readonly isKey?: boolean;
  /** Bytes per encode slab (default 64 KiB); larger records get a slab of their own. */
  readonly bufferSize?: number;
}

/**
 * Avro values with avsc, framed as DESIGN §3 says: Avro single-object encoding by default,
 * Confluent framing when built with a schema registry client; `deserialize` accepts both. A
 * record written with another version of the schema is read with Avro's resolution rules
 * (e.g. a field added with a default is filled in), so readers can move ahead of writers.
 *
 * `serialize` and `deserialize` are synchronous and never touch the network. With a registry,
 * `await prepare(topics)` once at startup registers the schema for those topics; Confluent ids
 * of other writers are fetched by `await prefetch(topic, payloads)` before a batch (it answers
 * undefined when nothing is missing) — otherwise `deserialize` throws
 * {@link UnknownSchemaIdError}.
 *
 * A `null` payload (tombstone) maps to `null` both ways.
 */
export class AvroSerde<T> implements Serde<T> {
  /** How `serialize` frames values. */
  readonly framing: AvroFraming;
  /** The schema values are written with and read as. */
  readonly entry: AvroSchemaEntry;

  private readonly catalog: AvroSchemaCatalog;
  private readonly type: Type;
  private readonly ids: ConfluentSchemaIds | undefined;
  private readonly subjectOf: (topic: string) => string;
  private readonly buffer: EncodeBuffer;
  private readonly singleObjectHeader: Buffer;
  private readonly fingerprintLow: number;
  private readonly fingerprintHigh: number;
  private readonly confluentHeaders = new Map<string, Buffer>();
  // Writer schemas seen so far; null means "same as the reader, no resolution needed".
  private readonly resolvers = new Map<AvroSchemaEntry, Resolver | null>();

  constructor(options: AvroSerdeOptions) {
    this.catalog = options.catalog;
    this.entry = options.catalog.get(options.type);
    this.type = this.entry.type;
    this.ids = options.registry === undefined ? undefined : new ConfluentSchemaIds(options.registry, options.catalog);
    this.framing = this.ids === undefined ? 'single-object' : 'confluent';
    const suffix = options.isKey === true ? 'key' : 'value';
    this.subjectOf = options.subject ?? ((topic) => `${topic}-${suffix}`);
    this.buffer = new EncodeBuffer(options.bufferSize);
    this.singleObjectHeader = singleObjectHeader(this.entry.fingerprintBytes);
    this.fingerprintLow = this.entry.fingerprintBytes.readUInt32LE(0);
    this.fingerprintHigh = this.entry.fingerprintBytes.readUInt32LE(4);
    this.resolvers.set(this.entry, null);
  }

  /**
   * With a registry: registers the schema under each topic's subject and caches the ids, so
   * `serialize` can write to those topics. Without one: nothing to do.
   * @throws StreamsConfigError naming the subject when the registry refuses the schema.
   */
  async prepare(topics: readonly string[]): Promise<void> {
    const ids = this.ids;
    if (ids === undefined) return;
    for (const topic of topics) {
      const id = await ids.register(this.subjectOf(topic), this.entry);
      this.confluentHeaders.set(topic, confluentHeader(id));
    }
  }

  /**
   * Fetches the writer schemas of Confluent-framed payloads whose ids are not cached yet.
   * Answers undefined when there is nothing to fetch, so a caller awaits only when needed.
   * Payloads it cannot make sense of, and ids the registry does not have, are left for
   * `deserialize` to reject record by record.
   * @throws StreamsError (code DESERIALIZATION, `retriable`) when the registry cannot be reached.
   */
  prefetch(_topic: string, payloads: Iterable<Buffer | null | undefined>): Promise<void> | undefined {
    const ids = this.ids;
    if (ids === undefined) return undefined;
    let missing: Set<number> | undefined;
    for (const data of payloads) {
      if (data == null || data.length < CONFLUENT_HEADER_LENGTH || data[0] !== 0) continue;
      const id = data.readUInt32BE(1);
      if (!ids.isSettled(id)) (missing ??= new Set()).add(id);
    }
    if (missing === undefined) return undefined;
    return Promise.all([...missing].map((id) => ids.fetch(id))).then(() => undefined);
  }

  /** Encodes `value`; throws SerializationError naming the offending field. */
  serialize(topic: string, value: T, _headers?: Headers): Buffer {
    if (value === null) return null as unknown as Buffer;
    const header = this.ids === undefined ? this.singleObjectHeader : this.confluentHeaderFor(topic);
    try {
      return this.buffer.write(this.type, value, header);
    } catch (cause) {
      throw new SerializationError(`topic ${topic}: ${this.describeInvalid(value, cause)}`, { cause });
    }
  }

  /** Decodes either framing; throws DeserializationError saying what was expected and seen. */
  deserialize(topic: string, data: Buffer, _headers?: Headers): T {
    if ((data as Buffer | null) === null) return null as T;
    let writer: AvroSchemaEntry;
    let bodyStart: number;
    if (detectFraming(topic, data) === 'single-object') {
      // Most records are written with the reader's own schema: compare 8 bytes, look up nothing.
      writer =
        data.readUInt32LE(2) === this.fingerprintLow && data.readUInt32LE(6) === this.fingerprintHigh
          ? this.entry
          : this.singleObjectWriter(topic, data);
      bodyStart = SINGLE_OBJECT_HEADER_LENGTH;
    } else {
      writer = this.confluentWriter(topic, data);
      bodyStart = CONFLUENT_HEADER_LENGTH;
    }
    const resolver = writer === this.entry ? null : this.resolverFor(topic, writer);
    let decoded: { value: unknown; offset: number };
    try {
      decoded = this.type.decode(data, bodyStart, resolver ?? undefined);
    } catch (cause) {
      throw new DeserializationError(
        `topic ${topic}: body is not a valid ${this.describeWriter(writer)}: ${(cause as Error).message}`,
        { cause },
      );
    }
    if (decoded.offset < 0) {
      throw new DeserializationError(
        `topic ${topic}: truncated body: the ${data.length - bodyStart} body bytes end inside a ${this.describeWriter(writer)}`,
      );
    }
    if (decoded.offset !== data.length) {
      throw new DeserializationError(
        `topic ${topic}: ${data.length - decoded.offset} unexpected bytes after a ${this.describeWriter(writer)} of ${decoded.offset - bodyStart} bytes`,
      );
    }
    return decoded.value as T;
  }

  private confluentHeaderFor(topic: string): Buffer {
    const header = this.confluentHeaders.get(topic);
    if (header !== undefined) return header;
    throw new SerializationError(
      `topic ${topic}: no schema id for subject ${this.subjectOf(topic)}; call \`await serde.prepare(['${topic}'])\` at startup`,
    );
  }

  private singleObjectWriter(topic: string, data: Buffer): AvroSchemaEntry {
    const writer = this.catalog.findByFingerprintAt(data, 2);
    if (writer !== undefined) return writer;
    const seen = fingerprintToHex(data.readBigUInt64LE(2));
    throw new DeserializationError(
      `topic ${topic}: the record's writer schema (fingerprint ${seen}) is not in the schema catalog; expected ${this.entry.name ?? 'the reader schema'} (fingerprint ${fingerprintToHex(this.entry.fingerprint)}) or a known version of it — add the writer's .avsc`,
    );
  }

  private confluentWriter(topic: string, data: Buffer): AvroSchemaEntry {
    const id = data.readUInt32BE(1);
    const ids = this.ids;
    if (ids === undefined) throw new UnknownSchemaIdError(topic, id, 'no-registry');
    const writer = ids.writer(id);
    if (writer !== undefined) return writer;
    throw new UnknownSchemaIdError(topic, id, ids.isAbsent(id) ? 'not-in-registry' : 'not-fetched');
  }

  private resolverFor(topic: string, writer: AvroSchemaEntry): Resolver | null {
    const cached = this.resolvers.get(writer);
    if (cached !== undefined) return cached;
    let resolver: Resolver;
    try {
      resolver = this.type.createResolver(writer.type);
    } catch (cause) {
      throw new DeserializationError(
        `topic ${topic}: ${this.describeWriter(writer)} cannot be read as ${this.entry.name ?? 'the reader schema'} under Avro resolution rules: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.resolvers.set(writer, resolver);
    return resolver;
  }

  private describeWriter(writer: AvroSchemaEntry): string {
    return `${writer.name ?? 'value'} (writer fingerprint ${fingerprintToHex(writer.fingerprint)})`;
  }

  private describeInvalid(value: unknown, cause: unknown): string {
    const problems: string[] = [];
    this.type.isValid(value, {
      errorHook: (path, seen, type) => {
        if (problems.length < 3) problems.push(`${path.join('.') || '(value)'}: expected ${type.typeName}, saw ${preview(seen)}`);
      },
    });
    const what = `value is not a valid ${this.entry.name ?? 'Avro value'}`;
    return problems.length > 0 ? `${what}: ${problems.join('; ')}` : `${what}: ${(cause as Error).message}`;
  }
}

function preview(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Buffer.isBuffer(value)) return `bytes ${describeBytes(value, 8)}`;
  const text = typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
