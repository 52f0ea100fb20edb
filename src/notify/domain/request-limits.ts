/**
 * Input limits of a `NotificationRequest`: required ids are non-empty, every string,
 * map and the whole request have a maximum size, and so has the content a template renders for
 * each channel. A request over a limit is answered REJECTED naming the field (the topology) or
 * 400 naming the field (the HTTP intake), never passed on to the stores, lanes or providers.
 *
 * String lengths are counted in UTF-16 code units (JavaScript `length`), as zod and JSON Schema
 * count them; byte sizes are UTF-8 bytes. The checks are pure and never throw, so a request with
 * any content ends in exactly one answer.
 *
 * Reasons are stable strings that feedback consumers may match on:
 * - `field:missing-<name>`: a required id is empty (`field:missing-message-id`,
 *   `field:missing-user-id`, `field:missing-business-unit`, `field:missing-scenario`,
 *   `field:missing-template-id`);
 * - `limit:<field>:too-long`, `…:too-many-entries`, `…:key-too-long`, `…:out-of-range`;
 * - `limit:request:too-large`: the whole request is over `requestBytes`;
 * - `limit:content.<CHANNEL>:too-large` / `limit:content.SMS:too-many-segments`: rendered content;
 * - `key:missing`, `key:not-user-id`: the Kafka record key (topology only).
 */
import { countSmsSegments } from '../../channels/index.js';
import type { Channel, NotificationRequest, Recipient } from '../generated/schema-types.js';

/** Limits of one string-to-string map (`templateParams`, `tags`). */
export interface MapLimits {
  readonly maxEntries: number;
  readonly keyLength: number;
  readonly valueLength: number;
}

/** Limits of the content rendered for each channel. */
export interface ContentLimits {
  readonly SMS: { readonly maxSegments: number };
  readonly PUSH: { readonly maxBytes: number };
  readonly WECHAT: { readonly maxBytes: number };
  readonly EMAIL: { readonly maxBytes: number };
  readonly WEBHOOK: { readonly maxBytes: number };
}

/** The configurable limits (`limits` in topology/notify-streams.yaml). */
export interface RequestLimits {
  /** Approximate encoded size of the whole request, in bytes; also the HTTP body limit. */
  readonly requestBytes: number;
  /** messageId, recipient.userId, businessUnit, scenario, templateId. */
  readonly idLength: number;
  readonly dedupeKeyLength: number;
  readonly templateParams: MapLimits;
  readonly tags: MapLimits;
  readonly content: ContentLimits;
}

/**
 * Defaults, and why:
 * - 64 KiB per request: a request carries ids and template parameters, not documents; it keeps
 *   a lane record and its changelog copies far below Kafka's 1 MB `message.max.bytes`.
 * - ids 128: UUIDs (36), ULIDs (26) and composite business ids fit; dedupe keys (often
 *   composed of several ids) 256.
 * - 64 template parameters of up to 4096 characters under 64-character names; 32 tags of up to
 *   256 characters (tags route, they do not carry content).
 * - SMS at most 8 segments: Chinese cloud SMS APIs cap a long message at about 500 characters
 *   (8 UCS-2 parts of 67) and each segment is billed.
 * - PUSH 3584 bytes of title and body as JSON strings: APNs and FCM cap the whole payload at
 *   4096 bytes; 512 are left for the envelope (aps keys, messageId, data).
 * - WECHAT 2048 bytes: WeChat's customer-service text messages stop at 2048 bytes and template
 *   message fields are shorter still.
 * - EMAIL 256 KiB of subject and body: well under every provider's message limit (SES 10 MB),
 *   though Gmail clips bodies over ~100 KB.
 * - WEBHOOK 64 KiB: the request limit; receivers commonly refuse bodies from 64 KiB to 1 MB.
 */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  requestBytes: 64 * 1024,
  idLength: 128,
  dedupeKeyLength: 256,
  templateParams: { maxEntries: 64, keyLength: 64, valueLength: 4096 },
  tags: { maxEntries: 32, keyLength: 64, valueLength: 256 },
  content: {
    SMS: { maxSegments: 8 },
    PUSH: { maxBytes: 3584 },
    WECHAT: { maxBytes: 2048 },
    EMAIL: { maxBytes: 256 * 1024 },
    WEBHOOK: { maxBytes: 64 * 1024 },
  },
};

/**
 * Lengths that standards fix, not deployments: E.164 numbers have at most 15 digits, BCP 47
 * tags of 35 characters are the minimum a reader must support, IANA zone names stay under 64,
 * an email address is at most 64 + 1 + 255 (RFC 5321), device tokens as wide as the address
 * validator accepts, URLs as long as browsers reliably take.
 */
