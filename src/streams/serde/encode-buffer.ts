import type { Type } from 'avsc';

/**
 * Where Avro values are encoded: a slab that records are written into one after another, each
 * handed out as its own `subarray` view. DESIGN §7: `Buffer.concat` per record (header + body)
 * is what costs, so the header and body are written in place and no bytes are copied. A view is
 * never written again (the position only moves forward and a full slab is replaced, not
 * reused), so callers own what they get; a slab is freed once no view of it is referenced.
 */
export class EncodeBuffer {
  private slab: Buffer;
  private position = 0;

  /** @param slabSize bytes per slab; a record larger than this gets a slab of its own size. */
  constructor(private readonly slabSize = 64 * 1024) {
    this.slab = Buffer.allocUnsafe(slabSize);
  }

  /**
   * Writes `header` followed by `type`'s binary encoding of `value` and returns exactly those
   * bytes. Throws what avsc throws for a value that does not match `type`.
   */
  write(type: Type, value: unknown, header: Buffer): Buffer {
    const start = this.position;
    const bodyStart = start + header.length;
    if (bodyStart <= this.slab.length) {
      const end = type.encode(value, this.slab, bodyStart);
      if (end >= 0) return this.commit(header, start, end);
      // avsc answers a negative number: how many bytes were missing past the slab's end.
      return this.writeInFreshSlab(type, value, header, this.slab.length - bodyStart - end);
    }
    return this.writeInFreshSlab(type, value, header, 0);
  }

  private writeInFreshSlab(type: Type, value: unknown, header: Buffer, bodyHint: number): Buffer {
    let size = Math.max(this.slabSize, header.length + bodyHint);
    for (;;) {
      this.slab = Buffer.allocUnsafe(size);
      this.position = 0;
      const end = type.encode(value, this.slab, header.length);
      if (end >= 0) return this.commit(header, 0, end);
      size = header.length + (size - header.length - end);
    }
  }

  private commit(header: Buffer, start: number, end: number): Buffer {
    header.copy(this.slab, start);
    this.position = end;
    return this.slab.subarray(start, end);
  }
}
