/**
 * Time values for timestamp properties. Every value resolves, once at compile time, to an
 * inclusive range of unix seconds [start, end]:
 *
 * | value                                   | range                                      |
 * |-----------------------------------------|--------------------------------------------|
 * | 1706659200 (number or numeric string)   | [t, t] (at least 5 digits: see below)      |
 * | "2024-01-31" (a calendar day, UTC)      | [00:00:00, 23:59:59] of that day (UTC)     |
 * | "2024-01-31T10:00:00Z", "...+02:00"     | [t, t] (t keeps its fraction of a second; no offset = UTC) |
 * | "now"                                   | [now, now]                                 |
 * | "today" / "yesterday" / "tomorrow"      | that whole UTC day                         |
 * | "30 days ago", "2 weeks ago", "1 year ago" (second/minute/hour/day/week/month/year) | [now - N units, same] (months/years are calendar months, clamped to the month's last day) |
 *
 * Operators then use the range: `is` = inside it, `is_before`/`less_than` = before its start,
 * `is_after`/`greater_than` = after its end, `is_on_or_before` = up to its end, etc. So
 * `created is 2024-01-31` means "some time that day" and `is_after 2024-01-31` starts at Feb 1.
 *
 * Fractions of a second are kept, not dropped: customers' times are whole seconds, so
 * `is_before "10:00:00.5Z"` includes 10:00:00 and `is_after` it starts at 10:00:01 (push-down
 * rounds such bounds to whole seconds the same way).
 *
 * Numbers below 10000 (fewer than 5 digits before any fraction) are refused: as unix seconds
 * they are the first hours of 1970-01-01, so `"2024"` or `2024` is almost surely a year, and
 * reading it as seconds would silently match (or exclude) everyone. Reading it as a year would
 * be a guess too ("is_after 2024": from 2024-01-01 or from 2025?), so the error asks for a date.
 */
import {
  type IsoDateTimeText,
  daysInMonth,
  isCalendarDate,
  isClockTime,
  matchIsoDateTime,
  utcMilliseconds,
  zoneOffsetMinutes,
} from '../util/iso-date-time.js';

export interface TimeRange {
  /** Inclusive unix seconds. */
  readonly start: number;
  readonly end: number;
}

export type TimeParse =
  /** `relative`: resolved against `now` ("30 days ago", "today"), so it moves from run to run. */
  { ok: true; range: TimeRange; relative?: true } | { ok: false; problem: string };

export const TIME_VALUE_HELP =
  'Use an ISO 8601 date ("2024-01-31") or datetime ("2024-01-31T10:00:00Z"), unix seconds (1706659200), or a relative date ("now", "today", "yesterday", "30 days ago", "2 weeks ago", "6 months ago", "1 year ago")';

const DAY = 86_400;
/** Unix seconds beyond this are taken for milliseconds (it is the year 5138). */
const MAX_SECONDS = 1e11;
/** Unix seconds below this (in absolute value) are taken for years or typos (see above). */
const MIN_SECONDS = 10_000;

const RELATIVE = /^(\d+)\s*(second|sec|minute|min|hour|day|week|month|year)s?\s+ago$/i;
const NUMERIC = /^[+-]?\d+(\.\d+)?$/;

/** Unix seconds of a UTC wall-clock time. */
function utcSeconds(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  return Math.floor(utcMilliseconds(y, mo, d, h, mi, s) / 1000);
}

function dayRange(unixSeconds: number): TimeRange {
  const start = Math.floor(unixSeconds / DAY) * DAY;
  return { start, end: start + DAY - 1 };
}

function point(t: number): TimeRange {
  return { start: t, end: t };
}

