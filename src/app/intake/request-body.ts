/**
 * The JSON body of `POST /v1/messages`: the fields of the Avro `NotificationRequest`
 * (schemas/NotificationRequest.avsc), checked with zod so that a bad body is answered with the
 * path of the failing field, then checked once more against the Avro type itself so the two can
 * never drift apart silently. `messageId` and `createdAt` may be left out (a UUID and now);
 * `sendAt`, `expireAt` and `createdAt` take epoch milliseconds or an ISO-8601 time.
 *
 * Sizes follow the same input limits as the topology (`checkRequestLimits`, configured under
 * `limits`), so a request the topology would REJECT for a field over its limit is answered 400
 * naming that field here instead, and never written.
 *
 * Content rules (templates, address formats, blocked words, rendered size) are the topology's
 * job: a request that is well-formed but names an unknown template is accepted here and REJECTED
 * on the feedback stream, where `GET /v1/messages/{id}` shows it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Type } from 'avsc';
import {
  CATEGORY_SYMBOLS,
  CHANNEL_SYMBOLS,
  checkRequestLimits,
  DEFAULT_REQUEST_LIMITS,
  PRIORITY_SYMBOLS,
  type Category,
  type Channel,
  type NotificationRequest,
  type Priority,
  type RequestLimits,
} from '../../notify/index.js';

// Maximum lengths are not repeated here: checkRequestLimits owns them (one rule for both intakes).
const text = () => z.string().min(1, { message: 'must not be empty' });
const optionalText = () => text().nullish();

const time = z.union([
  z.number().int().nonnegative(),
  z.string().transform((s, ctx) => {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected epoch milliseconds or an ISO-8601 time' });
      return z.NEVER;
    }
    return ms;
  }),
]);

const stringMap = z.record(z.string(), z.string());

const recipient = z.strictObject({
  userId: text(),
  phone: optionalText(),
  deviceToken: optionalText(),
  pushPlatform: optionalText(),
  openId: optionalText(),
  email: optionalText(),
  webhookUrl: optionalText(),
  timeZone: optionalText(),
});

export const requestBodySchema = z.strictObject({
  messageId: optionalText(),
  dedupeKey: optionalText(),
  businessUnit: text(),
  scenario: text(),
  category: z.enum(CATEGORY_SYMBOLS as [Category, ...Category[]]),
  channel: z.enum(CHANNEL_SYMBOLS as [Channel, ...Channel[]]),
  priority: z.enum(PRIORITY_SYMBOLS as [Priority, ...Priority[]]).nullish(),
  recipient,
  templateId: text(),
  templateParams: stringMap.optional(),
  locale: optionalText(),
  sendAt: time.nullish(),
  expireAt: time.nullish(),
  createdAt: time.optional(),
  tags: stringMap.optional(),
});

/** A field that failed, as `recipient.phone`, and why; `reason` is the feedback reason of a limit. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
  readonly reason?: string;
}

export type ParseResult = { ok: true; request: NotificationRequest } | { ok: false; problems: FieldProblem[] };

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') || '(body)';
}

/** Validates a parsed JSON body and builds the Avro request; `now` fills `createdAt`. */
export function parseRequestBody(body: unknown, avroType: Type, now = Date.now(), limits: RequestLimits = DEFAULT_REQUEST_LIMITS): ParseResult {
  const result = requestBodySchema.safeParse(body);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((issue) => {
        if (issue.code === 'unrecognized_keys') return { field: fieldOf([...issue.path, issue.keys[0] ?? '']), message: 'unknown field' };
        const missing = issue.code === 'invalid_type' && issue.input === undefined;
        return { field: fieldOf(issue.path), message: missing ? 'missing' : issue.message };
      }),
    };
  }
  const b = result.data;
  const r = b.recipient;
  const request: NotificationRequest = {
    messageId: b.messageId ?? randomUUID(),
    dedupeKey: b.dedupeKey ?? null,
    businessUnit: b.businessUnit,
    scenario: b.scenario,
    category: b.category,
    channel: b.channel,
    priority: b.priority ?? null,
    recipient: {
      userId: r.userId,
      phone: r.phone ?? null,
      deviceToken: r.deviceToken ?? null,
      pushPlatform: r.pushPlatform ?? null,
      openId: r.openId ?? null,
      email: r.email ?? null,
      webhookUrl: r.webhookUrl ?? null,
      timeZone: r.timeZone ?? null,
    },
    templateId: b.templateId,
    templateParams: b.templateParams ?? {},
    locale: b.locale ?? 'zh-CN',
    sendAt: b.sendAt ?? null,
    expireAt: b.expireAt ?? null,
    createdAt: b.createdAt ?? now,
    tags: b.tags ?? {},
  };
  const violation = checkRequestLimits(request, limits);
  if (violation) return { ok: false, problems: [{ field: violation.field, message: violation.detail, reason: violation.reason }] };
  const avroProblems: FieldProblem[] = [];
  avroType.isValid(request, {
    errorHook: (path: string[]) => avroProblems.push({ field: path.join('.') || '(body)', message: 'does not match schemas/NotificationRequest.avsc' }),
  });
  return avroProblems.length > 0 ? { ok: false, problems: avroProblems } : { ok: true, request };
}
