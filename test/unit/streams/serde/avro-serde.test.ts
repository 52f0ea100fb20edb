import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { DeserializationError, SerializationError, StreamsError } from '../../../../src/streams/errors.js';
import { AvroSchemaCatalog, AvroSerde, UnknownSchemaIdError } from '../../../../src/streams/serde/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const schemasDir = join(fixtures, 'schemas');

interface Person {
  id: string;
  home: { city: string; zip: string | null };
  work: { city: string; zip: string | null } | null;
  kind: 'CUSTOMER' | 'STAFF';
  tags: Record<string, string>;
  createdAt: number;
  nickname?: string;
}

const alice: Person = {
  id: 'alice',
  home: { city: 'Lyon', zip: '69001' },
  work: { city: 'Paris', zip: null },
  kind: 'STAFF',
  tags: { env: 'gray' },
  createdAt: 1_700_000_000_123,
  nickname: 'al',
};

/** The two registry calls AvroSerde makes, in memory: ids are global, one per schema text. */
class InMemoryRegistry {
  readonly texts: string[] = [];
  getSchemaCalls = 0;
  down = false;

  async register(schema: { schema: string }, options: { subject: string }): Promise<{ id: number }> {
    void options.subject;
    let index = this.texts.indexOf(schema.schema);
    if (index < 0) index = this.texts.push(schema.schema) - 1;
    return Promise.resolve({ id: index + 1 });
  }

  async getSchema(id: number): Promise<avsc.Type> {
    this.getSchemaCalls++;
    const text = this.texts[id - 1];
    if (this.down) throw new Error('connect ECONNREFUSED');
    if (text === undefined) throw Object.assign(new Error(`Schema ${id} not found`), { status: 404 });
    return Promise.resolve(avsc.Type.forSchema(JSON.parse(text) as avsc.Schema));
  }

  asClient(): SchemaRegistry {
    return this as unknown as SchemaRegistry;
  }
}

function deserializationError(fn: () => unknown): DeserializationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DeserializationError) return e;
    throw e;
  }
  throw new Error('expected a DeserializationError');
}

describe('AvroSerde, single-object encoding', () => {
  const catalog = AvroSchemaCatalog.fromDirectory(schemasDir);
  const serde = new AvroSerde<Person>({ catalog, type: 'example.v1.Person' });

  it('frames values as C3 01 + little-endian fingerprint + body, and reads them back', () => {
    const bytes = serde.serialize('people', alice);
    expect(serde.framing).toBe('single-object');
    expect([...bytes.subarray(0, 2)]).toEqual([0xc3, 0x01]);
    expect(bytes.readBigUInt64LE(2)).toBe(serde.entry.fingerprint);
    expect(bytes.subarray(10).equals(serde.entry.type.toBuffer(alice))).toBe(true);
    expect(serde.deserialize('people', bytes)).toEqual(alice);
  });

  it('hands out buffers that later writes never overwrite, across slabs', () => {
    const small = new AvroSerde<Person>({ catalog, type: 'Person', bufferSize: 64 });
    const values = Array.from({ length: 50 }, (_, i) => ({ ...alice, id: `user-${i}`, tags: { i: 'x'.repeat(i * 3) } }));
    const encoded = values.map((v) => small.serialize('people', v));
    expect(encoded.map((b) => small.deserialize('people', b))).toEqual(values);
  });

  it('maps a tombstone to null both ways', () => {
    expect(serde.deserialize('people', null as unknown as Buffer)).toBeNull();
    expect(serde.serialize('people', null as unknown as Person)).toBeNull();
  });

  it('rejects an invalid value with SerializationError naming the field', () => {
    const bad = { ...alice, home: { city: 42, zip: null } } as unknown as Person;
    expect(() => serde.serialize('people', bad)).toThrow(SerializationError);
    expect(() => serde.serialize('people', bad)).toThrow(/home\.city: expected string, saw 42/);
  });
});

