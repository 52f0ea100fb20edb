/**
 * Property-based fuzz of the intake (issue 11) on the test driver: whatever reaches the requests
 * topic — arbitrary bytes, a valid encoding cut or flipped, or a well-typed request with empty,
 * huge, unicode or control-character strings — ends in exactly one place: the dead-letter topic,
 * one terminal feedback event, or one lane record. Nothing throws, and no feedback record grows
 * with the input. Runs are bounded so the unit suite stays fast; failures shrink to a minimal
 * input and print the seed to replay with.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '../../../../src/notify/operators/feedback.js';
import { CATEGORY_SYMBOLS, CHANNEL_SYMBOLS, PRIORITY_SYMBOLS, type DeliveryFeedback, type NotificationRequest } from '../../../../src/notify/generated/schema-types.js';
import { defaultSchemaDir } from '../../../../src/notify/schemas/schema-catalog.js';
import { AvroSchemaCatalog, AvroSerde } from '../../../../src/streams/serde/index.js';
import { Harness, NOON_SHANGHAI, request } from './harness.js';

/** Runs per property; `FUZZ_RUNS=5000 npx vitest run test/unit/notify/operators/intake-fuzz.test.ts` digs deeper. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);
const catalog = AvroSchemaCatalog.fromDirectory(defaultSchemaDir());
const requestSerde = new AvroSerde<NotificationRequest>({ catalog, type: 'notify.v1.NotificationRequest' });
const feedbackSerde = new AvroSerde<DeliveryFeedback>({ catalog, type: 'notify.v1.DeliveryFeedback' });

let h: Harness;
beforeAll(() => {
  h = new Harness(undefined, NOON_SHANGHAI, { storeKind: 'persistent', deadLetters: true });
});
afterAll(async () => {
  await h.close();
});

type Outcome = 'dead-letter' | 'terminal' | 'lane';

/** Runs one input and says where it ended; fails the property unless it is exactly one place. */
async function outcomeOf(pipe: () => Promise<void>): Promise<Outcome> {
  const t = h.config.topics;
  const laneTopics = [t.lanes.critical.name, t.lanes.normal.name, t.lanes.bulk.name];
  const count = (topic: string): number => h.driver.producedRecords(topic).length;
  const lanesBefore = laneTopics.reduce((n, topic) => n + count(topic), 0);
  const dlqBefore = count(t.dlq.name);
  const feedbackBefore = count(t.feedback.name);
  await pipe();
  const lanes = laneTopics.reduce((n, topic) => n + count(topic), 0) - lanesBefore;
  const dlq = count(t.dlq.name) - dlqBefore;
  const feedback = h.driver.producedRecords(t.feedback.name).slice(feedbackBefore);
  for (const f of feedback) expect(f.value!.length, 'a feedback record grew with the input').toBeLessThan(2048);
  const terminal = feedback.map((f) => feedbackSerde.deserialize(t.feedback.name, f.value!)).filter((f) => f.subject === 'REQUEST' && TERMINAL_STATUSES.has(f.status));
  if (dlq === 1 && lanes === 0 && feedback.length === 0) return 'dead-letter';
  if (dlq === 0 && lanes === 0 && terminal.length === 1) return 'terminal';
  // A lane record may be answered at once by dispatch (e.g. EXPIRED on release): at most one terminal then.
  if (dlq === 0 && lanes === 1 && terminal.length <= 1) return 'lane';
  throw new Error(`no single outcome: dlq=${dlq} lanes=${lanes} terminal=${terminal.map((f) => `${f.status}:${f.reason}`).join(',')}`);
}

