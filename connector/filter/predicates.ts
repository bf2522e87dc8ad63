/**
 * The evaluation of one operator on one value, built once per condition (see operators.ts for
 * which operators apply to which types).
 *
 * - string: is = equal; contains = substring; starts_with/ends_with = prefix/suffix. All
 *   case-insensitive unless the condition says `"case_sensitive": true`. Expandable IDs
 *   (default_source, test_clock, ...) compare their ID, also when Stripe returned an object.
 * - array (of strings): contains = some element equal (case-insensitive by default).
 * - number: numeric comparisons; values may be given as numeric strings ("10").
 * - timestamp: unix seconds; values may be dates / relative dates (see dates.ts), each a range:
 *   is = inside the range, less_than/is_before = before its start, greater_than/is_after = after
 *   its end, *_or_equal/is_on_or_* include the range.
 * - boolean: is true/false (also "true"/"false"), is_true, is_false.
 * - is_empty: missing, null, "" (string), [] (array), {} (object).
 *
 * Null and missing values (missing = a key absent or a parent null/absent along the path):
 *
 * | operator                                        | missing path | null  | value of another type² |
 * |-------------------------------------------------|:------------:|:-----:|:----------------------:|
 * | is, is_one_of, contains, starts_with, ends_with |    false     | false |         false          |
 * | is_not, is_not_one_of, does_not_contain         |     true     | true  |          true          |
 * | less_than…, greater_than…, is_before…, is_after…|    false     | false |         false          |
 * | is_between                                      |    false     | false |         false          |
 * | is_not_between                                  |     true     | true  |          true          |
 * | is_true, is_false                               |    false     | false |         false          |
 * | is_empty                                        |     true     | true  |         false          |
 * | is_not_empty                                    |    false     | false |          true          |
 * | is_null                                         |     true     | true  |         false          |
 * | is_not_null                                     |    false     | false |          true          |
 * | exists                                          |    false     | true  |          true          |
 * | does_not_exist                                  |     true     | false |         false          |
 *
 * ² a value that contradicts the schema (e.g. a number where a string is expected) has nothing to
 * compare, so it behaves like null for the comparing operators but counts as present/non-empty.
 *
 * The rule behind the table: every negative operator (is_not, is_not_one_of, does_not_contain,
 * is_not_between, is_not_empty, is_not_null, does_not_exist) is the exact complement of its
 * positive twin, for every input. is_false is NOT the complement of is_true: null is neither.
 */
import { isPlainObject } from '../util/is-plain-object.js';
import { MISSING } from '../util/value-path.js';
import type { TimeRange } from './dates.js';
import type { OperatorId } from './operators.js';
import type { PropertyType } from './properties.js';

/** A compiled operand: text for string/array, number, boolean, or a time range. */
export type Operand = string | number | boolean | TimeRange;

export interface PredicatePlan {
  readonly type: PropertyType;
  readonly operator: OperatorId;
  /** Already validated and coerced for `type` (see condition-values.ts). */
  readonly operands: readonly Operand[];
  readonly caseSensitive: boolean;
  /** String IDs that Stripe may return expanded: compare the object's `id`. */
  readonly expandable?: boolean;
}

/** A value (or MISSING) -> matches. */
export type Predicate = (value: unknown) => boolean;

const not =
  (p: Predicate): Predicate =>
  (v) =>
    !p(v);

function textReader(
  expandable: boolean,
  fold: (s: string) => string,
): (v: unknown) => string | undefined {
  if (!expandable) return (v) => (typeof v === 'string' ? fold(v) : undefined);
  return (v) => {
    if (typeof v === 'string') return fold(v);
    if (isPlainObject(v) && typeof v.id === 'string') return fold(v.id);
    return undefined;
  };
}

const asNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** Numbers and timestamps: false for anything that is not a finite number (see the null table). */
const numberTest =
  (test: (n: number) => boolean): Predicate =>
  (v) => {
    const n = asNumber(v);
    return n !== undefined && test(n);
  };

function isEmptyValue(type: PropertyType, expandable: boolean): Predicate {
  switch (type) {
    case 'string': {
      const read = textReader(expandable, (s) => s);
      return (v) => v === MISSING || v === null || read(v) === '';
    }
    case 'array':
      return (v) => v === MISSING || v === null || (Array.isArray(v) && v.length === 0);
    case 'object':
      return (v) =>
        v === MISSING || v === null || (isPlainObject(v) && Object.keys(v).length === 0);
    default:
      return (v) => v === MISSING || v === null;
  }
}

