import { describe, expect, it } from 'vitest';
import { OutcomeTable } from '../../../src/app/demo/outcome-table.js';
import type { DeliveryFeedback } from '../../../src/notify/index.js';

const event = (messageId: string, status: DeliveryFeedback['status']): DeliveryFeedback => ({
  messageId,
  userId: 'u1',
  businessUnit: 'shop',
  scenario: 'promo',
  category: 'MARKETING',
  channel: 'PUSH',
  provider: null,
  status,
  subject: 'REQUEST',
  reason: null,
  attempt: 0,
  eventTime: 0,
  emittedAt: 0,
});

describe('demo outcome table', () => {
  it('counts a record held for quiet hours as held even when a producer retry of it ended DUPLICATE', () => {
    const table = new OutcomeTable();
    table.add(event('m1', 'SCHEDULED')); // the first record, deferred to the end of quiet hours
    table.add(event('m1', 'DUPLICATE')); // the retried copy of it
    table.add(event('m2', 'SENT'));
    expect(table.terminal).toBe(2);
    expect(table.held()).toBe(1); // three records: two terminal, one held — the demo has settled
    table.add(event('m1', 'SENT'));
    expect(table.held()).toBe(0);
  });
});