describe('AvroSerde, schema evolution', () => {
  // The writer still has version 1 (no nickname); the reader has version 2 plus the v1 file.
  const writerCatalog = AvroSchemaCatalog.fromFiles([
    join(schemasDir, 'address.avsc'),
    join(fixtures, 'history', 'person-v1.avsc'),
  ]);
  const readerCatalog = AvroSchemaCatalog.fromDirectory(schemasDir);
  readerCatalog.addWriterSchemaFile(join(fixtures, 'history', 'person-v1.avsc'));
  const { nickname: _dropped, ...aliceV1 } = alice;

  it('reads old data with a newer reader schema, filling in the added field default', () => {
    const writer = new AvroSerde<Omit<Person, 'nickname'>>({ catalog: writerCatalog, type: 'Person' });
    const reader = new AvroSerde<Person>({ catalog: readerCatalog, type: 'Person' });
    expect(writer.entry.fingerprint).not.toBe(reader.entry.fingerprint);
    const bytes = writer.serialize('people', aliceV1);
    expect(reader.deserialize('people', bytes)).toEqual({ ...aliceV1, nickname: 'none' });
    // A second record takes the cached resolver path.
    expect(reader.deserialize('people', writer.serialize('people', { ...aliceV1, id: 'b' })).nickname).toBe('none');
  });

  it('reads new data with an older reader that knows the new version (the added field is skipped)', () => {
    writerCatalog.addWriterSchemaFile(join(schemasDir, 'nested', 'person.avsc'));
    const oldReader = new AvroSerde<Omit<Person, 'nickname'>>({ catalog: writerCatalog, type: 'Person' });
    const newWriter = new AvroSerde<Person>({ catalog: readerCatalog, type: 'Person' });
    expect(oldReader.deserialize('people', newWriter.serialize('people', alice))).toEqual(aliceV1);
  });

  it('refuses a writer schema the reader cannot resolve', () => {
    const catalog = AvroSchemaCatalog.fromDirectory(schemasDir);
    catalog.addWriterSchemaFile(join(fixtures, 'history', 'unrelated.avsc'));
    const unrelated = AvroSchemaCatalog.fromFiles([join(fixtures, 'history', 'unrelated.avsc')]);
    const bytes = new AvroSerde<{ n: number }>({ catalog: unrelated, type: 'other.Unrelated' }).serialize('t', { n: 1 });
    const error = deserializationError(() => new AvroSerde<Person>({ catalog, type: 'Person' }).deserialize('t', bytes));
    expect(error.message).toMatch(/other\.Unrelated .* cannot be read as example\.v1\.Person under Avro resolution rules/);
  });
});

describe('AvroSerde, Confluent framing', () => {
  it('writes magic 0 + big-endian id after prepare, and reads both framings', async () => {
    const registry = new InMemoryRegistry();
    const catalog = AvroSchemaCatalog.fromDirectory(schemasDir);
    const serde = new AvroSerde<Person>({ catalog, type: 'Person', registry: registry.asClient() });
    expect(serde.framing).toBe('confluent');
    expect(() => serde.serialize('people', alice)).toThrow(/no schema id for subject people-value; call .*prepare/);
    await serde.prepare(['people']);
    const confluent = serde.serialize('people', alice);
    expect(confluent[0]).toBe(0);
    expect(confluent.readUInt32BE(1)).toBe(1);
    expect(registry.texts).toHaveLength(1);
    expect(serde.deserialize('people', confluent)).toEqual(alice);
    // Ids of our own registrations are cached: nothing was fetched.
    expect(registry.getSchemaCalls).toBe(0);
    const singleObject = new AvroSerde<Person>({ catalog, type: 'Person' }).serialize('people', alice);
    expect(serde.deserialize('people', singleObject)).toEqual(alice);
  });

  it('fetches a foreign writer id once through prefetch, then decodes synchronously', async () => {
    const registry = new InMemoryRegistry();
    const writerCatalog = AvroSchemaCatalog.fromFiles([
      join(schemasDir, 'address.avsc'),
      join(fixtures, 'history', 'person-v1.avsc'),
    ]);
    const writer = new AvroSerde<Omit<Person, 'nickname'>>({
      catalog: writerCatalog,
      type: 'Person',
      registry: registry.asClient(),
      subject: () => 'people-by-record',
    });
    await writer.prepare(['people']);
    const { nickname: _dropped, ...aliceV1 } = alice;
    const bytes = writer.serialize('people', aliceV1);

    const reader = new AvroSerde<Person>({
      catalog: AvroSchemaCatalog.fromDirectory(schemasDir),
      type: 'Person',
      registry: registry.asClient(),
    });
    const error = deserializationError(() => reader.deserialize('people', bytes));
    expect(error).toBeInstanceOf(UnknownSchemaIdError);
    expect((error as UnknownSchemaIdError).schemaId).toBe(1);
    expect((error as UnknownSchemaIdError).fetchable).toBe(true);

    const batch = [bytes, null, bytes, Buffer.from('not avro')];
    await Promise.all([reader.prefetch('people', batch), reader.prefetch('people', batch)]);
    expect(registry.getSchemaCalls).toBe(1);
    expect(reader.prefetch('people', batch)).toBeUndefined();
    expect(reader.deserialize('people', bytes)).toEqual({ ...aliceV1, nickname: 'none' });
  });

  it('tells an id the registry does not have from an unreachable registry', async () => {
    const registry = new InMemoryRegistry();
    const catalog = AvroSchemaCatalog.fromDirectory(schemasDir);
    const serde = new AvroSerde<Person>({ catalog, type: 'Person', registry: registry.asClient() });
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), catalog.get('Person').type.toBuffer(alice)]);

    registry.down = true;
    const failure: unknown = await serde.prefetch('people', [bytes])?.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StreamsError);
    expect((failure as StreamsError).retriable).toBe(true);
    expect((failure as Error).message).toMatch(/could not fetch schema id 9 .* retry/);

    registry.down = false;
    await serde.prefetch('people', [bytes]);
    expect(serde.prefetch('people', [bytes])).toBeUndefined();
    const error = deserializationError(() => serde.deserialize('people', bytes));
    expect((error as UnknownSchemaIdError).reason).toBe('not-in-registry');
    expect((error as UnknownSchemaIdError).fetchable).toBe(false);
    expect(error.message).toMatch(/schema id 9, which the schema registry does not have/);
  });

  it('cannot resolve Confluent ids without a registry', () => {
    const catalog = AvroSchemaCatalog.fromDirectory(schemasDir);
    const serde = new AvroSerde<Person>({ catalog, type: 'Person' });
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), catalog.get('Person').type.toBuffer(alice)]);
    const error = deserializationError(() => serde.deserialize('people', bytes));
    expect(error).toBeInstanceOf(UnknownSchemaIdError);
    expect(error.message).toMatch(/schema id 7, but this serde has no schema registry/);
    expect((error as UnknownSchemaIdError).reason).toBe('no-registry');
    expect(serde.prefetch('people', [bytes])).toBeUndefined();
  });
});

