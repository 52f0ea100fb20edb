import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { StreamsConfigError } from '../../../../src/streams/errors.js';
import { AvroSchemaCatalog, parsingCanonicalForm, rabinFingerprint64 } from '../../../../src/streams/serde/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const schemasDir = join(fixtures, 'schemas');

function tempSchemas(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'avro-catalog-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function errorOf(fn: () => unknown): StreamsConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StreamsConfigError) return e;
    throw e;
  }
  throw new Error('expected a StreamsConfigError');
}

describe('AvroSchemaCatalog', () => {
  it('loads a directory tree and resolves named references between files', () => {
    const catalog = AvroSchemaCatalog.fromDirectory(schemasDir);
    expect(catalog.names()).toEqual(['example.v1.Address', 'example.v1.Kind', 'example.v1.Person']);
    const person = catalog.get('example.v1.Person');
    expect(person.source).toBe(join(schemasDir, 'nested', 'person.avsc'));
    // The referenced Address is inlined once and named in full afterwards.
    expect(person.canonicalForm).toContain('{"name":"home","type":{"name":"example.v1.Address","type":"record"');
    expect(person.canonicalForm).toContain('{"name":"work","type":["null","example.v1.Address"]}');
    const value = {
      id: 'p1',
      home: { city: 'Paris', zip: null },
      work: null,
      kind: 'STAFF',
      tags: {},
      createdAt: 1_700_000_000_000,
      nickname: 'pip',
    };
    expect(person.type.fromBuffer(person.type.toBuffer(value))).toEqual(value);
  });

  it('keeps doc, defaults and logical types in the self-contained schema', () => {
    const person = AvroSchemaCatalog.fromDirectory(schemasDir).get('Person');
    const text = JSON.stringify(person.schema);
    expect(text).toContain('"logicalType":"timestamp-millis"');
    expect(text).toContain('"default":"none"');
    expect(text).toContain('Version 2');
  });

  it('finds types by unique short name, and schemas by fingerprint', () => {
    const catalog = AvroSchemaCatalog.fromDirectory(schemasDir);
    const address = catalog.get('Address');
    expect(address.name).toBe('example.v1.Address');
    expect(address.fingerprint).toBe(rabinFingerprint64(parsingCanonicalForm(address.schema)));
    expect(catalog.findByFingerprint(address.fingerprint)).toBe(address);
    expect(catalog.findByFingerprint(BigInt.asIntN(64, address.fingerprint))).toBe(address);
    const framed = Buffer.concat([Buffer.from([0xc3, 0x01]), address.fingerprintBytes]);
    expect(catalog.findByFingerprintAt(framed, 2)).toBe(address);
    expect(catalog.findByFingerprint(12345n)).toBeUndefined();
    expect(catalog.find('Nope')).toBeUndefined();
    expect(errorOf(() => catalog.get('Nope')).message).toMatch(/known: example\.v1\.Address, example\.v1\.Kind/);
  });

  it('adds older writer versions by fingerprint only', () => {
    const catalog = AvroSchemaCatalog.fromDirectory(schemasDir);
    const v1 = catalog.addWriterSchemaFile(join(fixtures, 'history', 'person-v1.avsc'));
    expect(v1.current).toBe(false);
    expect(v1.name).toBe('example.v1.Person');
    expect(v1.fingerprint).not.toBe(catalog.get('Person').fingerprint);
    expect(catalog.get('Person').current).toBe(true);
    expect(catalog.findByFingerprint(v1.fingerprint)).toBe(v1);
    // Adding the same schema again answers the known entry.
    expect(catalog.addWriterSchemaFile(join(fixtures, 'history', 'person-v1.avsc'))).toBe(v1);
    expect(catalog.entries().map((e) => e.current)).toEqual([true, true, true, false]);
  });

  it('names the file and the type for a dangling reference', () => {
    const dir = tempSchemas({ 'a.avsc': '{"type":"record","name":"A","namespace":"n","fields":[{"name":"b","type":"B"}]}' });
    const error = errorOf(() => AvroSchemaCatalog.fromDirectory(dir));
    expect(error.key).toBe(join(dir, 'a.avsc'));
    expect(error.message).toMatch(/refers to type n\.B, which no schema declares/);
  });

  it('names both files when a type is declared twice', () => {
    const record = '{"type":"record","name":"A","namespace":"n","fields":[]}';
    const dir = tempSchemas({ 'a.avsc': record, 'b.avsc': record });
    expect(errorOf(() => AvroSchemaCatalog.fromDirectory(dir)).message).toMatch(/n\.A is already declared in .*a\.avsc/);
  });

  it('names the file for invalid JSON, invalid Avro and an empty directory', () => {
    const dir = tempSchemas({ 'bad.avsc': '{"type":' });
    expect(errorOf(() => AvroSchemaCatalog.fromDirectory(dir)).message).toMatch(/not valid JSON/);
    const invalid = tempSchemas({ 'x.avsc': '{"type":"record","name":"X","fields":[{"name":"f","type":"nope.Type"}]}' });
    expect(errorOf(() => AvroSchemaCatalog.fromDirectory(invalid)).message).toMatch(/nope\.Type/);
    const badDefault = tempSchemas({ 'y.avsc': '{"type":"record","name":"Y","fields":[{"name":"f","type":"int","default":"x"}]}' });
    expect(errorOf(() => AvroSchemaCatalog.fromDirectory(badDefault)).message).toMatch(/invalid Avro schema/);
    expect(errorOf(() => AvroSchemaCatalog.fromDirectory(tempSchemas({}))).message).toMatch(/no \.avsc files/);
    expect(errorOf(() => AvroSchemaCatalog.fromDirectory(join(fixtures, 'missing'))).message).toMatch(/cannot read/);
  });

  it('passes type options to avsc, e.g. logical types', () => {
    class DateType extends avsc.types.LogicalType {
      override _fromValue(value: number): Date {
        return new Date(value);
      }
      override _toValue(date: Date): number {
        return date.getTime();
      }
    }
    const catalog = AvroSchemaCatalog.fromDirectory(schemasDir, {
      typeOptions: { logicalTypes: { 'timestamp-millis': DateType } },
    });
    const person = catalog.get('Person');
    const createdAt = new Date(1_700_000_000_000);
    const value = { id: 'p', home: { city: 'c', zip: null }, work: null, kind: 'CUSTOMER', tags: {}, createdAt, nickname: 'n' };
    expect(person.type.fromBuffer(person.type.toBuffer(value)).createdAt).toEqual(createdAt);
    // Logical types do not change the canonical form, so neither the fingerprint.
    expect(person.fingerprint).toBe(AvroSchemaCatalog.fromDirectory(schemasDir).get('Person').fingerprint);
  });
});
