import { describe, expect, it } from 'vitest';
import { DeserializationError, SerializationError } from '../../../../src/streams/errors.js';
import { bufferSerde, int64Serde, jsonSerde, stringSerde } from '../../../../src/streams/serde/index.js';

describe('stringSerde', () => {
  it('round-trips UTF-8 text, including non-ASCII', () => {
    for (const text of ['', 'user-42', '验证码 123456', 'emoji 🚀']) {
      const bytes = stringSerde.serialize('t', text);
      expect(bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
      expect(stringSerde.deserialize('t', bytes)).toBe(text);
    }
  });

  it('maps a tombstone to null both ways', () => {
    expect(stringSerde.deserialize('t', null as unknown as Buffer)).toBeNull();
    expect(stringSerde.serialize('t', null as unknown as string)).toBeNull();
  });
});

describe('jsonSerde', () => {
  const serde = jsonSerde<{ id: string; n: number; tags: string[]; nested: { ok: boolean } }>();

  it('round-trips objects', () => {
    const value = { id: 'a', n: 1.5, tags: ['x', 'ü'], nested: { ok: true } };
    expect(serde.deserialize('t', serde.serialize('t', value))).toEqual(value);
  });

  it('rejects bytes that are not JSON with DeserializationError', () => {
    const error = (() => {
      try {
        serde.deserialize('orders', Buffer.from('{"id":'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DeserializationError);
    expect((error as Error).message).toMatch(/topic orders: expected JSON, saw 6 bytes/);
  });

  it('rejects values JSON cannot hold with SerializationError', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => jsonSerde<unknown>().serialize('t', cyclic)).toThrow(SerializationError);
    expect(() => jsonSerde<unknown>().serialize('t', 10n)).toThrow(SerializationError);
    expect(() => jsonSerde<unknown>().serialize('t', undefined)).toThrow(SerializationError);
  });

  it('maps a tombstone to null both ways', () => {
    expect(serde.deserialize('t', null as unknown as Buffer)).toBeNull();
    expect(jsonSerde<unknown>().serialize('t', null)).toBeNull();
  });
});

describe('bufferSerde', () => {
  it('passes bytes through untouched', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    expect(bufferSerde.serialize('t', bytes)).toBe(bytes);
    expect(bufferSerde.deserialize('t', bytes)).toBe(bytes);
  });
});

describe('int64Serde', () => {
  it('round-trips the whole signed 64-bit range as big-endian bytes', () => {
    for (const n of [0n, 1n, -1n, 9007199254740993n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      const bytes = int64Serde.serialize('t', n);
      expect(bytes.length).toBe(8);
      expect(bytes.readBigInt64BE(0)).toBe(n);
      expect(int64Serde.deserialize('t', bytes)).toBe(n);
    }
  });

  it('rejects out-of-range values and wrong lengths', () => {
    expect(() => int64Serde.serialize('t', 2n ** 63n)).toThrow(SerializationError);
    expect(() => int64Serde.serialize('t', 5 as unknown as bigint)).toThrow(SerializationError);
    expect(() => int64Serde.deserialize('t', Buffer.alloc(4))).toThrow(DeserializationError);
  });
});
