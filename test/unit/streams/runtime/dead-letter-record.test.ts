import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, deadLetterRecord, type FailedRecord } from '../../../../src/streams/runtime/exception-handlers.js';

function failure(key: number, value: number, headers: Record<string, Buffer> = {}): FailedRecord {
  const error = new Error('too large for its topic');
  return {
    stage: 'produce',
    error,
    node: 'out',
    record: { topic: 'in', partition: 3, offset: 42, timestamp: 1, key: Buffer.alloc(key, 'k'), value: Buffer.alloc(value, 'v'), headers },
  };
}

describe('deadLetterRecord', () => {
  it('keeps the whole record with Kafka Streams’ error headers when it fits', () => {
    const dead = deadLetterRecord(failure(3, 100, { trace: Buffer.from('abc') }), 100_000, '0_3');
    expect(dead.key!.length).toBe(3);
    expect(dead.value!.length).toBe(100);
    const h = dead.headers;
    expect(h.trace!.toString()).toBe('abc');
    expect(h[DEAD_LETTER_HEADERS.errorClass]!.toString()).toBe('Error');
    expect(h[DEAD_LETTER_HEADERS.error]!.toString()).toBe('too large for its topic');
    expect(h[DEAD_LETTER_HEADERS.stackTrace]!.toString()).toContain('dead-letter-record.test');
    expect(h[DEAD_LETTER_HEADERS.topic]!.toString()).toBe('in');
    expect(h[DEAD_LETTER_HEADERS.partition]!.toString()).toBe('3');
    expect(h[DEAD_LETTER_HEADERS.offset]!.toString()).toBe('42');
    expect(h[DEAD_LETTER_HEADERS.taskId]!.toString()).toBe('0_3');
    expect(h[DEAD_LETTER_HEADERS.omitted]).toBeUndefined();
  });

  it('leaves the value out, saying how many bytes, when the record does not fit', () => {
    const dead = deadLetterRecord(failure(3, 2_000_000), 900_000);
    expect(dead.value).toBeNull();
    expect(dead.key!.length).toBe(3);
    expect(dead.headers[DEAD_LETTER_HEADERS.omitted]!.toString()).toBe('2000000');
    expect(dead.headers[DEAD_LETTER_HEADERS.offset]!.toString()).toBe('42');
  });

  it('leaves key and input headers out too when even those do not fit, and stays within the bound', () => {
    const dead = deadLetterRecord(failure(50_000, 10, { big: Buffer.alloc(60_000) }), 30_000);
    expect(dead.key).toBeNull();
    expect(dead.value).toBeNull();
    expect(dead.headers.big).toBeUndefined();
    expect(Number(dead.headers[DEAD_LETTER_HEADERS.omitted]!.toString())).toBeGreaterThanOrEqual(110_010);
    const size = Object.entries(dead.headers).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(size).toBeLessThan(30_000);
  });
});