/** Builds the predicate for one condition. Operands must already fit the plan (parse.ts). */
export function buildPredicate(plan: PredicatePlan): Predicate {
  const { type, operator, operands, caseSensitive } = plan;
  const expandable = plan.expandable ?? false;

  switch (operator) {
    case 'exists':
      return (v) => v !== MISSING;
    case 'does_not_exist':
      return (v) => v === MISSING;
    case 'is_null':
      return (v) => v === MISSING || v === null;
    case 'is_not_null':
      return (v) => v !== MISSING && v !== null;
    case 'is_empty':
      return isEmptyValue(type, expandable);
    case 'is_not_empty':
      return not(isEmptyValue(type, expandable));
    case 'is_true':
      return (v) => v === true;
    case 'is_false':
      return (v) => v === false;
    default:
      break;
  }

  if (type === 'boolean') {
    const expected = operands[0] === true;
    const is: Predicate = (v) => v === expected;
    if (operator === 'is') return is;
    if (operator === 'is_not') return not(is);
  }

  if (type === 'string' || type === 'array') {
    const fold = caseSensitive ? (s: string) => s : (s: string) => s.toLowerCase();
    const texts = operands.map((o) => fold(String(o)));
    const first = texts[0] ?? '';
    if (type === 'array') {
      const contains: Predicate = (v) =>
        Array.isArray(v) && v.some((e) => typeof e === 'string' && fold(e) === first);
      if (operator === 'contains') return contains;
      if (operator === 'does_not_contain') return not(contains);
    } else {
      const read = textReader(expandable, fold);
      const positive =
        (test: (t: string) => boolean): Predicate =>
        (v) => {
          const t = read(v);
          return t !== undefined && test(t);
        };
      const set = new Set(texts);
      switch (operator) {
        case 'is':
          return positive((t) => t === first);
        case 'is_not':
          return not(positive((t) => t === first));
        case 'is_one_of':
          return positive((t) => set.has(t));
        case 'is_not_one_of':
          return not(positive((t) => set.has(t)));
        case 'contains':
          return positive((t) => t.includes(first));
        case 'does_not_contain':
          return not(positive((t) => t.includes(first)));
        case 'starts_with':
          return positive((t) => t.startsWith(first));
        case 'ends_with':
          return positive((t) => t.endsWith(first));
        default:
          break;
      }
    }
  }

  if (type === 'number') {
    const nums = operands.map((o) => o as number);
    const a = nums[0] ?? NaN;
    const b = nums[1] ?? NaN;
    const set = new Set(nums);
    switch (operator) {
      case 'is':
        return numberTest((n) => n === a);
      case 'is_not':
        return not(numberTest((n) => n === a));
      case 'is_one_of':
        return numberTest((n) => set.has(n));
      case 'is_not_one_of':
        return not(numberTest((n) => set.has(n)));
      case 'less_than':
        return numberTest((n) => n < a);
      case 'less_than_or_equal':
        return numberTest((n) => n <= a);
      case 'greater_than':
        return numberTest((n) => n > a);
      case 'greater_than_or_equal':
        return numberTest((n) => n >= a);
      case 'is_between':
        return numberTest((n) => n >= a && n <= b);
      case 'is_not_between':
        return not(numberTest((n) => n >= a && n <= b));
      default:
        break;
    }
  }

  if (type === 'timestamp') {
    const ranges = operands.map((o) => o as TimeRange);
    const r = ranges[0] ?? { start: NaN, end: NaN };
    const high = ranges[1] ?? { start: NaN, end: NaN };
    switch (operator) {
      case 'is':
        return numberTest((n) => n >= r.start && n <= r.end);
      case 'is_not':
        return not(numberTest((n) => n >= r.start && n <= r.end));
      case 'less_than':
      case 'is_before':
        return numberTest((n) => n < r.start);
      case 'less_than_or_equal':
      case 'is_on_or_before':
        return numberTest((n) => n <= r.end);
      case 'greater_than':
      case 'is_after':
        return numberTest((n) => n > r.end);
      case 'greater_than_or_equal':
      case 'is_on_or_after':
        return numberTest((n) => n >= r.start);
      case 'is_between':
        return numberTest((n) => n >= r.start && n <= high.end);
      case 'is_not_between':
        return not(numberTest((n) => n >= r.start && n <= high.end));
      default:
        break;
    }
  }

  // parse.ts only builds plans that OPERATORS allows, so this is a bug, not a user error.
  throw new Error(`filter: no evaluation for operator "${operator}" on ${type} properties`);
}
