import { describe, expect, it } from 'vitest';
import {
  daysInMonth,
  isCalendarDate,
  isClockTime,
  matchIsoDateTime,
  utcMilliseconds,
  zoneOffsetMinutes,
} from '../../connector/util/iso-date-time';

describe('matchIsoDateTime', () => {
  it('reads a date alone', () => {
    expect(matchIsoDateTime('2024-01-31')).toEqual({ year: 2024, month: 1, day: 31 });
  });

  it('reads a date-time with seconds, fraction and offset', () => {
    expect(matchIsoDateTime('2024-01-31T10:20:30.125+02:00')).toEqual({
      year: 2024,
      month: 1,
      day: 31,
      time: { hour: 10, minute: 20, second: 30, fraction: '125' },
      zone: '+02:00',
    });
  });

  it.each([
    ['2024-01-31t10:20Z', { hour: 10, minute: 20, second: 0 }, 'Z'],
    ['2024-01-31 10:20:05,5 z', { hour: 10, minute: 20, second: 5, fraction: '5' }, 'z'],
    ['2024-01-31T10:20 -0530', { hour: 10, minute: 20, second: 0 }, '-0530'],
  ])('accepts the separators and zone spellings of %j', (text, time, zone) => {
    expect(matchIsoDateTime(text)).toEqual({ year: 2024, month: 1, day: 31, time, zone });
  });

  it('keeps a zone written after a date alone, for the reader to judge', () => {
    expect(matchIsoDateTime('2024-01-31Z')).toEqual({ year: 2024, month: 1, day: 31, zone: 'Z' });
  });

  it('does not check the calendar (that is isCalendarDate and isClockTime)', () => {
    expect(matchIsoDateTime('2023-02-30T25:61')).toMatchObject({
      month: 2,
      day: 30,
      time: { hour: 25, minute: 61 },
    });
  });

  it.each([
    '2024-1-31',
    '20240131',
    '2024-01-31T10',
    '2024-W05-3',
    '+002024-01-31',
    '2024-01-31T10:20:30Zjunk',
    ' 2024-01-31',
    'today',
  ])('refuses %j', (text) => {
    expect(matchIsoDateTime(text)).toBeUndefined();
  });
});

describe('the calendar', () => {
  it.each([
    [2024, 2, 29],
    [2023, 2, 28],
    [2000, 2, 29],
    [1900, 2, 28],
    [2024, 4, 30],
    [2024, 12, 31],
  ])('%i-%i has %i days', (year, month, days) => {
    expect(daysInMonth(year, month)).toBe(days);
  });

  it('knows which days exist', () => {
    expect(isCalendarDate(2024, 2, 29)).toBe(true);
    expect(isCalendarDate(2023, 2, 29)).toBe(false);
    expect(isCalendarDate(2024, 13, 1)).toBe(false);
    expect(isCalendarDate(2024, 0, 1)).toBe(false);
    expect(isCalendarDate(2024, 1, 0)).toBe(false);
    expect(isCalendarDate(2024, 4, 31)).toBe(false);
  });

  it('knows which times of day exist', () => {
    expect(isClockTime(0, 0, 0)).toBe(true);
    expect(isClockTime(23, 59, 59)).toBe(true);
    expect(isClockTime(24, 0, 0)).toBe(false);
    expect(isClockTime(23, 60, 0)).toBe(false);
    expect(isClockTime(23, 59, 60)).toBe(false);
  });
});

describe('zoneOffsetMinutes', () => {
  it.each([
    [undefined, 0],
    ['Z', 0],
    ['z', 0],
    ['+02:00', 120],
    ['+0200', 120],
    ['+02', 120],
    ['-05:30', -330],
    ['+23:59', 1439],
  ])('%j is %i minutes east of UTC', (zone, minutes) => {
    expect(zoneOffsetMinutes(zone)).toBe(minutes);
  });

  it.each(['+24:00', '+23:60', '-99'])('refuses %j', (zone) => {
    expect(zoneOffsetMinutes(zone)).toBeUndefined();
  });
});

describe('utcMilliseconds', () => {
  it('agrees with Date.UTC for modern years', () => {
    expect(utcMilliseconds(1970, 1, 1)).toBe(0);
    expect(utcMilliseconds(2024, 1, 31, 10, 20, 30, 125)).toBe(
      Date.UTC(2024, 0, 31, 10, 20, 30, 125),
    );
  });

  it('keeps years 0-99 as written (Date.UTC would add 1900)', () => {
    expect(new Date(utcMilliseconds(99, 1, 1)).getUTCFullYear()).toBe(99);
    expect(new Date(utcMilliseconds(1, 1, 1)).toISOString()).toBe('0001-01-01T00:00:00.000Z');
  });
});