describe('AvroSerde, malformed input', () => {
  const catalog = AvroSchemaCatalog.fromDirectory(schemasDir);
  const serde = new AvroSerde<Person>({ catalog, type: 'Person' });
  const good = serde.serialize('people', alice);

  const cases: ReadonlyArray<readonly [string, Buffer, RegExp]> = [
    ['empty payload', Buffer.alloc(0), /expected an Avro record, saw an empty payload/],
    ['bad magic', Buffer.from('{"id":"alice"}'), /expected an Avro record starting C3 01 \(single-object\) or 00 \(Confluent\), saw 7B 22/],
    ['bad second marker byte', Buffer.from([0xc3, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 9]), /expected Avro single-object marker C3 01, saw C3 02/],
    ['truncated single-object header', good.subarray(0, 6), /truncated Avro single-object header: expected 10 bytes, saw 6/],
    ['truncated Confluent header', Buffer.from([0, 0, 1]), /truncated Confluent header: expected 5 bytes, saw 3/],
    [
      'unknown fingerprint',
      Buffer.concat([Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]), good.subarray(10)]),
      /writer schema \(fingerprint 0807060504030201\) is not in the schema catalog; expected example\.v1\.Person/,
    ],
    ['truncated body', good.subarray(0, good.length - 3), /truncated body/],
    ['trailing bytes', Buffer.concat([good, Buffer.from([1, 2])]), /2 unexpected bytes after a example\.v1\.Person/],
    ['invalid union branch', Buffer.concat([good.subarray(0, 10), Buffer.from([2, 0x61, 2, 0x61, 0, 40])]), /example\.v1\.Person/],
  ];

  it.each(cases)('%s gives DeserializationError', (_name, bytes, message) => {
    const error = deserializationError(() => serde.deserialize('people', bytes));
    expect(error.code).toBe('DESERIALIZATION');
    expect(error.message).toMatch(/^topic people: /);
    expect(error.message).toMatch(message);
  });

  it('never answers anything but a value or DeserializationError for cut or flipped bytes', () => {
    for (let cut = 0; cut < good.length; cut++) {
      expect(() => serde.deserialize('people', good.subarray(0, cut))).toThrow(DeserializationError);
    }
    for (let i = 10; i < good.length; i++) {
      const flipped = Buffer.from(good);
      flipped[i] = (flipped[i] ?? 0) ^ 0xff;
      try {
        serde.deserialize('people', flipped);
      } catch (e) {
        expect(e).toBeInstanceOf(DeserializationError);
      }
    }
  });
});
