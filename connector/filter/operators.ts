/**
 * The operator table: each operator's id, label, the property types it applies to and how many
 * values it takes (predicates.ts evaluates them).
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
 */
import { PROPERTY_TYPES, type PropertyType } from './properties.js';

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

const ALL: readonly PropertyType[] = PROPERTY_TYPES;
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
