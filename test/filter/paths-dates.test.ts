import { describe, expect, it } from 'vitest';
import {
  formatPath,
  listFilterableProperties,
  parsePath,
  parseTimeValue,
} from '../../connector/filter/index.js';
import { NOW, NOW_S, at } from './helpers.js';

describe('paths', () => {
  const ok: Array<[string, string[]]> = [
    ['email', ['email']],
    ['  address.country ', ['address', 'country']],
    ['shipping.address.city', ['shipping', 'address', 'city']],
    ['metadata["signup.source"]', ['metadata', 'signup.source']],
    ["metadata['account manager']", ['metadata', 'account manager']],
    ['metadata[ "a\\"b" ]', ['metadata', 'a"b']],
    ["metadata['it\\'s']", ['metadata', "it's"]],
    ['metadata[plan]', ['metadata', 'plan']],
    ['["email"]', ['email']],
    ['["address"]["country"]', ['address', 'country']],
    ['metadata.plan-v2', ['metadata', 'plan-v2']],
  ];
  for (const [text, segments] of ok) {
    it(`parses ${text}`, () => expect(parsePath(text)).toEqual({ ok: true, segments }));
  }

  const bad = [
    '',
    'email.',
    '.email',
    'a..b',
    'metadata["x"',
    'metadata[""]',
    'metadata["x"]y',
    'a b',
    'metadata[x',
  ];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => expect(parsePath(text).ok).toBe(false));
  }

  it('formats canonically and round-trips', () => {
    const samples = [
      ['email'],
      ['metadata', 'signup.source'],
      ['metadata', 'account manager'],
      ['metadata', `it's "x"`],
    ];
    for (const segments of samples) {
      const text = formatPath(segments);
      expect(parsePath(text)).toEqual({ ok: true, segments });
    }
    expect(formatPath(['metadata', 'signup.source'])).toBe('metadata["signup.source"]');
    expect(formatPath(['address', 'country'])).toBe('address.country');
  });

  it('lists filterable properties with their types (for UIs)', () => {
    const list = listFilterableProperties();
    expect(list).toContainEqual(expect.objectContaining({ path: 'created', type: 'timestamp' }));
    expect(list).toContainEqual(
      expect.objectContaining({ path: 'metadata.<key>', type: 'string', anyKey: true }),
    );
    expect(list).toContainEqual(
      expect.objectContaining({ path: 'shipping.address.country', type: 'string' }),
    );
    expect(list).toContainEqual(
      expect.objectContaining({ path: 'preferred_locales', type: 'array' }),
    );
  });
});

