/**
 * SMS segment counting and splitting. Carriers bill per segment, so the count here must equal
 * what the SMSC charges: GSM-7 fits 160 septets in one message and 153 per part of a
 * concatenated one (the 6-octet concatenation header takes 7 septets); UCS-2 fits 70 UTF-16
 * units, 67 per part. An extension character (e.g. `€`, `{`) costs two septets and its escape
 * pair is never split across parts; nor is a UTF-16 surrogate pair (emoji) in UCS-2.
 */
import { encodeGsm7, gsm7Septets } from './gsm7.js';

/** How a body goes on the wire. */
export type SmsEncoding = 'GSM7' | 'UCS2';

/** Segment limits per encoding: single message, and per part when concatenated. */
export const SMS_LIMITS: Readonly<Record<SmsEncoding, { single: number; part: number }>> = {
  GSM7: { single: 160, part: 153 },
  UCS2: { single: 70, part: 67 },
};

/** The most parts a concatenated SMS can have (the UDH part counter is one octet). */
export const SMS_MAX_PARTS = 255;

/** What a body costs. `units` are septets (GSM-7) or UTF-16 code units (UCS-2). */
export interface SmsSegmentInfo {
  encoding: SmsEncoding;
  units: number;
  segments: number;
}

/** A body split into encoded parts, ready to be framed (GSM-7 unpacked septets or UTF-16BE). */
export interface SmsParts {
  encoding: SmsEncoding;
  parts: Buffer[];
}

/** Picks GSM-7 when every character is in the GSM-7 tables, else UCS-2. */
export function detectSmsEncoding(text: string): SmsEncoding {
  for (let i = 0; i < text.length; i++) {
    if (gsm7Septets(text.charAt(i)) === 0) return 'UCS2';
  }
  return 'GSM7';
}

function unitCost(text: string, index: number, encoding: SmsEncoding): number {
  if (encoding === 'GSM7') return gsm7Septets(text.charAt(index));
  return 1;
}

/** Width of the character starting at `index` in UTF-16 units: 2 for a surrogate pair. */
function charWidth(text: string, index: number, encoding: SmsEncoding): number {
  if (encoding === 'GSM7') return 1;
  const code = text.charCodeAt(index);
  const next = text.charCodeAt(index + 1);
  return code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}

/**
 * Greedy split into part boundaries (string indexes). Returns `[0, text.length]` for a body that
 * fits one message. Shared by counting and splitting so both always agree.
 */
function boundaries(text: string, encoding: SmsEncoding): { units: number; cuts: number[] } {
  let units = 0;
  for (let i = 0; i < text.length; i++) units += unitCost(text, i, encoding);
  const limits = SMS_LIMITS[encoding];
  if (units <= limits.single) return { units, cuts: [0, text.length] };
  const cuts = [0];
  let used = 0;
  for (let i = 0; i < text.length; ) {
    const width = charWidth(text, i, encoding);
    let cost = 0;
    for (let k = 0; k < width; k++) cost += unitCost(text, i + k, encoding);
    if (used + cost > limits.part) {
      cuts.push(i);
      used = 0;
    }
    used += cost;
    i += width;
  }
  cuts.push(text.length);
  return { units, cuts };
}

/** Counts billable segments for a body (an empty body is one segment). */
export function countSmsSegments(text: string): SmsSegmentInfo {
  const encoding = detectSmsEncoding(text);
  const { units, cuts } = boundaries(text, encoding);
  return { encoding, units, segments: Math.max(1, cuts.length - 1) };
}

/** Splits and encodes a body into parts; more than {@link SMS_MAX_PARTS} parts is the caller's error. */
export function splitSms(text: string): SmsParts {
  const encoding = detectSmsEncoding(text);
  const { cuts } = boundaries(text, encoding);
  const parts: Buffer[] = [];
  for (let p = 0; p + 1 < cuts.length; p++) {
    const chunk = text.slice(cuts[p], cuts[p + 1]);
    parts.push(encoding === 'GSM7' ? encodeGsm7(chunk) : encodeUcs2(chunk));
  }
  if (parts.length === 0) parts.push(Buffer.alloc(0));
  return { encoding, parts };
}

function encodeUcs2(text: string): Buffer {
  const buffer = Buffer.from(text, 'utf16le');
  return buffer.swap16();
}
