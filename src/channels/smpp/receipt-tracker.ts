/**
 * Maps SMSC message ids back to our message ids so receipts can carry `messageId`. A long SMS
 * has one SMSC id per part: the message counts as DELIVERED when every part is, FAILED at the
 * first failed part, and is reported once under its first part's id (the one the send result
 * returned). Part ids are remembered as each submit_sm_resp arrives, because a fast SMSC can
 * send part 1's receipt before part 3's response. Memory is bounded: past `capacity` ids the
 * oldest are forgotten (their late receipts are then reported without `messageId`).
 */

/** One message's parts, as handed out by {@link ReceiptTracker.open}. */
export interface ReceiptGroup {
  readonly messageId: string;
  readonly ids: Array<string | undefined>;
  remaining: number;
  done: boolean;
}

/** What a receipt resolves to. */
export interface TrackedOutcome {
  messageId?: string;
  providerMessageId: string;
  status: 'DELIVERED' | 'FAILED';
}

/** Bounded providerMessageId → message map with multi-part aggregation. */
export class ReceiptTracker {
  readonly #capacity: number;
  readonly #byPart = new Map<string, ReceiptGroup>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Ids currently remembered. */
  get size(): number {
    return this.#byPart.size;
  }

  /** Starts tracking a message of `parts` parts. */
  open(messageId: string, parts: number): ReceiptGroup {
    return { messageId, ids: new Array<string | undefined>(parts).fill(undefined), remaining: parts, done: false };
  }

  /** Remembers the SMSC id of part `index` (0-based). */
  add(group: ReceiptGroup, index: number, id: string): void {
    if (id === '') return;
    group.ids[index] = id;
    this.#byPart.set(id, group);
    // Map iteration is insertion order, so the first keys are the oldest.
    while (this.#byPart.size > this.#capacity) {
      const oldest = this.#byPart.keys().next().value;
      if (oldest === undefined) break;
      this.#byPart.delete(oldest);
    }
  }

  /** Forgets a message whose send did not succeed (its parts' receipts mean nothing to us). */
  discard(group: ReceiptGroup): void {
    group.done = true;
    for (const id of group.ids) if (id !== undefined && this.#byPart.get(id) === group) this.#byPart.delete(id);
  }

  /**
   * Applies a final receipt for one part. Returns the message outcome when it is decided now,
   * `null` while other parts are pending or after the outcome was already reported.
   */
  resolve(partId: string, status: 'DELIVERED' | 'FAILED'): TrackedOutcome | null {
    const key = this.#find(partId);
    const group = key === undefined ? undefined : this.#byPart.get(key);
    if (key === undefined || !group) return { providerMessageId: partId, status };
    this.#byPart.delete(key);
    if (group.done) return null;
    const providerMessageId = group.ids.find((id) => id !== undefined) ?? partId;
    if (status === 'DELIVERED' && --group.remaining > 0) return null;
    group.done = true;
    for (const id of group.ids) if (id !== undefined && this.#byPart.get(id) === group) this.#byPart.delete(id);
    return { messageId: group.messageId, providerMessageId, status };
  }

  /** SMSCs disagree on hex vs decimal ids between submit_sm_resp and receipts; try both. */
  #find(id: string): string | undefined {
    if (this.#byPart.has(id)) return id;
    if (/^[0-9]+$/.test(id)) {
      const hex = BigInt(id).toString(16);
      for (const candidate of [hex, hex.toUpperCase()]) if (this.#byPart.has(candidate)) return candidate;
    }
    if (/^[0-9a-f]+$/i.test(id)) {
      const decimal = BigInt(`0x${id}`).toString(10);
      if (this.#byPart.has(decimal)) return decimal;
    }
    return undefined;
  }
}