const RECIPIENT_LENGTHS: { readonly [F in Exclude<keyof Recipient, 'userId'>]-?: number } = {
  phone: 32,
  deviceToken: 4096,
  pushPlatform: 32,
  openId: 128,
  email: 320,
  webhookUrl: 2048,
  timeZone: 64,
};
/** The same, as a list: the checks run per request on the hot path and iterate it without allocating. */
const RECIPIENT_FIELDS = Object.entries(RECIPIENT_LENGTHS) as readonly (readonly [keyof typeof RECIPIENT_LENGTHS, number])[];
const LOCALE_LENGTH = 35;
/** The instants a JavaScript Date can hold; anything else breaks time-zone and window math. */
const MAX_TIME_MS = 8.64e15;

/** The first limit a request breaks: the field (as `recipient.userId`), the reason, and a note for people. */
export interface LimitViolation {
  readonly field: string;
  readonly reason: string;
  /** E.g. `at most 128 characters`; for HTTP answers and logs. */
  readonly detail: string;
}

const REQUIRED_IDS = [
  ['messageId', 'message-id'],
  ['recipient.userId', 'user-id'],
  ['businessUnit', 'business-unit'],
  ['scenario', 'scenario'],
  ['templateId', 'template-id'],
] as const;

function idOf(request: NotificationRequest, field: (typeof REQUIRED_IDS)[number][0]): string {
  return field === 'recipient.userId' ? request.recipient.userId : request[field];
}

function tooLong(field: string, max: number): LimitViolation {
  return { field, reason: `limit:${field}:too-long`, detail: `at most ${max} characters` };
}

/**
 * The first limit `request` breaks, or undefined. Checks, in order: required ids non-empty and
 * not too long, every other string, the two maps, the times, then the whole request's size.
 * Never throws; cost is linear in the request's size and bounded by the per-field limits
 * before the total is measured.
 */
export function checkRequestLimits(request: NotificationRequest, limits: RequestLimits): LimitViolation | undefined {
  // UTF-16 units seen, for a cheap bound on the encoded size (at most 3 UTF-8 bytes per unit).
  let units = 0;
  for (const [field, name] of REQUIRED_IDS) {
    const value = idOf(request, field);
    if (!value) return { field, reason: `field:missing-${name}`, detail: 'must not be empty' };
    if (value.length > limits.idLength) return tooLong(field, limits.idLength);
    units += value.length;
  }
  if (request.dedupeKey != null) {
    if (request.dedupeKey.length > limits.dedupeKeyLength) return tooLong('dedupeKey', limits.dedupeKeyLength);
    units += request.dedupeKey.length;
  }
  if (request.locale != null) {
    if (request.locale.length > LOCALE_LENGTH) return tooLong('locale', LOCALE_LENGTH);
    units += request.locale.length;
  }
  for (const [name, max] of RECIPIENT_FIELDS) {
    const value = request.recipient[name];
    if (value == null) continue;
    if (value.length > max) return tooLong(`recipient.${name}`, max);
    units += value.length;
  }
  const params = checkMap('templateParams', request.templateParams, limits.templateParams);
  if (typeof params !== 'number') return params;
  const tags = checkMap('tags', request.tags, limits.tags);
  if (typeof tags !== 'number') return tags;
  units += params + tags;
  for (const field of ['sendAt', 'expireAt', 'createdAt'] as const) {
    const value = request[field];
    if (value != null && !(Number.isSafeInteger(value) && value >= 0 && value <= MAX_TIME_MS)) {
      return { field, reason: `limit:${field}:out-of-range`, detail: 'expected epoch milliseconds between 1970 and the year 275760' };
    }
  }
  // Most requests are far below the limit even at 3 bytes per unit (plus a 5-byte length per
  // string, ~200 strings at most): only measure the real size near it.
  if (3 * units + 1024 + 5 * (limits.templateParams.maxEntries + limits.tags.maxEntries) * 2 <= limits.requestBytes) return undefined;
  const size = approximateEncodedBytes(request);
  if (size > limits.requestBytes) return { field: '(request)', reason: 'limit:request:too-large', detail: `about ${size} bytes; at most ${limits.requestBytes}` };
  return undefined;
}

/** The map's first violation, or the UTF-16 units of its keys and values when it has none. */
function checkMap(field: 'templateParams' | 'tags', map: Readonly<Record<string, string>> | undefined, limits: MapLimits): LimitViolation | number {
  if (!map) return 0;
  let entries = 0;
  let units = 0;
  for (const key in map) {
    if (++entries > limits.maxEntries) return { field, reason: `limit:${field}:too-many-entries`, detail: `at most ${limits.maxEntries} entries` };
    // A key over its limit is not repeated in the field name: the reason stays short.
    if (key.length > limits.keyLength) return { field, reason: `limit:${field}:key-too-long`, detail: `names of at most ${limits.keyLength} characters` };
    const value = map[key]!;
    if (value.length > limits.valueLength) return tooLong(`${field}.${key}`, limits.valueLength);
    units += key.length + value.length;
  }
  return units;
}

