/**
 * A provider that sends nothing: it records (and optionally prints) what it would send and
 * answers ACCEPTED with the same billable units a real provider of the channel would charge.
 * Used by the quick start and by topology tests.
 */
import { accepted } from '../channel-error.js';
import { billableUnits } from '../billable-units.js';
import type { LogProviderConfig } from '../provider-config.js';
import type { Channel, ChannelProvider, OutboundMessage, SendResult } from '../types.js';

/** Records messages in memory (bounded by `keep`) and accepts them. */
export class LogProvider implements ChannelProvider {
  readonly name: string;
  readonly channel: Channel;
  readonly #keep: number;
  readonly #print: ((line: string) => void) | undefined;
  readonly #sent: OutboundMessage[] = [];
  #count = 0;

  constructor(config: Pick<LogProviderConfig, 'name' | 'keep' | 'print'>, channel: Channel, print?: (line: string) => void) {
    this.name = config.name;
    this.channel = channel;
    this.#keep = config.keep;
    this.#print = config.print ? (print ?? ((line) => process.stdout.write(`${line}\n`))) : undefined;
  }

  /** The most recent messages, oldest first (at most `keep`). */
  get sent(): readonly OutboundMessage[] {
    return this.#sent;
  }

  /** Messages accepted since start. */
  get count(): number {
    return this.#count;
  }

  send(message: OutboundMessage): Promise<SendResult> {
    this.#count++;
    const providerMessageId = `${this.name}-${this.#count}`;
    if (this.#keep > 0) {
      this.#sent.push(message);
      if (this.#sent.length > this.#keep) this.#sent.shift();
    }
    const units = billableUnits(message);
    this.#print?.(
      JSON.stringify({ provider: this.name, channel: message.channel, messageId: message.messageId, providerMessageId, units, to: message.recipient, body: message.body }),
    );
    return Promise.resolve(accepted(message.messageId, this.name, units, providerMessageId));
  }

  /** Forgets recorded messages. */
  clear(): void {
    this.#sent.length = 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
