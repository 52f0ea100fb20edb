/**
 * A pool of providers for one channel with ordered failover (DESIGN F10: primary line, backup
 * lines). A message goes to the first provider that supports it and whose circuit admits it; a
 * RETRYABLE_ERROR moves on to the next one; ACCEPTED and PERMANENT_ERROR end the attempt (a
 * permanent error is about the message, and another line would reject it too). Retrying later
 * is the topology's business (per-category retry policy), not the pool's.
 */
import { permanent, retryable } from './channel-error.js';
import type { GuardedProvider } from './guard/guarded-provider.js';
import type { Channel, OutboundMessage, SendResult } from './types.js';

/** An ordered list of guarded providers serving one channel. */
export class ProviderPool {
  readonly name: string;
  readonly channel: Channel;
  readonly providers: readonly GuardedProvider[];

  constructor(name: string, channel: Channel, providers: readonly GuardedProvider[]) {
    this.name = name;
    this.channel = channel;
    this.providers = providers;
  }

  /** Sends one message with failover. Never rejects. */
  async send(message: OutboundMessage): Promise<SendResult> {
    let last: SendResult | undefined;
    const refused: string[] = [];
    for (const provider of this.providers) {
      if (!provider.supports(message)) continue;
      const result = await provider.send(message);
      if (result.status !== 'RETRYABLE_ERROR') return result;
      refused.push(`${provider.name}: ${result.reason}`);
      last = result;
    }
    if (!last) {
      const platform = message.recipient.pushPlatform;
      const what = platform ? `${message.channel}/${platform}` : message.channel;
      return permanent(message.messageId, this.name, `no provider in pool ${this.name} supports ${what}`);
    }
    if (refused.length === 1) return last;
    return retryable(message.messageId, last.provider, `all providers failed (${refused.join('; ')})`);
  }

  /** Sends a batch; results in input order. */
  sendBatch(messages: readonly OutboundMessage[]): Promise<SendResult[]> {
    return Promise.all(messages.map((message) => this.send(message)));
  }
}