/** Bytes of the zig-zag varint Avro writes before a string or as a long. */
function varintBytes(n: number): number {
  let bytes = 1;
  for (let v = n * 2; v >= 128; v = Math.floor(v / 128)) bytes++;
  return bytes;
}

function stringBytes(s: string): number {
  const bytes = Buffer.byteLength(s, 'utf8');
  return varintBytes(bytes) + bytes;
}

/**
 * The request's size as Avro single-object encoding writes it, within a few bytes: every string
 * with its length, map blocks, union indexes and times (10-byte header included).
 */
export function approximateEncodedBytes(request: NotificationRequest): number {
  let size = 10 + 32; // single-object header; enums, union indexes, longs and map terminators
  size += stringBytes(request.messageId) + stringBytes(request.businessUnit) + stringBytes(request.scenario) + stringBytes(request.templateId);
  if (request.dedupeKey != null) size += stringBytes(request.dedupeKey);
  if (request.locale != null) size += stringBytes(request.locale);
  const r = request.recipient;
  size += stringBytes(r.userId);
  for (const [name] of RECIPIENT_FIELDS) {
    const value = r[name];
    if (value != null) size += stringBytes(value);
  }
  for (const map of [request.templateParams, request.tags]) {
    if (!map) continue;
    for (const key in map) size += stringBytes(key) + stringBytes(map[key]!);
  }
  return size;
}

/** What a template rendered for one request. */
export interface RenderedText {
  readonly subject: string | undefined;
  readonly body: string;
}

/** The limit the rendered content breaks on `channel`, or undefined. Never throws. */
export function checkContentLimits(channel: Channel, content: RenderedText, limits: RequestLimits): LimitViolation | undefined {
  const field = `content.${channel}`;
  if (channel === 'SMS') {
    const max = limits.content.SMS.maxSegments;
    // Every part holds at most 160 characters: a longer body is over without counting segments.
    const segments = content.body.length > max * 160 ? Infinity : countSmsSegments(content.body).segments;
    return segments > max ? { field, reason: `limit:${field}:too-many-segments`, detail: `at most ${max} SMS segments` } : undefined;
  }
  const max = limits.content[channel].maxBytes;
  // UTF-8 takes at least one byte per UTF-16 unit: a longer text is over without encoding it.
  const units = content.body.length + (content.subject?.length ?? 0);
  if (units > max) return { field, reason: `limit:${field}:too-large`, detail: `more than ${max} bytes` };
  // Push payloads are JSON: measure title and body as the escaped strings the payload holds.
  const text = (s: string): number => (channel === 'PUSH' ? Buffer.byteLength(JSON.stringify(s), 'utf8') : Buffer.byteLength(s, 'utf8'));
  const bytes = text(content.body) + (content.subject === undefined ? 0 : text(content.subject));
  return bytes > max ? { field, reason: `limit:${field}:too-large`, detail: `${bytes} bytes; at most ${max}` } : undefined;
}

/**
 * A copy of `request` safe to report on the feedback stream after it broke a limit: ids over
 * `idLength` are cut to it, so a megabyte-sized field never reaches a feedback record. The
 * messageId is replaced by `fallbackId` when it is empty or too long, because feedback is
 * keyed by it and a cut one would name another message.
 */
export function reportableRequest(request: NotificationRequest, limits: RequestLimits, fallbackId: string): NotificationRequest {
  const clip = (s: string): string => (s.length <= limits.idLength ? s : s.slice(0, limits.idLength));
  const usableId = request.messageId !== '' && request.messageId.length <= limits.idLength;
  return {
    ...request,
    messageId: usableId ? request.messageId : fallbackId,
    businessUnit: clip(request.businessUnit),
    scenario: clip(request.scenario),
    templateId: clip(request.templateId),
    recipient: { ...request.recipient, userId: clip(request.recipient.userId) },
  };
}

/**
 * The id a REJECTED feedback is keyed by when the request has no usable messageId: its place in
 * the input (`unidentified:notify.requests:3:1042`). Stable across replays of the same record,
 * and it tells the producer's team exactly which record to look at.
 */
export function unidentifiedMessageId(topic: string, partition: number, offset: number): string {
  return `unidentified:${topic}:${partition}:${offset}`;
}

/** The record-key rule of the requests topics: keyed by the recipient's userId (F17). */
export function checkRecordKey(key: string | null | undefined, request: NotificationRequest): LimitViolation | undefined {
  if (!key) return { field: '(key)', reason: 'key:missing', detail: 'the record key must be recipient.userId' };
  // Fatigue, dedupe and ordering are per user and rely on the user's records sharing a partition.
  if (key !== request.recipient.userId) return { field: '(key)', reason: 'key:not-user-id', detail: 'the record key must be recipient.userId' };
  return undefined;
}
