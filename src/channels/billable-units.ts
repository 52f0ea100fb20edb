/**
 * Billable units per message, the same for real providers and the log provider so that billing
 * in a quick start matches production: SMS counts segments, every other channel one unit.
 */
import { countSmsSegments } from './sms/sms-segments.js';
import type { OutboundMessage } from './types.js';

/** Units the provider will charge for this message. */
export function billableUnits(message: OutboundMessage): number {
  return message.channel === 'SMS' ? countSmsSegments(message.body).segments : 1;
}
