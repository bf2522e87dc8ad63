/**
 * Date and time parsing for the model's datetime/date/time/year types.
 *
 * Numbers (and numeric strings) are Unix timestamps in seconds, as Stripe sends them (fractions
 * are milliseconds). Strings are ISO 8601 / RFC 3339: a `T` or a space between date and time,
 * an optional fraction and an optional `Z`/`+hh:mm` offset; a date-time without an offset is
 * taken as UTC. Everything is normalised to UTC with millisecond precision. `year` is the
 * exception: small numbers are years there (see `toYear`).
 */
import {
  type IsoDateTimeText,
  isCalendarDate,
  isClockTime,
  matchIsoDateTime,
  utcMilliseconds,
  zoneOffsetMinutes,
} from '../util/iso-date-time';
import { isoFromMillis } from '../util/unix-time';

const MIN_MS = -62_135_596_800_000; // 0001-01-01T00:00:00Z
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

const TIME_ONLY = /^(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const NUMERIC = /^[+-]?\d+(?:\.\d+)?$/;

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

const fractionMs = (fraction: string | undefined): number =>
  fraction ? Math.floor(Number(`0.${fraction}`) * 1000 + 1e-9) : 0;

/** The date of `text` when it is a date alone (no time, no zone), checked or not. */
function dateOnly(text: string): IsoDateTimeText | undefined {
  const iso = matchIsoDateTime(text);
  return iso && iso.time === undefined && iso.zone === undefined ? iso : undefined;
}

/** Milliseconds since the epoch, or undefined when `value` is not a timestamp or ISO date(-time). */
export function toEpochMs(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === 'number') {
    ms = value * 1000;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (NUMERIC.test(text)) {
      ms = Number(text) * 1000;
    } else {
      const iso = matchIsoDateTime(text);
      if (!iso) return undefined;
      const { year, month, day } = iso;
      const { hour = 0, minute = 0, second = 0, fraction } = iso.time ?? {};
      if (!isCalendarDate(year, month, day) || !isClockTime(hour, minute, second)) return undefined;
      const offset = zoneOffsetMinutes(iso.zone);
      if (offset === undefined) return undefined;
      const local = utcMilliseconds(year, month, day, hour, minute, second, fractionMs(fraction));
      ms = local - offset * 60_000;
    }
  } else {
    return undefined;
  }
  if (!Number.isFinite(ms)) return undefined;
  ms = Math.round(ms);
  return ms >= MIN_MS && ms <= MAX_MS ? ms : undefined;
}

function parts(ms: number): { date: string; time: string; year: number } {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const date = `${pad(year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const millis = d.getUTCMilliseconds();
  const time =
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` +
    (millis ? `.${pad(millis, 3)}` : '');
  return { date, time, year };
}

/** `YYYY-MM-DDTHH:MM:SS[.sss]Z` */
export function toDateTime(value: unknown): string | undefined {
  const ms = toEpochMs(value);
  return ms === undefined ? undefined : isoFromMillis(ms);
}

/** `YYYY-MM-DD` (UTC). */
export function toDate(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const text = value.trim();
    const date = dateOnly(text);
    if (date) return isCalendarDate(date.year, date.month, date.day) ? text : undefined;
  }
  const ms = toEpochMs(value);
  return ms === undefined ? undefined : parts(ms).date;
}

/** `HH:MM:SS[.sss]` (UTC time of day). */
export function toTime(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const m = TIME_ONLY.exec(value.trim());
    if (m) {
      const [hour, minute, second] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
      if (hour > 23 || minute > 59 || second > 59) return undefined;
      const offset = zoneOffsetMinutes(m[5]);
      if (offset === undefined) return undefined;
      let total = (hour * 60 + minute - offset) * 60 + second;
      total = ((total % 86_400) + 86_400) % 86_400;
      const millis = fractionMs(m[4]);
      return (
        `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}` +
        (millis ? `.${pad(millis, 3)}` : '')
      );
    }
  }
  const ms = toEpochMs(value);
  return ms === undefined ? undefined : parts(ms).time;
}

/** A year, or why the value cannot be one (for the conversion error; never quotes the value). */
export type YearResult = { ok: true; year: number } | { ok: false; reason?: string };

/**
 * The smallest number read as Unix seconds; smaller numbers are years. Years have at most 4
 * digits (1-9999), and Unix seconds below 10000 are the first 2 hours 46 minutes of 1970-01-01,
 * a time no Stripe timestamp has: so the two readings never overlap, and a number that is
 * neither (0, negatives, 2024.5) is refused instead of silently becoming 1970.
 */
const FIRST_UNIX_SECONDS = 10_000;

const yearOf = (ms: number): YearResult => ({ ok: true, year: parts(ms).year });

/**
 * A year 1-9999:
 * - numbers: integers 1-9999 are years; numbers of 10000 or more are Unix seconds (see above);
 *   fractions below 10000, 0 and negatives are refused.
 * - text of digits: 1-4 digits are a year ("2024", "0999"; "0" refused). 5 or more digits are
 *   refused: text that long is more likely a mistyped year than a timestamp, and Stripe sends
 *   timestamps as numbers. Other numeric text ("2024.5", "-12") is refused too.
 * - ISO 8601 dates and date-times: their (UTC) year.
 */
export function toYear(value: unknown): YearResult {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false };
    if (value >= FIRST_UNIX_SECONDS) {
      const ms = toEpochMs(value);
      return ms === undefined ? { ok: false, reason: 'beyond the year 9999' } : yearOf(ms);
    }
    if (!Number.isInteger(value)) {
      return { ok: false, reason: 'it has a fraction; a year is a whole number 1-9999' };
    }
    if (value < 1) {
      return {
        ok: false,
        reason: 'years start at 1, and Unix seconds are numbers of 10000 or more',
      };
    }
    return { ok: true, year: value };
  }
  if (typeof value !== 'string') return { ok: false };
  const text = value.trim();
  if (/^\d{1,4}$/.test(text)) {
    const result = Number(text);
    return result >= 1 ? { ok: true, year: result } : { ok: false, reason: 'years start at 1' };
  }
  if (/^\d{5,}$/.test(text)) {
    return {
      ok: false,
      reason:
        'text of 5 or more digits is not a year (1-9999); give Unix seconds as a number, not as text',
    };
  }
  if (NUMERIC.test(text)) {
    return { ok: false, reason: 'numeric text must be a whole year 1-9999 like "2024"' };
  }
  const date = dateOnly(text);
  if (date) {
    return date.year >= 1 && isCalendarDate(date.year, date.month, date.day)
      ? { ok: true, year: date.year }
      : { ok: false, reason: 'not a calendar date' };
  }
  const ms = toEpochMs(text);
  return ms === undefined ? { ok: false } : yearOf(ms);
}
