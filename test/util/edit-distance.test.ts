import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editDistance } from '../../connector/util/edit-distance';

describe('editDistance (optimal string alignment)', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['email', 'email', 0],
    ['email', 'emial', 1],
    ['email', 'emails', 1],
    ['email', 'mail', 1],
    ['kitten', 'sitting', 3],
    // A swapped pair cannot be edited again: "ca" -> "ac" -> "abc" would be 2, OSA says 3.
    ['ca', 'abc', 3],
  ])('%j to %j is %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
  });

  it('counts a swap of neighbours as one edit, where plain Levenshtein counts two', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('timeuot_ms', 'timeout_ms')).toBe(1);
  });

  it('is symmetric, zero only for equal strings, and bounded by the lengths', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b);
        expect(d).toBe(editDistance(b, a));
        expect(d === 0).toBe(a === b);
        expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
  });
});
