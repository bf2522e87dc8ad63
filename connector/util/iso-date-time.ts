/**
 * ISO 8601 / RFC 3339 dates and date-times as the connector reads them (filter dates,
 * `start_date`, the Customer Model's temporal types): `YYYY-MM-DD`, optionally followed by
 * `T`, `t` or a space and `HH:MM[:SS[.fraction]]`, optionally followed by `Z`/`z` or an offset
 * (`+02:00`, `+0200`, `+02`), blanks allowed before it. Each reader decides what it accepts of
 * that (a filter refuses an offset on a date alone, say) and words its own errors; the grammar,
 * the calendar and the arithmetic are here once.
 *
 * No library is used: date-fns, Luxon and Temporal each accept forms these readers refuse (week
 * dates, compact dates, a year of six digits) or refuse forms they accept (a blank before the
 * offset, more than nine fraction digits), so swapping one in would change what configs mean.
 */

/** The parts of a date or date-time as written, before any calendar check. */
export interface IsoDateTimeText {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** Absent for a date alone. */
  readonly time?: {
    readonly hour: number;
    readonly minute: number;
    readonly second: number;
    /** The digits after the decimal mark, as written; absent when there are none. */
    readonly fraction?: string;
  };
  /** `Z`, `+02:00`, ...: absent when none is written. */
  readonly zone?: string;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/** The parts of `text` (already trimmed), or undefined when it is not written as above. */
export function matchIsoDateTime(text: string): IsoDateTimeText | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const time =
    m[4] === undefined
      ? undefined
      : {
          hour: Number(m[4]),
          minute: Number(m[5]),
          second: m[6] === undefined ? 0 : Number(m[6]),
          ...(m[7] === undefined ? {} : { fraction: m[7] }),
        };
  return {
    ...date,
    ...(time === undefined ? {} : { time }),
    ...(m[8] === undefined ? {} : { zone: m[8] }),
  };
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in `month` (1-12) of `year`, by the Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (MONTH_DAYS[month - 1] ?? 0);
}

/** A day that exists: month 1-12, day 1 to the month's last (Feb 29 in leap years only). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** A time of day 00:00:00-23:59:59 (no leap second: Unix time has none). */
export function isClockTime(hour: number, minute: number, second: number): boolean {
  return hour <= 23 && minute <= 59 && second <= 59;
}

/** Minutes east of UTC of a written zone (none or `Z`: 0), or undefined for `+24:00` and such. */
export function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** Milliseconds since the epoch of a UTC wall-clock time (years 0-99 too, unlike Date.UTC). */
export function utcMilliseconds(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  millisecond = 0,
): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millisecond);
  return date.getTime();
}
