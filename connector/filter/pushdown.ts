/**
 * Push-down: the part of a filter Stripe can answer itself, so fewer pages are read.
 *
 * The one rule: a push-down is IMPLIED by the filter. Every customer the filter matches also
 * satisfies the push-down; it may let through more customers (the local filter still runs on
 * every customer afterwards), never fewer. So results are the same with or without it.
 *
 * Only conditions that must hold for every match are used: the conditions of the top-level group
 * when it is "all" (nested "all" groups are flattened into it; a group with a single condition
 * counts as that condition). Anything under an "any" with 2+ branches is left to the local filter.
 *
 * Stripe's `created` and the customer's integer unix seconds make strict bounds exact:
 * `created > t` becomes `created[gte] = floor(t) + 1`, `created < t` becomes
 * `created[lte] = ceil(t) - 1` (Stripe's `created` is always an integer).
 */
import type { ConditionNode, FilterNode } from './tree.js';
import type { TimeRange } from './dates.js';

export interface PushDown {
  /** created bounds for GET /v1/customers created[gte]/created[lte] (inclusive, unix seconds). */
  created?: { gte?: number; lte?: number };
  /** Exact email for the list endpoint's `email` param (case-sensitive on Stripe's side). */
  email?: string;
  /** A Stripe Search API query implied by the filter, or undefined. */
  searchQuery?: string;
}

/** Stripe's search accepts at most 10 clauses per query. */
export const MAX_SEARCH_CLAUSES = 10;
/** Stripe's substring operator `~` needs at least 3 characters. */
const MIN_SUBSTRING = 3;

/** The conditions every match must satisfy (see the module comment). */
export function requiredConditions(root: FilterNode | undefined): ConditionNode[] {
  if (!root) return [];
  if (root.kind === 'condition') return [root];
  if (root.logical === 'any' && root.children.length > 1) return [];
  return root.children.flatMap(requiredConditions);
}

function isPath(condition: ConditionNode, ...segments: string[]): boolean {
  const actual = condition.property.segments;
  return actual.length === segments.length && segments.every((s, i) => actual[i] === s);
}

/** The single value of `is X` / `is_one_of [X]`, else undefined. */
function exactText(condition: ConditionNode): string | undefined {
  const [only] = condition.operands;
  if (condition.operands.length !== 1 || typeof only !== 'string') return undefined;
  return condition.operator === 'is' || condition.operator === 'is_one_of' ? only : undefined;
}

/** created bounds implied by one condition on `created` (integers, inclusive). */
function createdBounds(condition: ConditionNode): { gte?: number; lte?: number } {
  const [first, second] = condition.operands as TimeRange[];
  if (!first) return {};
  switch (condition.operator) {
    case 'is':
      return { gte: Math.ceil(first.start), lte: Math.floor(first.end) };
    case 'greater_than':
    case 'is_after':
      return { gte: Math.floor(first.end) + 1 };
    case 'greater_than_or_equal':
    case 'is_on_or_after':
      return { gte: Math.ceil(first.start) };
    case 'less_than':
    case 'is_before':
      return { lte: Math.ceil(first.start) - 1 };
    case 'less_than_or_equal':
    case 'is_on_or_before':
      return { lte: Math.floor(first.end) };
    case 'is_between':
      return second ? { gte: Math.ceil(first.start), lte: Math.floor(second.end) } : {};
    default:
      // is_not, is_not_between, exists, is_null, ...: no single range.
      return {};
  }
}

/** A single-quoted Stripe search string: backslash escapes `\` and `'`. */
export function quoteSearchValue(value: string): string {
  return `'${value.replace(/[\\']/g, (ch) => `\\${ch}`)}'`;
}

// Control characters have no defined meaning inside Stripe search strings: leave such values to
// the local filter rather than risk a query that means something else.
// eslint-disable-next-line no-control-regex
const UNSAFE_FOR_SEARCH = /[\u0000-\u001f\u007f]/;

/**
 * The search clause implied by one condition, or undefined. Semantics assumed of Stripe search
 * (https://docs.stripe.com/search#search-query-language):
 * - email / name / phone `:` is an exact match and `~` a substring match (3+ characters), both
 *   case-insensitive. Our `is`, `contains`, `starts_with`, `ends_with` imply them in either case
 *   mode (starts_with/ends_with X imply contains X).
 * - metadata `:` is an exact match whose case handling Stripe doesn't document, so only a
 *   case-sensitive `is` is pushed (it implies a match under either behaviour); the default
 *   case-insensitive `metadata.plan is pro` would wrongly drop "Pro" if Stripe compared exactly.
 * Negations (is_not, does_not_contain, ...) are never pushed: Stripe's handling of missing values
 * under `-field:` is not something the filter's null table can rely on.
 */
