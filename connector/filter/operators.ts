/**
 * The operator table and the evaluation of one operator on one value.
 *
 * Compatibility (✓ = accepted; anything else is a config error naming the allowed operators):
 *
 * | operator                                             | string | number | timestamp | boolean | array | object | values |
 * |------------------------------------------------------|:------:|:------:|:---------:|:-------:|:-----:|:------:|:------:|
 * | is, is_not                                           |   ✓    |   ✓    |     ✓     |    ✓    |       |        |   1    |
 * | is_one_of, is_not_one_of                             |   ✓    |   ✓    |           |         |       |        |  ≥ 1   |
 * | contains, does_not_contain                           |   ✓    |        |           |         |  ✓¹   |        |   1    |
 * | starts_with, ends_with                               |   ✓    |        |           |         |       |        |   1    |
 * | is_empty, is_not_empty                               |   ✓    |        |           |         |   ✓   |   ✓    |   0    |
 * | is_null, is_not_null, exists, does_not_exist         |   ✓    |   ✓    |     ✓     |    ✓    |   ✓   |   ✓    |   0    |
 * | is_true, is_false                                    |        |        |           |    ✓    |       |        |   0    |
 * | less_than(_or_equal), greater_than(_or_equal)        |        |   ✓    |     ✓     |         |       |        |   1    |
 * | is_between, is_not_between (bounds included)         |        |   ✓    |     ✓     |         |       |        |   2    |
 * | is_before, is_after, is_on_or_before, is_on_or_after |        |        |     ✓     |         |       |        |   1    |
 *
 * ¹ arrays of strings only: "has an element equal to the value".
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
import type { TimeRange } from './dates.js';
import { MISSING } from './path.js';
import type { PropertyType } from './types.js';

export const OPERATOR_IDS = [
  'is',
  'is_not',
  'is_one_of',
  'is_not_one_of',
  'contains',
  'does_not_contain',
  'starts_with',
  'ends_with',
  'is_empty',
  'is_not_empty',
  'is_null',
  'is_not_null',
  'exists',
  'does_not_exist',
  'is_true',
  'is_false',
  'less_than',
  'less_than_or_equal',
  'greater_than',
  'greater_than_or_equal',
  'is_between',
  'is_not_between',
  'is_before',
  'is_after',
  'is_on_or_before',
  'is_on_or_after',
] as const;

export type OperatorId = (typeof OPERATOR_IDS)[number];
export type ValueArity = 'none' | 'one' | 'two' | 'many';

export interface OperatorInfo {
  readonly id: OperatorId;
  readonly label: string;
  readonly types: readonly PropertyType[];
  /** none: no values; one: exactly 1; two: exactly 2 (low, high); many: at least 1. */
  readonly values: ValueArity;
  readonly description: string;
}

const ALL: readonly PropertyType[] = [
  'string',
  'number',
  'timestamp',
  'boolean',
  'array',
  'object',
];
const NUMERIC: readonly PropertyType[] = ['number', 'timestamp'];

const op = (
  id: OperatorId,
  label: string,
  types: readonly PropertyType[],
  values: ValueArity,
  description: string,
): OperatorInfo =>
  Object.freeze({ id, label, types: Object.freeze([...types]), values, description });

