import type { RawRecord } from './exception-handlers.js';

/** A FIFO of consumed records of one topic-partition, cheap to shift from. */
class RecordQueue {
  private items: RawRecord[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(record: RawRecord): void {
    this.items.push(record);
  }

  peek(): RawRecord | undefined {
    return this.items[this.head];
  }

  shift(): RawRecord | undefined {
    const r = this.items[this.head];
    if (r === undefined) return undefined;
    this.head++;
    // Compact now and then so a long-lived queue does not keep consumed records reachable.
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return r;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

interface Lane {
  readonly topic: string;
  readonly weight: number;
  readonly queue: RecordQueue;
  /** Smooth weighted round-robin credit (the nginx algorithm). */
  credit: number;
}

/**
 * The input buffer of one task: a queue per source topic of the task's partition. Picks the
 * next record by weight when sources have different weights (critical before bulk, but never
 * starving bulk while others are empty), otherwise by lowest timestamp, as Kafka Streams does.
 */
export class PartitionGroup {
  private readonly lanes = new Map<string, Lane>();
  private readonly weighted: boolean;
  private buffered = 0;

  constructor(weights: ReadonlyMap<string, number>) {
    for (const [topic, weight] of weights) {
      this.lanes.set(topic, { topic, weight, queue: new RecordQueue(), credit: 0 });
    }
    this.weighted = new Set(weights.values()).size > 1;
  }

  topics(): string[] {
    return [...this.lanes.keys()];
  }

  add(record: RawRecord): void {
    const lane = this.lanes.get(record.topic);
    if (!lane) throw new Error(`topic "${record.topic}" is not a source of this task`);
    lane.queue.push(record);
    this.buffered++;
  }

  /** Records waiting in all queues. */
  size(): number {
    return this.buffered;
  }

  /** Records waiting for one topic; the runtime pauses fetching a topic whose queue is full. */
  sizeOf(topic: string): number {
    return this.lanes.get(topic)?.queue.size ?? 0;
  }

  next(): RawRecord | undefined {
    if (this.buffered === 0) return undefined;
    const lane = this.weighted ? this.pickByWeight() : this.pickByTimestamp();
    const r = lane?.queue.shift();
    if (r) this.buffered--;
    return r;
  }

  clear(): void {
    for (const lane of this.lanes.values()) lane.queue.clear();
    this.buffered = 0;
  }

  private pickByWeight(): Lane | undefined {
    let total = 0;
    let best: Lane | undefined;
    for (const lane of this.lanes.values()) {
      if (lane.queue.size === 0) continue;
      lane.credit += lane.weight;
      total += lane.weight;
      if (!best || lane.credit > best.credit) best = lane;
    }
    if (best) best.credit -= total;
    return best;
  }

  private pickByTimestamp(): Lane | undefined {
    let best: Lane | undefined;
    let bestTs = Infinity;
    for (const lane of this.lanes.values()) {
      const head = lane.queue.peek();
      if (head && head.timestamp < bestTs) {
        best = lane;
        bestTs = head.timestamp;
      }
    }
    return best;
  }
}