/** Strings a producer might send by mistake or on purpose. */
const nastyString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }, // lone surrogates included
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 0x1f }), { minLength: 1, maxLength: 20 }).map((codes) => String.fromCharCode(...codes)) }, // control characters
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 200_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant('y'.repeat(1024 * 1024)) },
);
/** Mostly values that pass, so the later checks (address, template, stores) are reached too. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ weight: 20, arbitrary: good }, { weight: 1, arbitrary: bad });
// avsc writes longs up to ±(2^53 - 2).
const time = fc.oneof(fc.constant(null), fc.constant(NOON_SHANGHAI), fc.integer({ min: -1e15, max: 9e15 }), fc.constantFrom(9007199254740990, -9007199254740990, 8.64e15 + 1));
const stringMap = mostly(
  fc.constant({ orderId: 'A1', code: '1', minutes: '5', text: 'sale', title: 't' }),
  fc.oneof(
    fc.dictionary(nastyString, nastyString, { maxKeys: 5 }),
    fc.integer({ min: 60, max: 120 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))),
  ),
);

const anyRequest: fc.Arbitrary<NotificationRequest> = fc.record({
  messageId: mostly(fc.uuid(), nastyString),
  dedupeKey: fc.option(nastyString),
  businessUnit: mostly(fc.constantFrom('shop', 'bank'), nastyString),
  scenario: mostly(fc.constant('order-shipped'), nastyString),
  category: fc.constantFrom(...CATEGORY_SYMBOLS),
  channel: fc.constantFrom(...CHANNEL_SYMBOLS),
  priority: fc.option(fc.constantFrom(...PRIORITY_SYMBOLS)),
  recipient: fc.record({
    userId: mostly(fc.constantFrom('u1', 'u2', 'u3'), nastyString),
    phone: fc.option(mostly(fc.constant('+8613800138000'), nastyString)),
    deviceToken: fc.option(mostly(fc.constant('a'.repeat(64)), nastyString)),
    pushPlatform: fc.option(mostly(fc.constantFrom('APNS', 'FCM', 'HUAWEI'), nastyString)),
    openId: fc.option(mostly(fc.constant('o'.repeat(28)), nastyString)),
    email: fc.option(mostly(fc.constant('a@example.com'), nastyString)),
    webhookUrl: fc.option(mostly(fc.constant('https://hooks.example.com/x'), nastyString)),
    timeZone: fc.option(mostly(fc.constantFrom('Asia/Shanghai', 'Europe/Berlin'), nastyString)),
  }),
  templateId: mostly(fc.constantFrom('order-shipped', 'promo', 'verification-code'), nastyString),
  templateParams: stringMap,
  locale: mostly(fc.constantFrom('zh-CN', 'en-US'), nastyString),
  sendAt: mostly(fc.constant(null), time),
  expireAt: mostly(fc.constant(null), time),
  createdAt: mostly(fc.constant(NOON_SHANGHAI), time.map((t) => t ?? NOON_SHANGHAI)),
  tags: stringMap,
});

const encodedValid = requestSerde.serialize('t', request());

/** Bytes: random, a valid header with a random body, or a valid record cut short or with bytes flipped. */
const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((tail) => Buffer.concat([encodedValid.subarray(0, 10), tail])),
  fc.integer({ min: 0, max: encodedValid.length - 1 }).map((n) => encodedValid.subarray(0, n)),
  fc.array(fc.tuple(fc.nat(encodedValid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
    const copy = Buffer.from(encodedValid);
    for (const [at, byte] of flips) copy[at] = byte;
    return copy;
  }),
);

describe('intake fuzz', () => {
  it('arbitrary bytes on the requests topic end in the DLQ, one terminal feedback or one lane record', async () => {
    const topic = h.config.topics.requests.name;
    await fc.assert(
      fc.asyncProperty(fc.option(fc.uint8Array({ maxLength: 20 })), anyBytes, async (key, value) => {
        const outcome = await outcomeOf(() => h.driver.pipeRaw(topic, key ? Buffer.from(key) : null, Buffer.from(value)));
        expect(['dead-letter', 'terminal', 'lane']).toContain(outcome);
      }),
      { numRuns: RUNS },
    );
  });

  it('well-typed requests with any strings, maps and times are REJECTED naming a field, or pass on', async () => {
    const outcomes = new Map<Outcome, number>();
    await fc.assert(
      fc.asyncProperty(anyRequest, fc.option(fc.option(nastyString), { freq: 5 }), async (r, keyChoice) => {
        // Mostly keyed by the userId (null here), else by any string or no key at all.
        const key = keyChoice === null ? r.recipient.userId : keyChoice;
        const outcome = await outcomeOf(() => h.requests.pipeInput(key, r, h.now()));
        expect(outcome, 'a decodable request is never dead-lettered').not.toBe('dead-letter');
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    // Both answers were exercised (the arbitraries lean towards valid values for this).
    expect(outcomes.get('terminal')).toBeGreaterThan(0);
    expect(outcomes.get('lane')).toBeGreaterThan(0);
  });
});
