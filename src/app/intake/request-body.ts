/**
 * The JSON body of `POST /v1/messages`: the fields of the Avro `NotificationRequest`
 * (schemas/NotificationRequest.avsc), checked with zod so that a bad body is answered with the
 * path of the failing field, then checked once more against the Avro type itself so the two can
 * never drift apart silently. `messageId` and `createdAt` may be left out (a UUID and now);
 * `sendAt`, `expireAt` and `createdAt` take epoch milliseconds or an ISO-8601 time.
 *
 * Content rules (templates, address formats, blocked words) are the topology's job: a request
 * that is well-formed but names an unknown template is accepted here and REJECTED on the
 * feedback stream, where `GET /v1/messages/{id}` shows it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Type } from 'avsc';
import { CATEGORY_SYMBOLS, CHANNEL_SYMBOLS, PRIORITY_SYMBOLS, type Category, type Channel, type NotificationRequest, type Priority } from '../../notify/index.js';

const text = (max: number) => z.string().min(1, { message: 'must not be empty' }).max(max, { message: `at most ${max} characters` });
const optionalText = (max: number) => text(max).nullish();

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

const stringMap = z.record(z.string(), z.string()).refine((m) => Object.keys(m).length <= 64, { message: 'at most 64 entries' });

const recipient = z.strictObject({
  userId: text(128),
  phone: optionalText(32),
  deviceToken: optionalText(512),
  pushPlatform: optionalText(32),
  openId: optionalText(128),
  email: optionalText(320),
  webhookUrl: optionalText(2048),
  timeZone: optionalText(64),
});

export const requestBodySchema = z.strictObject({
  messageId: optionalText(128),
  dedupeKey: optionalText(256),
  businessUnit: text(64),
  scenario: text(128),
  category: z.enum(CATEGORY_SYMBOLS as [Category, ...Category[]]),
  channel: z.enum(CHANNEL_SYMBOLS as [Channel, ...Channel[]]),
  priority: z.enum(PRIORITY_SYMBOLS as [Priority, ...Priority[]]).nullish(),
  recipient,
  templateId: text(128),
  templateParams: stringMap.optional(),
  locale: optionalText(35),
  sendAt: time.nullish(),
  expireAt: time.nullish(),
  createdAt: time.optional(),
  tags: stringMap.optional(),
});

/** A field that failed, as `recipient.phone`, and why. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export type ParseResult = { ok: true; request: NotificationRequest } | { ok: false; problems: FieldProblem[] };

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') || '(body)';
}

/** Validates a parsed JSON body and builds the Avro request; `now` fills `createdAt`. */
export function parseRequestBody(body: unknown, avroType: Type, now = Date.now()): ParseResult {
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
  const avroProblems: FieldProblem[] = [];
  avroType.isValid(request, {
    errorHook: (path: string[]) => avroProblems.push({ field: path.join('.') || '(body)', message: 'does not match schemas/NotificationRequest.avsc' }),
  });
  return avroProblems.length > 0 ? { ok: false, problems: avroProblems } : { ok: true, request };
}
