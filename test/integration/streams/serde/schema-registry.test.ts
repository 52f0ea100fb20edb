// Confluent framing through a schema registry over HTTP, with the registry client the engine
// uses. The registry is tools/schema-registry/local-registry.ts (Karapace is not published on
// PyPI, see tools/schema-registry/README.md), started here on 127.0.0.1 and a free port.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamsConfigError } from '../../../../src/streams/errors.js';
import { AvroSchemaCatalog, AvroSerde, UnknownSchemaIdError } from '../../../../src/streams/serde/index.js';
import { startLocalSchemaRegistry } from '../../../../tools/schema-registry/local-registry.js';
import type { LocalSchemaRegistry } from '../../../../tools/schema-registry/local-registry.js';

const fixtures = fileURLToPath(new URL('../../../unit/streams/serde/fixtures/', import.meta.url));
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

const bob: Person = {
  id: 'bob',
  home: { city: 'Shenzhen', zip: '518000' },
  work: null,
  kind: 'CUSTOMER',
  tags: { campaign: '11.11' },
  createdAt: 1_731_283_200_000,
  nickname: 'b',
};
const { nickname: _dropped, ...bobV1 } = bob;

describe('AvroSerde with a schema registry', () => {
  let registry: LocalSchemaRegistry;
  let client: SchemaRegistry;

  beforeAll(async () => {
    registry = await startLocalSchemaRegistry();
    client = new SchemaRegistry({ host: registry.url, retry: { retries: 0 } });
  });

  afterAll(async () => {
    await registry.close();
  });

  const v1Catalog = (): AvroSchemaCatalog =>
    AvroSchemaCatalog.fromFiles([join(schemasDir, 'address.avsc'), join(fixtures, 'history', 'person-v1.avsc')]);

  it('registers at prepare, then serializes and deserializes with no HTTP round trip', async () => {
    const serde = new AvroSerde<Omit<Person, 'nickname'>>({ catalog: v1Catalog(), type: 'Person', registry: client });
    await serde.prepare(['people']);
    const afterPrepare = registry.requests.length;
    expect(registry.requests).toContain('POST /subjects/people-value/versions');

    const encoded = Array.from({ length: 100 }, (_, i) => serde.serialize('people', { ...bobV1, id: `bob-${i}` }));
    const id = encoded[0]?.readUInt32BE(1);
    expect(encoded[0]?.[0]).toBe(0);
    expect(id).toBe(1);
    expect(encoded.map((b) => serde.deserialize('people', b).id)).toEqual(encoded.map((_, i) => `bob-${i}`));
    expect(registry.requests.length).toBe(afterPrepare);

    // The client library's own wire decoder reads our bytes, and we read its bytes.
    expect(await client.decode(encoded[0] as Buffer)).toMatchObject({ id: 'bob-0', kind: 'CUSTOMER' });
    expect(serde.deserialize('people', await client.encode(1, { ...bobV1, id: 'from-client' })).id).toBe('from-client');
  });

  it('evolves the subject (BACKWARD) and reads v1 ids with the v2 reader, fetching each id once', async () => {
    const v2 = new AvroSerde<Person>({ catalog: AvroSchemaCatalog.fromDirectory(schemasDir), type: 'Person', registry: client });
    await v2.prepare(['people']);
    const v2Bytes = v2.serialize('people', bob);
    expect(v2Bytes.readUInt32BE(1)).toBe(2);

    const v1Writer = new AvroSerde<Omit<Person, 'nickname'>>({ catalog: v1Catalog(), type: 'Person', registry: client });
    await v1Writer.prepare(['people']);
    const v1Bytes = v1Writer.serialize('people', bobV1);
    expect(v1Bytes.readUInt32BE(1)).toBe(1);

    // A reader in another process, with its own client, knows neither id yet.
    const reader = new AvroSerde<Person>({
      catalog: AvroSchemaCatalog.fromDirectory(schemasDir),
      type: 'Person',
      registry: new SchemaRegistry({ host: registry.url, retry: { retries: 0 } }),
    });
    expect(() => reader.deserialize('people', v1Bytes)).toThrow(UnknownSchemaIdError);
    const batch = [v1Bytes, v2Bytes, v1Bytes, v2Bytes];
    const before = registry.requests.length;
    const pending = reader.prefetch('people', batch);
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(registry.requests.slice(before).sort()).toEqual(['GET /schemas/ids/1', 'GET /schemas/ids/2']);
    expect(reader.prefetch('people', batch)).toBeUndefined();
    expect(batch.map((b) => reader.deserialize('people', b))).toEqual([
      { ...bobV1, nickname: 'none' },
      bob,
      { ...bobV1, nickname: 'none' },
      bob,
    ]);
    // Single-object records still decode on the same serde.
    const local = new AvroSerde<Person>({ catalog: AvroSchemaCatalog.fromDirectory(schemasDir), type: 'Person' });
    expect(reader.deserialize('people', local.serialize('people', bob))).toEqual(bob);
  });

  it('asks once for an id the registry does not have, then rejects its records', async () => {
    const serde = new AvroSerde<Person>({
      catalog: AvroSchemaCatalog.fromDirectory(schemasDir),
      type: 'Person',
      registry: new SchemaRegistry({ host: registry.url, retry: { retries: 0 } }),
    });
    const bytes = Buffer.from([0, 0, 0, 0, 99, 0]);
    await serde.prefetch('people', [bytes, bytes]);
    expect(registry.requests.filter((r) => r === 'GET /schemas/ids/99')).toHaveLength(1);
    expect(serde.prefetch('people', [bytes])).toBeUndefined();
    expect(() => serde.deserialize('people', bytes)).toThrow(/schema id 99, which the schema registry does not have/);
  });

  it('refuses an incompatible schema at prepare, naming the subject', async () => {
    const breaking = AvroSchemaCatalog.fromSchemas([
      {
        source: 'person-breaking.avsc',
        schema: { type: 'record', name: 'Person', namespace: 'example.v1', fields: [{ name: 'age', type: 'int' }] },
      },
    ]);
    const serde = new AvroSerde<{ age: number }>({ catalog: breaking, type: 'Person', registry: client });
    const error = await serde.prepare(['people']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamsConfigError);
    expect((error as StreamsConfigError).key).toBe('people-value');
    expect((error as Error).message).toMatch(/incompatible/);
  });
});
