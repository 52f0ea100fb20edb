/** Record headers: names to raw bytes (Kafka allows repeated names; the last one wins here). */
export type Headers = { readonly [name: string]: Buffer };

/**
 * An immutable record flowing through a topology. Copy with the `with…()` methods; never mutate.
 * `timestamp` is the event time in epoch milliseconds that stream time advances on.
 */
export class Record<K, V> {
  constructor(
    readonly key: K,
    readonly value: V,
    readonly timestamp: number,
    readonly headers: Headers = {},
  ) {}

  withKey<K2>(key: K2): Record<K2, V> {
    return new Record(key, this.value, this.timestamp, this.headers);
  }

  withValue<V2>(value: V2): Record<K, V2> {
    return new Record(this.key, value, this.timestamp, this.headers);
  }

  withTimestamp(timestamp: number): Record<K, V> {
    return new Record(this.key, this.value, timestamp, this.headers);
  }

  withHeaders(headers: Headers): Record<K, V> {
    return new Record(this.key, this.value, this.timestamp, headers);
  }

  /** Adds or replaces one header, keeping the others. */
  withHeader(name: string, value: Buffer | string): Record<K, V> {
    return this.withHeaders({ ...this.headers, [name]: typeof value === 'string' ? Buffer.from(value) : value });
  }
}

/** Where the record being processed came from. Absent inside a punctuator. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}