function fromUnixNumber(n: number, shown: string): TimeParse {
  if (!Number.isFinite(n)) return { ok: false, problem: `${shown} is not a finite number` };
  if (Math.abs(n) >= MAX_SECONDS) {
    return {
      ok: false,
      problem: `${shown} looks like milliseconds; timestamps are unix seconds (divide by 1000: ${Math.trunc(n / 1000)})`,
    };
  }
  if (Math.abs(n) < MIN_SECONDS) {
    return {
      ok: false,
      problem: `${shown} is too short for unix seconds (they have at least 5 digits) and is not read as a year: write a date like "${Number.isInteger(n) && n >= 1000 ? n : 2024}-01-01", or unix seconds like 1706659200`,
    };
  }
  return { ok: true, range: point(n) };
}

function monthsAgo(now: Date, months: number): number {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth() + 1 - months; // 1-based, may be <= 0
  const year = y + Math.floor((m - 1) / 12);
  const month = ((((m - 1) % 12) + 12) % 12) + 1;
  const day = Math.min(now.getUTCDate(), daysInMonth(year, month));
  return utcSeconds(year, month, day, now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds());
}

/** A date alone is its whole UTC day; a date-time is its instant, fraction of a second kept. */
function fromIsoText(iso: IsoDateTimeText, shown: string): TimeParse {
  const { year, month, day, time } = iso;
  if (time === undefined) {
    if (!isCalendarDate(year, month, day)) {
      return { ok: false, problem: `${shown} is not a calendar date` };
    }
    return { ok: true, range: dayRange(utcSeconds(year, month, day)) };
  }
  const { hour, minute, second } = time;
  if (!isCalendarDate(year, month, day) || !isClockTime(hour, minute, second)) {
    return { ok: false, problem: `${shown} is not a valid date and time` };
  }
  const offsetMinutes = zoneOffsetMinutes(iso.zone);
  if (offsetMinutes === undefined) {
    return { ok: false, problem: `${shown} has an invalid UTC offset` };
  }
  // Kept exactly (not rounded): operators compare whole-second times against it.
  const fraction = time.fraction === undefined ? 0 : Number(`0.${time.fraction}`);
  const seconds = utcSeconds(year, month, day, hour, minute, second) - offsetMinutes * 60;
  return { ok: true, range: point(seconds + fraction) };
}

/** Parses one time value; relative values are resolved against `now`. */
export function parseTimeValue(raw: unknown, now: Date): TimeParse {
  if (typeof raw === 'number') return fromUnixNumber(raw, String(raw));
  if (typeof raw !== 'string') {
    return { ok: false, problem: `expected a date, got ${raw === null ? 'null' : typeof raw}` };
  }
  const text = raw.trim();
  const shown = JSON.stringify(raw);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const lower = text.toLowerCase();

  if (NUMERIC.test(text)) return fromUnixNumber(Number(text), shown);
  if (lower === 'now') return { ok: true, relative: true, range: point(nowSeconds) };
  if (lower === 'today') return { ok: true, relative: true, range: dayRange(nowSeconds) };
  if (lower === 'yesterday') return { ok: true, relative: true, range: dayRange(nowSeconds - DAY) };
  if (lower === 'tomorrow') return { ok: true, relative: true, range: dayRange(nowSeconds + DAY) };

  const relative = RELATIVE.exec(text);
  if (relative) {
    const amount = Number(relative[1]);
    const unit = (relative[2] ?? '').toLowerCase();
    const seconds: Record<string, number> = {
      second: 1,
      sec: 1,
      minute: 60,
      min: 60,
      hour: 3600,
      day: DAY,
      week: 7 * DAY,
    };
    const perUnit = seconds[unit];
    if (perUnit !== undefined)
      return { ok: true, relative: true, range: point(nowSeconds - amount * perUnit) };
    const months = unit === 'year' ? amount * 12 : amount;
    if (months > 12 * 10_000) return { ok: false, problem: `${shown} is too far in the past` };
    return { ok: true, relative: true, range: point(monthsAgo(now, months)) };
  }

  const iso = matchIsoDateTime(text);
  // A date alone is a UTC day; with a zone ("2024-01-31+02:00") it would be a day elsewhere,
  // which the filter does not read.
  if (iso && (iso.time !== undefined || iso.zone === undefined)) return fromIsoText(iso, shown);

  return { ok: false, problem: `${shown} is not a date this filter understands` };
}
