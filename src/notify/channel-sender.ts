/**
 * What the channel sink needs from the providers: send a batch, get one result per message in
 * the same order. `ChannelRouter` of src/channels has exactly this shape; tests pass a fake.
 */
import type { OutboundMessage, SendResult } from '../channels/index.js';

export type { OutboundMessage, SendResult } from '../channels/index.js';

export interface ChannelSender {
  /**
   * Sends every message; resolves with one result per message, in input order. Per-message
   * failures are results (RETRYABLE_ERROR / PERMANENT_ERROR), never rejections; a rejection
   * means the whole batch failed and is treated as retryable.
   */
  send(batch: readonly OutboundMessage[]): Promise<SendResult[]>;
}