function searchClause(condition: ConditionNode): string | undefined {
  const segments = condition.property.segments;
  const [head, key] = segments;
  if (segments.length === 1 && (head === 'email' || head === 'name' || head === 'phone')) {
    const exact = exactText(condition);
    if (exact !== undefined) {
      return UNSAFE_FOR_SEARCH.test(exact) ? undefined : `${head}:${quoteSearchValue(exact)}`;
    }
    if (['contains', 'starts_with', 'ends_with'].includes(condition.operator)) {
      const [part] = condition.operands;
      if (typeof part !== 'string' || [...part].length < MIN_SUBSTRING) return undefined;
      return UNSAFE_FOR_SEARCH.test(part) ? undefined : `${head}~${quoteSearchValue(part)}`;
    }
    return undefined;
  }
  if (segments.length === 2 && head === 'metadata' && key !== undefined) {
    const exact = exactText(condition);
    if (exact === undefined || !condition.caseSensitive) return undefined;
    // Stripe metadata keys cannot contain brackets, so such a key can never match anyway.
    if (/[[\]]/.test(key) || UNSAFE_FOR_SEARCH.test(key) || UNSAFE_FOR_SEARCH.test(exact)) {
      return undefined;
    }
    return `metadata[${quoteSearchValue(key)}]:${quoteSearchValue(exact)}`;
  }
  return undefined;
}

function createdClauses(created: PushDown['created']): string[] {
  const clauses: string[] = [];
  if (created?.gte !== undefined) clauses.push(`created>=${created.gte}`);
  if (created?.lte !== undefined) clauses.push(`created<=${created.lte}`);
  return clauses;
}

/**
 * Builds the query from field clauses plus the created bounds. Search is only worth it when it
 * narrows beyond created (the list endpoint serves created bounds exactly and without search's
 * indexing delay), so a query with no field clause is undefined. Clauses beyond Stripe's limit are
 * dropped, which only loosens the query.
 */
function buildSearchQuery(
  fieldClauses: readonly string[],
  created: PushDown['created'],
): string | undefined {
  const unique = [...new Set(fieldClauses)];
  if (unique.length === 0) return undefined;
  const dates = createdClauses(created);
  return [...unique.slice(0, MAX_SEARCH_CLAUSES - dates.length), ...dates].join(' AND ');
}

/** Derives the push-down of a validated filter tree. */
export function derivePushDown(root: FilterNode | undefined): PushDown {
  const required = requiredConditions(root);
  const pushDown: PushDown = {};

  let gte: number | undefined;
  let lte: number | undefined;
  for (const condition of required) {
    if (!isPath(condition, 'created') || condition.property.type !== 'timestamp') continue;
    const bounds = createdBounds(condition);
    if (bounds.gte !== undefined) gte = gte === undefined ? bounds.gte : Math.max(gte, bounds.gte);
    if (bounds.lte !== undefined) lte = lte === undefined ? bounds.lte : Math.min(lte, bounds.lte);
  }
  if (gte !== undefined || lte !== undefined) {
    pushDown.created = {
      ...(gte !== undefined ? { gte } : {}),
      ...(lte !== undefined ? { lte } : {}),
    };
  }

  // The list endpoint's `email` is case-sensitive, so it is only implied by a case-sensitive
  // `email is X`. With the default case-insensitive `is`, "Jane@Example.com" matches the filter
  // "jane@example.com" but Stripe's email=jane@example.com would not return it.
  for (const condition of required) {
    if (!isPath(condition, 'email') || !condition.caseSensitive) continue;
    const exact = exactText(condition);
    if (exact !== undefined) {
      pushDown.email = exact;
      break;
    }
  }

  const clauses = required
    .map(searchClause)
    .filter((clause): clause is string => clause !== undefined);
  const searchQuery = buildSearchQuery(clauses, pushDown.created);
  if (searchQuery !== undefined) pushDown.searchQuery = searchQuery;
  return pushDown;
}

/** Splits a query at top-level ` AND `s (outside quoted strings). */
export function splitSearchClauses(query: string): string[] {
  const clauses: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i] ?? '';
    if (quote) {
      current += ch;
      if (ch === '\\' && i + 1 < query.length) {
        current += query[i + 1];
        i++;
      } else if (ch === quote) {
        quote = undefined;
      }
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      current += ch;
      continue;
    }
    if (query.startsWith(' AND ', i)) {
      clauses.push(current);
      current = '';
      i += 4;
      continue;
    }
    current += ch;
  }
  if (current !== '') clauses.push(current);
  return clauses;
}

const CREATED_CLAUSE = /^created(>=|<=|>|<|=|:)-?\d+$/;

/**
 * Merges the pipeline's start_date (unix seconds) into a push-down: created.gte becomes the later
 * of the two, and a search query gets the same bound. Returns a new object.
 */
export function withStartDate(pushDown: PushDown, startDate: number | undefined): PushDown {
  const result: PushDown = { ...pushDown };
  if (pushDown.created) result.created = { ...pushDown.created };
  if (startDate === undefined || !Number.isFinite(startDate)) return result;
  const start = Math.ceil(startDate);
  const gte = result.created?.gte === undefined ? start : Math.max(result.created.gte, start);
  result.created = { ...result.created, gte };
  if (pushDown.searchQuery !== undefined) {
    const fieldClauses = splitSearchClauses(pushDown.searchQuery).filter(
      (clause) => !CREATED_CLAUSE.test(clause),
    );
    const query = buildSearchQuery(fieldClauses, result.created);
    if (query === undefined) delete result.searchQuery;
    else result.searchQuery = query;
  }
  return result;
}
