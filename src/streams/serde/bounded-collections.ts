/**
 * Guards avsc's array and map readers against corrupt block counts. avsc trusts the count
 * that starts each block: a flipped byte can announce billions of items, and its loops then run
 * for minutes (reading past the end yields zeros, not an error), or a negative block size moves
 * the read position backwards forever. One poison record must not stall a stream task, so the
 * catalog builds every array and map type it parses with `_read` and `_skip` versions that
 * stop as soon as the position passes the end of the buffer, refuse negative block sizes, and
 * cap the items read from no bytes at all (e.g. an array of nulls) — and then mark the read as
 * truncated, which the serde reports as a DeserializationError. Valid data reads exactly as
 * before. Resolvers copy the reader's `_read` when they are created, so they are covered too.
 *
 * This reaches into avsc internals (`_read`, `_skip`, its Tap); the serde tests pin the
 * behaviour against the installed avsc version.
 */
import avsc from 'avsc';
import type { ForSchemaOptions } from 'avsc';

/** avsc's internal read cursor, as far as these readers use it. */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string | undefined;
  skipString(): void;
  _invalidate(): void;
}

/** What avsc calls on a type or a resolver to read or skip one value. */
interface ValueReader {
  _read(tap: Tap): unknown;
  _skip(tap: Tap): void;
}

/** Items allowed beyond one per remaining byte: room for legitimately empty items. */
const ZERO_BYTE_ITEM_ALLOWANCE = 65_536;

function overrun(tap: Tap, count: number): boolean {
  return tap.pos > tap.buf.length || count > tap.buf.length + ZERO_BYTE_ITEM_ALLOWANCE;
}

function readBlockCount(tap: Tap): number {
  const n = tap.readLong();
  if (n >= 0) return n;
  tap.skipLong(); // A negative count is followed by the block's size in bytes.
  return -n;
}

function readArray(this: { itemsType: ValueReader }, tap: Tap): unknown[] {
  const items = this.itemsType;
  const values: unknown[] = [];
  let count = 0;
  for (let n = readBlockCount(tap); n !== 0; n = readBlockCount(tap)) {
    for (; n > 0; n--) {
      if (overrun(tap, ++count)) {
        tap._invalidate();
        return values;
      }
      values.push(items._read(tap));
    }
  }
  return values;
}

function readMap(this: { valuesType: ValueReader }, tap: Tap): Record<string, unknown> {
  const values = this.valuesType;
  const map: Record<string, unknown> = {};
  let count = 0;
  for (let n = readBlockCount(tap); n !== 0; n = readBlockCount(tap)) {
    for (; n > 0; n--) {
      if (overrun(tap, ++count)) {
        tap._invalidate();
        return map;
      }
      const key = tap.readString() as string;
      map[key] = values._read(tap);
    }
  }
  return map;
}

function skipBlocks(tap: Tap, skipItem: (tap: Tap) => void): void {
  let count = 0;
  for (let n = tap.readLong(); n !== 0; n = tap.readLong()) {
    if (n < 0) {
      const size = tap.readLong();
      if (size < 0) {
        tap._invalidate();
        return;
      }
      tap.pos += size;
      continue;
    }
    for (; n > 0; n--) {
      if (overrun(tap, ++count)) {
        tap._invalidate();
        return;
      }
      skipItem(tap);
    }
  }
}

function skipArray(this: { itemsType: ValueReader }, tap: Tap): void {
  const items = this.itemsType;
  skipBlocks(tap, (t) => items._skip(t));
}

function skipMap(this: { valuesType: ValueReader }, tap: Tap): void {
  const values = this.valuesType;
  skipBlocks(tap, (t) => {
    t.skipString();
    values._skip(t);
  });
}

class BoundedArrayType extends avsc.types.ArrayType {
  _read(tap: Tap): unknown[] {
    return readArray.call(this as unknown as { itemsType: ValueReader }, tap);
  }
  _skip(tap: Tap): void {
    skipArray.call(this as unknown as { itemsType: ValueReader }, tap);
  }
}

class BoundedMapType extends avsc.types.MapType {
  _read(tap: Tap): Record<string, unknown> {
    return readMap.call(this as unknown as { valuesType: ValueReader }, tap);
  }
  _skip(tap: Tap): void {
    skipMap.call(this as unknown as { valuesType: ValueReader }, tap);
  }
}

type TypeHook = ForSchemaOptions['typeHook'];

/**
 * An avsc `typeHook` that builds every array and map with the guarded readers; `userHook`, if
 * given, is asked first. avsc types are frozen, hence subclasses chosen at parse time rather
 * than patched methods.
 */
export function boundedCollectionsHook(userHook?: TypeHook): TypeHook {
  // A schema with a registered logical type passes through here twice: first for the logical
  // type itself (left to avsc), then for its underlying type (ours).
  const deferred = new WeakSet<object>();
  return (schema, opts) => {
    const fromUser = userHook?.(schema, opts);
    if (fromUser !== undefined) return fromUser;
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema) || avsc.Type.isType(schema)) {
      return undefined;
    }
    const node = schema as { type?: unknown; logicalType?: unknown };
    if (node.type !== 'array' && node.type !== 'map') return undefined;
    const logical = node.logicalType;
    if (typeof logical === 'string' && opts.logicalTypes?.[logical] !== undefined && !deferred.has(node)) {
      deferred.add(node);
      return undefined;
    }
    return node.type === 'array' ? new BoundedArrayType(schema, opts) : new BoundedMapType(schema, opts);
  };
}