export const OPERATORS: ReadonlyArray<OperatorInfo> = Object.freeze([
  op(
    'is',
    'is',
    ['string', 'number', 'timestamp', 'boolean'],
    'one',
    'Equal to the value (text: case-insensitive unless case_sensitive; dates: within that day).',
  ),
  op(
    'is_not',
    'is not',
    ['string', 'number', 'timestamp', 'boolean'],
    'one',
    'Not equal to the value; true when empty or missing.',
  ),
  op('is_one_of', 'is one of', ['string', 'number'], 'many', 'Equal to any of the values.'),
  op(
    'is_not_one_of',
    'is not one of',
    ['string', 'number'],
    'many',
    'Equal to none of the values; true when empty or missing.',
  ),
  op(
    'contains',
    'contains',
    ['string', 'array'],
    'one',
    'Text: contains the value as a substring. List: has an element equal to the value.',
  ),
  op(
    'does_not_contain',
    'does not contain',
    ['string', 'array'],
    'one',
    'The opposite of contains; true when empty or missing.',
  ),
  op('starts_with', 'starts with', ['string'], 'one', 'Text starts with the value.'),
  op('ends_with', 'ends with', ['string'], 'one', 'Text ends with the value.'),
  op(
    'is_empty',
    'is empty',
    ['string', 'array', 'object'],
    'none',
    'Missing, null, "" (text), [] (list) or {} (object).',
  ),
  op(
    'is_not_empty',
    'is not empty',
    ['string', 'array', 'object'],
    'none',
    'Has a non-empty value.',
  ),
  op('is_null', 'is null', ALL, 'none', 'Missing or null.'),
  op('is_not_null', 'is not null', ALL, 'none', 'Present and not null.'),
  op('exists', 'exists', ALL, 'none', 'The field is present (even if null).'),
  op(
    'does_not_exist',
    'does not exist',
    ALL,
    'none',
    'The field is absent (a missing key or a missing parent).',
  ),
  op('is_true', 'is true', ['boolean'], 'none', 'Exactly true.'),
  op(
    'is_false',
    'is false',
    ['boolean'],
    'none',
    'Exactly false (null is neither true nor false).',
  ),
  op('less_than', 'less than', NUMERIC, 'one', 'Less than the value (dates: before it starts).'),
  op(
    'less_than_or_equal',
    'less than or equal to',
    NUMERIC,
    'one',
    'Less than or equal to the value (dates: up to its end).',
  ),
  op(
    'greater_than',
    'greater than',
    NUMERIC,
    'one',
    'Greater than the value (dates: after it ends).',
  ),
  op(
    'greater_than_or_equal',
    'greater than or equal to',
    NUMERIC,
    'one',
    'Greater than or equal to the value (dates: from its start).',
  ),
  op(
    'is_between',
    'is between',
    NUMERIC,
    'two',
    'Between low and high, both included (dates: from the start of low to the end of high).',
  ),
  op(
    'is_not_between',
    'is not between',
    NUMERIC,
    'two',
    'Outside [low, high]; true when empty or missing.',
  ),
  op('is_before', 'is before', ['timestamp'], 'one', 'Before the date (before its start).'),
  op(
    'is_after',
    'is after',
    ['timestamp'],
    'one',
    'After the date (after its end: "is after 2024-01-31" starts on Feb 1).',
  ),
  op(
    'is_on_or_before',
    'is on or before',
    ['timestamp'],
    'one',
    'On or before the date (up to its end).',
  ),
  op(
    'is_on_or_after',
    'is on or after',
    ['timestamp'],
    'one',
    'On or after the date (from its start).',
  ),
]);

const BY_ID: ReadonlyMap<string, OperatorInfo> = new Map(OPERATORS.map((o) => [o.id, o]));

export function getOperator(id: string): OperatorInfo | undefined {
  return BY_ID.get(id);
}

/** The operators a property type accepts, in table order. */
export function operatorsForType(type: PropertyType): OperatorInfo[] {
  return OPERATORS.filter((o) => o.types.includes(type));
}

/** A compiled operand: text for string/array, number, boolean, or a time range. */
export type Operand = string | number | boolean | TimeRange;

export interface PredicatePlan {
  readonly type: PropertyType;
  readonly operator: OperatorId;
  /** Already validated and coerced for `type` (see compile.ts). */
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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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

/** Builds the predicate for one condition. Operands must already fit the plan (compile.ts). */
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
    const positive =
      (test: (n: number) => boolean): Predicate =>
      (v) => {
        const n = asNumber(v);
        return n !== undefined && test(n);
      };
    const set = new Set(nums);
    switch (operator) {
      case 'is':
        return positive((n) => n === a);
      case 'is_not':
        return not(positive((n) => n === a));
      case 'is_one_of':
        return positive((n) => set.has(n));
      case 'is_not_one_of':
        return not(positive((n) => set.has(n)));
      case 'less_than':
        return positive((n) => n < a);
      case 'less_than_or_equal':
        return positive((n) => n <= a);
      case 'greater_than':
        return positive((n) => n > a);
      case 'greater_than_or_equal':
        return positive((n) => n >= a);
      case 'is_between':
        return positive((n) => n >= a && n <= b);
      case 'is_not_between':
        return not(positive((n) => n >= a && n <= b));
      default:
        break;
    }
  }

  if (type === 'timestamp') {
    const ranges = operands.map((o) => o as TimeRange);
    const r = ranges[0] ?? { start: NaN, end: NaN };
    const high = ranges[1] ?? { start: NaN, end: NaN };
    const positive =
      (test: (n: number) => boolean): Predicate =>
      (v) => {
        const n = asNumber(v);
        return n !== undefined && test(n);
      };
    switch (operator) {
      case 'is':
        return positive((n) => n >= r.start && n <= r.end);
      case 'is_not':
        return not(positive((n) => n >= r.start && n <= r.end));
      case 'less_than':
      case 'is_before':
        return positive((n) => n < r.start);
      case 'less_than_or_equal':
      case 'is_on_or_before':
        return positive((n) => n <= r.end);
      case 'greater_than':
      case 'is_after':
        return positive((n) => n > r.end);
      case 'greater_than_or_equal':
      case 'is_on_or_after':
        return positive((n) => n >= r.start);
      case 'is_between':
        return positive((n) => n >= r.start && n <= high.end);
      case 'is_not_between':
        return not(positive((n) => n >= r.start && n <= high.end));
      default:
        break;
    }
  }

  // compile.ts only builds plans that OPERATORS allows, so this is a bug, not a user error.
  throw new Error(`filter: no evaluation for operator "${operator}" on ${type} properties`);
}
