import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { DeserializationError } from '../../../../src/streams/errors.js';
import { AvroSchemaCatalog, AvroSerde } from '../../../../src/streams/serde/index.js';

// Corrupt block counts must fail fast: avsc alone would loop for minutes on these payloads.
const bag = {
  type: 'record',
  name: 'Bag',
  namespace: 'example.v1',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'tags', type: { type: 'map', values: 'string' } },
    { name: 'list', type: { type: 'array', items: 'long' } },
    { name: 'nulls', type: { type: 'array', items: 'null' } },
  ],
};
const slim = { ...bag, fields: [{ name: 'id', type: 'string' }] };

function zigzag(n: bigint): Buffer {
  // Avro long: zig-zag, then base-128 varint.
  let z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  const out: number[] = [];
  do {
    let byte = Number(z & 0x7fn);
    z >>= 7n;
    if (z > 0n) byte |= 0x80;
    out.push(byte);
  } while (z > 0n);
  return Buffer.from(out);
}

function catalogOf(schema: unknown): AvroSchemaCatalog {
  return AvroSchemaCatalog.fromSchemas([{ source: 'test', schema }]);
}

describe('guarded array and map readers', () => {
  const catalog = catalogOf(bag);
  const serde = new AvroSerde<Record<string, unknown>>({ catalog, type: 'Bag' });
  const header = serde.serialize('t', { id: 'x', tags: {}, list: [], nulls: [] }).subarray(0, 10);
  const id = Buffer.from([2, 0x78]); // "x"

  it('still reads valid collections, including many empty items', () => {
    const value = { id: 'x', tags: { a: 'b', c: 'd' }, list: [1, -2, 3], nulls: new Array<null>(1000).fill(null) };
    expect(serde.deserialize('t', serde.serialize('t', value))).toEqual(value);
  });

  it.each([
    ['a map announcing 2^40 entries', Buffer.concat([header, id, zigzag(2n ** 40n), Buffer.from([2, 0x61])])],
    ['an array announcing 2^31 longs', Buffer.concat([header, id, Buffer.from([0]), zigzag(2n ** 31n), Buffer.from([2])])],
    ['an array announcing 2^32 nulls', Buffer.concat([header, id, Buffer.from([0, 0]), zigzag(2n ** 32n)])],
  ])('rejects %s as DeserializationError', (_name, bytes) => {
    expect(() => serde.deserialize('t', bytes)).toThrow(DeserializationError);
  });

  it('guards skipping too: a reader that drops the collections meets a negative block size', () => {
    const reader = catalogOf(slim);
    reader.addWriterSchema(bag, 'bag v2');
    const slimSerde = new AvroSerde<{ id: string }>({ catalog: reader, type: 'Bag' });
    // Block count -1 with block size -100 would move the read position backwards forever.
    const bytes = Buffer.concat([header, id, zigzag(-1n), zigzag(-100n), Buffer.from([0, 0, 0])]);
    expect(() => slimSerde.deserialize('t', bytes)).toThrow(DeserializationError);
    const ok = serde.serialize('t', { id: 'y', tags: { k: 'v' }, list: [7], nulls: [null] });
    expect(slimSerde.deserialize('t', ok)).toEqual({ id: 'y' });
  });

  it('leaves a registered logical type on a map in charge', () => {
    class Entries extends avsc.types.LogicalType {
      override _fromValue(value: Record<string, string>): [string, string][] {
        return Object.entries(value);
      }
      override _toValue(entries: [string, string][]): Record<string, string> {
        return Object.fromEntries(entries);
      }
    }
    const schema = { type: 'map', values: 'string', logicalType: 'entries' };
    const logical = AvroSchemaCatalog.fromSchemas([{ source: 's', schema }], { typeOptions: { logicalTypes: { entries: Entries } } });
    const type = logical.entries()[0]?.type;
    expect(type?.fromBuffer(type.toBuffer([['a', 'b']]))).toEqual([['a', 'b']]);
  });
});
