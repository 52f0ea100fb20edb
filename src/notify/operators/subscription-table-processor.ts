/**
 * Materialises `notify.subscriptions` (compacted, key userId) into a key-value store that
 * validate reads. A tombstone deletes the state: the user is subscribed to everything again.
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import type { Record } from '../../streams/processor/record.js';
import type { KeyValueStore } from '../../streams/state/key-value-store.js';
import type { SubscriptionState } from '../generated/schema-types.js';

export class SubscriptionTableProcessor implements Processor<string, SubscriptionState | null, never, never> {
  private store!: KeyValueStore<string, SubscriptionState>;

  constructor(private readonly storeName: string) {}

  init(context: ProcessorContext<never, never>): void {
    this.store = context.getStateStore(this.storeName);
  }

  process(record: Record<string, SubscriptionState | null>): void {
    if (record.key == null) return;
    if (record.value == null) this.store.delete(record.key);
    else this.store.put(record.key, record.value);
  }
}
