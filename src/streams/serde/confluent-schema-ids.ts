import { SchemaType } from '@kafkajs/confluent-schema-registry';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Type } from 'avsc';
import { StreamsConfigError, StreamsError } from '../errors.js';
import type { AvroSchemaCatalog, AvroSchemaEntry } from './avro-schema-catalog.js';
import { parsingCanonicalForm } from './canonical-form.js';
import { rabinFingerprint64 } from './rabin-fingerprint.js';

/**
 * Schema ids of a Confluent-compatible schema registry, cached so that serializing and
 * deserializing never wait on HTTP: ids are registered or fetched ahead (at startup, or once
 * per batch that names an id not seen before) and read synchronously afterwards. A fetched
 * writer schema is matched to the catalog by fingerprint, so a record written with one of our
 * own schemas decodes without a resolver; a foreign or older one is added to the catalog as a
 * writer-only version. Internal to the serde folder.
 */
export class ConfluentSchemaIds {
  private readonly writers = new Map<number, AvroSchemaEntry>();
  private readonly subjects = new Map<string, number>();
  private readonly pending = new Map<number, Promise<void>>();
  // Ids the registry answered 404 for: asked once, then rejected record by record.
  private readonly absent = new Set<number>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly catalog: AvroSchemaCatalog,
  ) {}

  /**
   * Registers `entry`'s schema under `subject` (the registry answers the existing id when it is
   * already registered) and remembers the id both ways.
   * @throws StreamsConfigError naming the subject when the registry refuses (e.g. incompatible).
   */
  async register(subject: string, entry: AvroSchemaEntry): Promise<number> {
    const known = this.subjects.get(subject);
    if (known !== undefined) return known;
    let id: number;
    try {
      ({ id } = await this.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(entry.schema) },
        { subject },
      ));
    } catch (cause) {
      throw new StreamsConfigError(
        subject,
        `the schema registry did not register ${entry.name ?? 'the schema'} (${entry.source}): ${(cause as Error).message}`,
      );
    }
    this.subjects.set(subject, id);
    this.writers.set(id, entry);
    return id;
  }

  /** The id registered for `subject` by {@link register}, if any. Sync. */
  idFor(subject: string): number | undefined {
    return this.subjects.get(subject);
  }

  /** The writer schema of `id` if it was registered or fetched already. Sync. */
  writer(id: number): AvroSchemaEntry | undefined {
    return this.writers.get(id);
  }

  /** True when the registry answered that `id` does not exist. Sync. */
  isAbsent(id: number): boolean {
    return this.absent.has(id);
  }

  /** True when {@link fetch} has nothing to do for `id`. Sync. */
  isSettled(id: number): boolean {
    return this.writers.has(id) || this.absent.has(id);
  }

  /**
   * Fetches the writer schema of `id` from the registry (one request per id, however many
   * callers ask at once) and caches it; an id the registry does not have is remembered as such.
   * @throws StreamsError (code DESERIALIZATION, retriable) when the registry cannot be reached.
   */
  fetch(id: number): Promise<void> {
    if (this.isSettled(id)) return Promise.resolve();
    let request = this.pending.get(id);
    if (request === undefined) {
      request = this.load(id).finally(() => this.pending.delete(id));
      this.pending.set(id, request);
    }
    return request;
  }

  private async load(id: number): Promise<void> {
    let type: Type;
    try {
      // The client parses the schema with avsc; its JSON (without registry-side attributes)
      // is enough both to fingerprint it and to read with it.
      type = (await this.registry.getSchema(id)) as unknown as Type;
    } catch (cause) {
      if ((cause as { status?: unknown }).status === 404) {
        this.absent.add(id);
        return;
      }
      throw new StreamsError(
        'DESERIALIZATION',
        `could not fetch schema id ${id} from the schema registry; retry once it answers: ${(cause as Error).message}`,
        { cause, retriable: true },
      );
    }
    const schema = type.schema();
    const fingerprint = rabinFingerprint64(parsingCanonicalForm(schema));
    const entry =
      this.catalog.findByFingerprint(fingerprint) ?? this.catalog.addWriterSchema(schema, `schema registry id ${id}`);
    this.writers.set(id, entry);
  }
}
