/**
 * The JSON body decoder of `POST /v1/messages`: a field over its input limit is named like the
 * topology names it, and (fast-check) no JSON value makes it throw; whatever it accepts passes
 * the same input limits and the Avro contract, so the topology will never dead-letter it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appCodecs } from '../../../src/app/codecs.js';
import { parseRequestBody } from '../../../src/app/intake/request-body.js';
import { checkRequestLimits, DEFAULT_REQUEST_LIMITS } from '../../../src/notify/index.js';

const type = appCodecs().request.entry.type;
const valid = {
  businessUnit: 'shop',
  scenario: 'order-shipped',
  category: 'NOTIFICATION',
  channel: 'SMS',
  recipient: { userId: 'u1', phone: '+8613800138000' },
  templateId: 'order-shipped',
  templateParams: { orderId: 'SO42' },
};

describe('request body', () => {
  it('names the field over its limit, with the reason the topology would give', () => {
    const result = parseRequestBody({ ...valid, scenario: 's'.repeat(129) }, type, 0);
    expect(result).toEqual({ ok: false, problems: [{ field: 'scenario', message: 'at most 128 characters', reason: 'limit:scenario:too-long' }] });
    const small = parseRequestBody({ ...valid, templateParams: { orderId: 'SO42' } }, type, 0, { ...DEFAULT_REQUEST_LIMITS, templateParams: { maxEntries: 1, keyLength: 3, valueLength: 10 } });
    expect(small).toMatchObject({ ok: false, problems: [{ field: 'templateParams', reason: 'limit:templateParams:key-too-long' }] });
  });

  it('never throws on any JSON, and what it accepts is within the limits and the Avro contract', () => {
    const field = fc.constantFrom(...Object.keys(valid), 'messageId', 'dedupeKey', 'tags', 'sendAt', 'expireAt', 'createdAt', 'locale', 'priority');
    const body = fc.oneof(
      fc.jsonValue(),
      // A valid body with one field replaced by any JSON value.
      fc.tuple(field, fc.jsonValue()).map(([k, v]) => ({ ...valid, [k]: v })),
      fc.tuple(fc.constantFrom('userId', 'phone', 'email', 'timeZone'), fc.jsonValue()).map(([k, v]) => ({ ...valid, recipient: { ...valid.recipient, [k]: v } })),
    );
    fc.assert(
      fc.property(body, (b) => {
        const result = parseRequestBody(b, type, 0);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          return;
        }
        expect(checkRequestLimits(result.request, DEFAULT_REQUEST_LIMITS)).toBeUndefined();
        expect(type.isValid(result.request)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
