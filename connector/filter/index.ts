/**
 * The filter language that picks which Stripe customers a pipeline imports.
 *
 *     compileFilter(pipeline.filter, { at: ['pipelines', 1, 'filter'], now: new Date() })
 *       .matches(customer)  // local, exact
 *       .pushDown           // what Stripe can pre-filter (always looser or equal)
 *
 * See tree.ts (config shape), parse.ts (validation), properties.ts (what a property path may
 * name), operators.ts (operator/type table), predicates.ts (evaluation, null semantics), dates.ts
 * (date values), matcher.ts (local matching), pushdown.ts (what is sent to Stripe).
 */
import type { ConfigPath } from '../words.js';
import { toMatcher } from './matcher.js';
import { parseFilter } from './parse.js';
import { type PushDown, derivePushDown, withStartDate } from './pushdown.js';
import type { CompileContext, ConditionSpec, FilterNode, FilterSpec, Logical } from './tree.js';

export type { CompileContext, ConditionSpec, FilterSpec, Logical, PushDown };
export { filterTooDeep } from './parse.js';
export {
  OPERATORS,
  OPERATOR_IDS,
  operatorsForType,
  type OperatorId,
  type OperatorInfo,
  type ValueArity,
} from './operators.js';
export {
  PROPERTY_TYPES,
  listFilterableProperties,
  resolvePropertyType,
  type FilterableProperty,
  type PropertyType,
} from './properties.js';
export { formatPath, parsePath } from './path.js';
export { resolveOperator } from './operator-names.js';
export { parseTimeValue, type TimeRange } from './dates.js';

export interface CompiledFilter {
  /** true if the customer (plain Stripe JSON object) matches. Compiled to closures. */
  matches(customer: Record<string, unknown>): boolean;
  /** What Stripe can pre-filter; implied by the filter (looser or equal, never stricter). */
  pushDown: PushDown;
  /** true when the filter is absent/empty (matches everything). */
  matchesAll: boolean;
  /**
   * A date value is relative ("30 days ago"), resolved when the filter is compiled: customers
   * cross its boundary with the passing of time alone, which no Stripe event reports.
   */
  relativeDates: boolean;
  /**
   * The top-level customer fields the filter reads (`address` for `address.country`). A payload
   * rendered in another API version can only be judged when it has each of them.
   */
  fieldsRead: ReadonlySet<string>;
}

/**
 * The filter with `start_date` folded in: customers created before it never match, locally (so
 * an incremental run does not bring back what the full import left out) nor in the push-down.
 */
export function restrictToCreatedFrom(
  filter: CompiledFilter,
  startDate: number | undefined,
): CompiledFilter {
  if (startDate === undefined) return filter;
  return {
    matches: (customer) =>
      typeof customer.created === 'number' &&
      customer.created >= startDate &&
      filter.matches(customer),
    pushDown: withStartDate(filter.pushDown, startDate),
    matchesAll: false,
    relativeDates: filter.relativeDates,
    fieldsRead: new Set([...filter.fieldsRead, 'created']),
  };
}

/**
 * Validates and compiles a pipeline's filter. Throws a ConfigError listing every problem, each
 * placed under `context.at` (default `["filter"]`), before any request is made.
 */
export function compileFilter(
  spec: unknown,
  context: { at?: ConfigPath; now: Date },
): CompiledFilter {
  const { root, relativeDates } = parseFilter(spec, {
    at: context.at ?? ['filter'],
    now: context.now,
  });
  if (!root) {
    return {
      matches: () => true,
      pushDown: {},
      matchesAll: true,
      relativeDates: false,
      fieldsRead: new Set(),
    };
  }
  const matcher = toMatcher(root);
  return {
    matches: (customer) => matcher(customer),
    pushDown: derivePushDown(root),
    matchesAll: false,
    relativeDates,
    fieldsRead: fieldsReadBy(root),
  };
}

function fieldsReadBy(node: FilterNode): Set<string> {
  if (node.kind === 'group') return new Set(node.children.flatMap((c) => [...fieldsReadBy(c)]));
  const [field] = node.property.segments;
  return new Set(field === undefined ? [] : [String(field)]);
}