describe('time values', () => {
  const range = (raw: unknown, now = NOW) => {
    const parsed = parseTimeValue(raw, now);
    return parsed.ok ? [parsed.range.start, parsed.range.end] : parsed.problem;
  };

  it('ISO dates are whole UTC days; datetimes are instants', () => {
    const d = at('2024-01-31T00:00:00Z');
    expect(range('2024-01-31')).toEqual([d, d + 86_399]);
    expect(range('2024-01-31T10:00:00Z')).toEqual([d + 36_000, d + 36_000]);
    expect(range('2024-01-31T10:00Z')).toEqual([d + 36_000, d + 36_000]);
    expect(range('2024-01-31T10:00:00.5Z')).toEqual([d + 36_000.5, d + 36_000.5]);
    expect(range('2024-01-31 10:00:00')).toEqual([d + 36_000, d + 36_000]);
    expect(range('2024-01-31T10:00:00+02:00')).toEqual([d + 28_800, d + 28_800]);
    expect(range('2024-01-31T10:00:00-0530')).toEqual([d + 36_000 + 19_800, d + 36_000 + 19_800]);
    expect(range('2024-02-29')).toEqual([at('2024-02-29T00:00:00Z'), at('2024-02-29T23:59:59Z')]);
  });

  it('unix seconds as numbers or numeric text', () => {
    expect(range(1706659200)).toEqual([1706659200, 1706659200]);
    expect(range('1706659200')).toEqual([1706659200, 1706659200]);
    expect(range(10_000)).toEqual([10_000, 10_000]);
    expect(range('-86400')).toEqual([-86_400, -86_400]);
  });

  it('refuses numbers of fewer than 5 digits: a year or a typo, not unix seconds', () => {
    expect(range('2024')).toBe(
      '"2024" is too short for unix seconds (they have at least 5 digits) and is not read as a year: write a date like "2024-01-01", or unix seconds like 1706659200',
    );
    expect(range(2024)).toMatch(/^2024 is too short for unix seconds .* "2024-01-01"/);
    for (const raw of [0, '0', ' 99 ', 9999, '9999.5', -5, '-1']) {
      expect(range(raw), JSON.stringify(raw)).toMatch(/is too short for unix seconds/);
    }
  });

  it('keeps fractions of a second, so strict bounds are right for whole-second times', () => {
    const t = at('2024-01-31T10:00:00Z');
    expect(range('2024-01-31T10:00:00.5Z')).toEqual([t + 0.5, t + 0.5]);
    expect(range('2024-01-31T10:00:00,25+01:00')).toEqual([t - 3600 + 0.25, t - 3600 + 0.25]);
    expect(range('2024-01-31T10:00:00.000Z')).toEqual([t, t]);
  });

  it('relative values against the injected now', () => {
    expect(range('now')).toEqual([NOW_S, NOW_S]);
    expect(range('Today')).toEqual([at('2024-06-15T00:00:00Z'), at('2024-06-15T23:59:59Z')]);
    expect(range('yesterday')).toEqual([at('2024-06-14T00:00:00Z'), at('2024-06-14T23:59:59Z')]);
    expect(range('tomorrow')).toEqual([at('2024-06-16T00:00:00Z'), at('2024-06-16T23:59:59Z')]);
    expect(range('30 days ago')).toEqual([NOW_S - 30 * 86_400, NOW_S - 30 * 86_400]);
    expect(range('1 day ago')).toEqual([NOW_S - 86_400, NOW_S - 86_400]);
    expect(range('2 weeks ago')).toEqual([NOW_S - 14 * 86_400, NOW_S - 14 * 86_400]);
    expect(range('3 hours ago')).toEqual([NOW_S - 3 * 3600, NOW_S - 3 * 3600]);
    expect(range('6 months ago')).toEqual([at('2023-12-15T12:00:00Z'), at('2023-12-15T12:00:00Z')]);
    expect(range('1 year ago')).toEqual([at('2023-06-15T12:00:00Z'), at('2023-06-15T12:00:00Z')]);
    expect(range('0 days ago')).toEqual([NOW_S, NOW_S]);
  });

  it('calendar months clamp to the end of shorter months', () => {
    const mar31 = new Date('2024-03-31T08:00:00Z');
    expect(range('1 month ago', mar31)).toEqual([
      at('2024-02-29T08:00:00Z'),
      at('2024-02-29T08:00:00Z'),
    ]);
    expect(range('13 months ago', mar31)).toEqual([
      at('2023-02-28T08:00:00Z'),
      at('2023-02-28T08:00:00Z'),
    ]);
    const feb29 = new Date('2024-02-29T00:00:00Z');
    expect(range('1 year ago', feb29)).toEqual([
      at('2023-02-28T00:00:00Z'),
      at('2023-02-28T00:00:00Z'),
    ]);
  });

  it('rejects what it cannot read', () => {
    for (const raw of [
      '2023-02-29',
      '2024-13-01',
      '2024-01-32',
      '2024-01-31T24:00:00Z',
      '2024-01',
      'soon',
      '30 days',
      'in 3 days',
      '',
      null,
      true,
      {},
      1706659200000,
    ]) {
      expect(typeof range(raw), JSON.stringify(raw)).toBe('string');
    }
  });
});
