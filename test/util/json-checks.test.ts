import { describe, expect, it } from 'vitest';
import { isPlainObject } from '../../connector/util/is-plain-object';
import { isWholeNumberIn } from '../../connector/util/whole-number';

describe('isPlainObject', () => {
  it('is true for objects only', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject({ a: 1 })).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(null)).toBe(false);
    expect(isPlainObject('{}')).toBe(false);
    expect(isPlainObject(undefined)).toBe(false);
  });
});

describe('isWholeNumberIn', () => {
  it('accepts whole numbers inside the bounds, both included', () => {
    expect(isWholeNumberIn(1, 1, 3)).toBe(true);
    expect(isWholeNumberIn(3, 1, 3)).toBe(true);
    expect(isWholeNumberIn(2.0, 1, 3)).toBe(true);
  });

  it.each([0, 4, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '2', null, undefined])(
    'refuses %j for 1-3',
    (value) => {
      expect(isWholeNumberIn(value, 1, 3)).toBe(false);
    },
  );
});
