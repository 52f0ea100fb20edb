/**
 * The held-message store of the delay buffer (F5), ordered by due time. Two key spaces in one
 * store:
 *   0x01 | dueAt (8 bytes, big-endian) | messageId  →  the LaneRecord (JSON)
 *   0x02 | messageId                               →  the 0x01 key (for revoke by id)
 * Big-endian due times make byte order time order, so "everything due by now" is one range
 * scan from the start, and memory stays bounded: held messages live on disk, not in a heap.
 */
import type { KeyValueStore } from '../../streams/state/key-value-store.js';
import type { LaneRecord } from '../generated/schema-types.js';

const DUE = 0x01;
const INDEX = 0x02;

function dueKey(dueAt: number, messageId: string): Buffer {
  const id = Buffer.from(messageId, 'utf8');
  const key = Buffer.allocUnsafe(9 + id.length);
  key[0] = DUE;
  key.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(dueAt))), 1);
  id.copy(key, 9);
  return key;
}

function indexKey(messageId: string): Buffer {
  const id = Buffer.from(messageId, 'utf8');
  const key = Buffer.allocUnsafe(1 + id.length);
  key[0] = INDEX;
  id.copy(key, 1);
  return key;
}

/** Decodes the due time of a 0x01 key. */
export function dueAtOfKey(key: Buffer): number {
  return Number(key.readBigUInt64BE(1));
}

/** Held lane records in a byte-keyed store. Writes are synchronous; reads await the store. */
export class DelayQueue {
  constructor(private readonly store: KeyValueStore<Buffer, Buffer>) {}

  /** Holds a record until its dueAt; holding the same message again replaces nothing else. */
  hold(record: LaneRecord): void {
    const key = dueKey(record.dueAt, record.request.messageId);
    this.store.put(key, Buffer.from(JSON.stringify(record), 'utf8'));
    this.store.put(indexKey(record.request.messageId), key);
  }

  /** Removes and returns the held record of `messageId`, if any. */
  async remove(messageId: string): Promise<LaneRecord | undefined> {
    const idx = indexKey(messageId);
    const key = await this.store.get(idx);
    if (!key) return undefined;
    const value = await this.store.get(key);
    this.store.delete(key);
    this.store.delete(idx);
    return value ? (JSON.parse(value.toString('utf8')) as LaneRecord) : undefined;
  }

  /** Removes and returns up to `max` records due at or before `now`, earliest first. */
  async releaseDue(now: number, max: number): Promise<LaneRecord[]> {
    const from = Buffer.from([DUE]);
    const to = dueKey(now + 1, '');
    const released: { key: Buffer; record: LaneRecord }[] = [];
    for await (const { key, value } of this.store.range(from, to)) {
      released.push({ key, record: JSON.parse(value.toString('utf8')) as LaneRecord });
      if (released.length >= max) break;
    }
    for (const { key, record } of released) {
      this.store.delete(key);
      this.store.delete(indexKey(record.request.messageId));
    }
    return released.map((r) => r.record);
  }
}
