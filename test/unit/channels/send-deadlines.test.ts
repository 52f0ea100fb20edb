import { describe, expect, it } from 'vitest';
import { SendDeadlines } from '../../../src/channels/guard/send-deadlines.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('send deadlines', () => {
  it('passes on what finishes in time, and never aborts it', async () => {
    const deadlines = new SendDeadlines(200);
    let signal: AbortSignal | undefined;
    const result = await deadlines.run(
      async (s) => {
        signal = s;
        await sleep(10);
        return 'sent';
      },
      () => 'timeout',
    );
    expect(result).toEqual({ value: 'sent', timedOut: false });
    await sleep(250);
    expect(signal?.aborted).toBe(false);
  });

  it('times out a send that never answers: not before the timeout, at most a tick after, with its signal aborted', async () => {
    const deadlines = new SendDeadlines(100);
    let signal: AbortSignal | undefined;
    const started = performance.now();
    const result = await deadlines.run(
      (s) => {
        signal = s;
        return new Promise<string>(() => {});
      },
      () => 'timeout',
    );
    const elapsed = performance.now() - started;
    expect(result).toEqual({ value: 'timeout', timedOut: true });
    expect(signal?.aborted).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(99);
    expect(elapsed).toBeLessThan(100 + 1 + 50); // a tick (1 ms) plus timer slack
  });

  it('shares one signal among the sends of a tick; later sends get their own, and a late answer does not override the timeout', async () => {
    const deadlines = new SendDeadlines(1000); // tick 10 ms
    const signals: AbortSignal[] = [];
    const hang = (s: AbortSignal): Promise<string> => {
      signals.push(s);
      return new Promise<string>(() => {});
    };
    void deadlines.run(hang, () => 'timeout');
    void deadlines.run(hang, () => 'timeout');
    await sleep(30);
    void deadlines.run(hang, () => 'timeout');
    expect(signals[0]).toBe(signals[1]);
    expect(signals[2]).not.toBe(signals[0]);

    const late = new SendDeadlines(20);
    let answer: (v: string) => void = () => {};
    const result = late.run(() => new Promise<string>((r) => (answer = r)), () => 'timeout');
    await sleep(60);
    answer('sent');
    expect(await result).toEqual({ value: 'timeout', timedOut: true });
  });
});
