/**
 * How a filter may name its operators and group logic, and what an unknown name is told.
 *
 * Operators are accepted by their id and by their label spelled loosely ("is not", "IS",
 * "Is One Of"): the normalized spelling is an exact id, so accepting it cannot pick the wrong
 * operator. Spellings from other filter languages ("=", "in", "like") are only suggested, never
 * accepted: their meaning here can differ (SQL's like is a pattern, our contains is a substring).
 */
import {
  type OperatorId,
  type OperatorInfo,
  OPERATOR_IDS,
  getOperator,
  operatorsForType,
} from './operators.js';
import { list, operator, propertyType, words, type Words } from '../words.js';
import {
  closestMatches,
  describeKind,
  describeValue,
  didYouMean,
  suggestOperators,
} from './suggest.js';
import type { Logical } from './tree.js';
import type { PropertyType } from './properties.js';

/** A lookup that can't be fooled by inherited keys ("constructor", "toString"). */
function aliasMap<T>(entries: Record<string, T>): ReadonlyMap<string, T> {
  return new Map(Object.entries(entries));
}

/** Common spellings from other filter languages -> our operator ids. */
const OPERATOR_ALIASES: ReadonlyMap<string, OperatorId> = aliasMap<OperatorId>({
  '=': 'is',
  '==': 'is',
  '===': 'is',
  eq: 'is',
  equals: 'is',
  equal: 'is',
  is_equal_to: 'is',
  '!=': 'is_not',
  '<>': 'is_not',
  ne: 'is_not',
  neq: 'is_not',
  not_equals: 'is_not',
  isnt: 'is_not',
  in: 'is_one_of',
  one_of: 'is_one_of',
  not_in: 'is_not_one_of',
  nin: 'is_not_one_of',
  has: 'contains',
  includes: 'contains',
  like: 'contains',
  not_contains: 'does_not_contain',
  startswith: 'starts_with',
  begins_with: 'starts_with',
  endswith: 'ends_with',
  empty: 'is_empty',
  not_empty: 'is_not_empty',
  null: 'is_null',
  not_null: 'is_not_null',
  is_set: 'exists',
  not_exists: 'does_not_exist',
  true: 'is_true',
  false: 'is_false',
  '<': 'less_than',
  lt: 'less_than',
  '<=': 'less_than_or_equal',
  lte: 'less_than_or_equal',
  '>': 'greater_than',
  gt: 'greater_than',
  '>=': 'greater_than_or_equal',
  gte: 'greater_than_or_equal',
  between: 'is_between',
  not_between: 'is_not_between',
  before: 'is_before',
  after: 'is_after',
  on_or_before: 'is_on_or_before',
  on_or_after: 'is_on_or_after',
});

const LOGICAL_ALIASES: ReadonlyMap<string, Logical> = aliasMap<Logical>({
  and: 'all',
  '&&': 'all',
  every: 'all',
  or: 'any',
  '||': 'any',
  some: 'any',
});

/** "Is Not", "is-not", "IS_NOT" -> "is_not": how operator labels are written in forms and docs. */
function normalizeOperator(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '_');
}

/** The operator a condition names, by id or by its label spelled loosely (see above). */
export function resolveOperator(raw: unknown): OperatorInfo | undefined {
  if (typeof raw !== 'string') return undefined;
  return getOperator(raw) ?? getOperator(normalizeOperator(raw));
}

/** The operators of `type` (every operator without one), as a sentence of terms. */
export function operatorsFor(type: PropertyType | undefined): Words {
  const ids = type ? operatorsForType(type).map((o) => o.id) : [...OPERATOR_IDS];
  const named = list(ids.map((id) => operator(id, false)));
  return type
    ? words`Operators for ${propertyType(type)} properties: ${named}.`
    : words`Operators: ${named}.`;
}

/** What is wrong with a condition's `operator` (naming those of `type`), or undefined. */
export function operatorProblem(
  rawOperator: unknown,
  type: PropertyType | undefined,
): { problem: Words; fix: Words } | undefined {
  if (resolveOperator(rawOperator)) return undefined;
  const allowed = type ? operatorsForType(type).map((o) => o.id) : [...OPERATOR_IDS];
  const fix = operatorsFor(type);
  if (rawOperator === undefined || rawOperator === null) {
    return { problem: ['"operator" is missing'], fix };
  }
  if (typeof rawOperator !== 'string') {
    return { problem: [`"operator" must be text, got ${describeKind(rawOperator)}`], fix };
  }
  const normalized = normalizeOperator(rawOperator);
  const alias = OPERATOR_ALIASES.get(normalized);
  const suggestion = alias ? [alias] : closestMatches(normalized, allowed);
  return {
    problem: [`unknown operator ${JSON.stringify(rawOperator)}`],
    fix: [...suggestOperators(suggestion), ...fix],
  };
}

/**
 * A group's `logical` ("all" when absent) and what is wrong with it, if anything. An invalid one
 * is read as "all" so that the rest of the group is still checked and reported.
 */
export function resolveLogical(raw: unknown): {
  logical: Logical;
  problem?: { problem: string; fix: string };
} {
  if (raw === undefined || raw === null) return { logical: 'all' };
  if (raw === 'all' || raw === 'any') return { logical: raw };
  const alias = typeof raw === 'string' ? LOGICAL_ALIASES.get(raw.trim().toLowerCase()) : undefined;
  const hint = alias
    ? ` Did you mean "${alias}"?`
    : typeof raw === 'string'
      ? didYouMean(raw.trim().toLowerCase(), ['all', 'any'])
      : '';
  return {
    logical: 'all',
    problem: {
      problem: `logical ${describeValue(raw)} is not valid`,
      fix: `${hint ? `${hint.trim()} ` : ''}Use "all" (every condition must match) or "any" (at least one must match)`,
    },
  };
}
