/**
 * The demo's live summary: feedback events counted per status (rows) and channel (columns),
 * plus how many requests have reached a terminal status.
 */
import { CHANNEL_SYMBOLS, FEEDBACK_STATUS_SYMBOLS, TERMINAL_STATUSES, type DeliveryFeedback } from '../../notify/index.js';

export class OutcomeTable {
  private readonly counts = new Map<string, number>();
  private readonly lastStatus = new Map<string, DeliveryFeedback>();
  terminal = 0;
  events = 0;

  add(e: DeliveryFeedback): void {
    this.events++;
    const key = `${e.status}|${e.channel ?? '-'}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if ((e.subject ?? 'REQUEST') === 'REQUEST') {
      if (TERMINAL_STATUSES.has(e.status)) this.terminal++;
      // A DUPLICATE ends a second record of the id (a producer retry), not the first one, which
      // may still be held: it must not hide the first record's progress.
      if (e.status !== 'DUPLICATE') this.lastStatus.set(e.messageId, e);
    }
  }

  /** Messages whose latest event is SCHEDULED or RETRYING (held for later: sendAt, quiet hours, retry). */
  held(): number {
    let n = 0;
    for (const e of this.lastStatus.values()) if (e.status === 'SCHEDULED' || e.status === 'RETRYING') n++;
    return n;
  }

  /** A fixed-width table; rows with no events are left out. */
  render(): string {
    const cols = [...CHANNEL_SYMBOLS, 'total'];
    const lines = [`${'status'.padEnd(13)}${cols.map((c) => c.padStart(9)).join('')}`];
    for (const status of FEEDBACK_STATUS_SYMBOLS) {
      const row = CHANNEL_SYMBOLS.map((c) => this.counts.get(`${status}|${c}`) ?? 0);
      const other = this.counts.get(`${status}|-`) ?? 0;
      const total = row.reduce((a, b) => a + b, 0) + other;
      if (total === 0) continue;
      lines.push(`${status.padEnd(13)}${[...row, total].map((n) => String(n).padStart(9)).join('')}`);
    }
    return lines.join('\n');
  }
}
