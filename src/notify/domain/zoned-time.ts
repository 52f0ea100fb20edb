/**
 * Wall-clock time in an IANA time zone with `Intl.DateTimeFormat` only (no tz database of our
 * own). Offsets are cached per zone per 15 minutes — every real offset change happens on a
 * quarter hour — so the hot path formats a date at most once per zone per quarter hour.
 */

/** Local calendar fields of an instant in a zone. */
export interface LocalTime {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const QUARTER_HOUR = 15 * 60_000;
const MAX_CACHE = 10_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is a zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function computeOffset(ms: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(fields['year']!, fields['month']! - 1, fields['day']!, fields['hour']!, fields['minute']!, fields['second']!);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The zone's offset from UTC at instant `ms`, in milliseconds (UTC+8 → 28,800,000). */
export function offsetAt(ms: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(ms / QUARTER_HOUR)}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    offset = computeOffset(ms, timeZone);
    if (offsetCache.size >= MAX_CACHE) offsetCache.clear();
    offsetCache.set(key, offset);
  }
  return offset;
}

/** Local wall-clock fields of instant `ms` in `timeZone`. */
export function toLocal(ms: number, timeZone: string): LocalTime {
  const d = new Date(ms + offsetAt(ms, timeZone));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * The instant at which the zone's clocks show the given local time, resolved as Temporal's
 * `compatible` disambiguation does: in an overlap (a local time that happens twice) the earlier
 * instant; in a DST gap (a local time that never happens) the time shifted forward by the gap,
 * e.g. 02:30 on a spring-forward night → 03:30.
 */
export function fromLocal(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const maps = (t: number): boolean => wall - offsetAt(t, timeZone) === t;
  // Two passes: the offset at the first guess may differ from the offset at the answer when a
  // transition lies between them.
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  if (maps(first) && maps(second)) {
    // Overlap, or simply unambiguous: look one hour back for an earlier valid reading.
    const earlier = wall - offsetAt(Math.min(first, second) - 3_600_000, timeZone);
    return maps(earlier) ? Math.min(earlier, first, second) : Math.min(first, second);
  }
  if (maps(first)) return first;
  if (maps(second)) return second;
  // A gap: neither candidate maps back; the later one is the wall time shifted by the gap.
  return Math.max(first, second);
}
