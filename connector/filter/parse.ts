/**
 * Validates a filter config into the tree of tree.ts.
 *
 * - An absent/null filter, an empty string, or a group with no conditions matches everything.
 *   Empty nested groups are dropped (they add no constraint), whatever their `logical`.
 * - A filter given as a JSON string is parsed first (form fields often hold JSON text).
 * - Every problem is collected and thrown as one ConfigError before any request is made; each
 *   issue is placed at the key it is about (`[...at, "conditions", 1, "operator"]`, `at` being
 *   where the filter sits in the config), says what is wrong and how to fix it.
 * - Relative dates ("30 days ago") are resolved here, once, against `context.now`.
 */
import { ConfigError, type IssueInput } from '../errors.js';
import { isPlainObject } from '../util/is-plain-object.js';
import { MAX_NESTING } from '../util/nesting.js';
import type { ConfigPath, Words } from '../words.js';
import { coerceValues } from './condition-values.js';
import { propertyMismatch, valueCountMismatch } from './operator-fit.js';
import { operatorProblem, resolveLogical, resolveOperator } from './operator-names.js';
import { describeKind, describeValue, didYouMean } from './suggest.js';
import type { CompileContext, ConditionNode, FilterNode, GroupNode } from './tree.js';
import { type PropertyInfo, resolveProperty } from './properties.js';

const CONDITION_KEYS = ['property', 'operator', 'values', 'case_sensitive'] as const;
const GROUP_KEYS = ['logical', 'conditions'] as const;
const SHAPE_HINT =
  'Expected {"logical": "all" | "any", "conditions": [{"property": "...", "operator": "...", "values": [...]}, ...]}';

class Validator {
  readonly issues: IssueInput[] = [];
  /** Some date value is relative ("30 days ago"): the filter's meaning moves with time. */
  relativeDates = false;

  constructor(private readonly context: CompileContext) {}

  /** A problem at `at` (a path within the filter), with how to fix it. */
  report(at: ConfigPath, problem: string | Words, fix?: string | Words): void {
    this.issues.push({ at: [...this.context.at, ...at], problem, ...(fix ? { fix } : {}) });
  }

  private unknownKeys(
    raw: Record<string, unknown>,
    allowed: readonly string[],
    at: ConfigPath,
    what: string,
  ): void {
    for (const key of Object.keys(raw)) {
      if (allowed.includes(key)) continue;
      const hint = didYouMean(key, allowed).trim();
      this.report(
        [...at, key],
        `unknown key ${JSON.stringify(key)}`,
        `${hint ? `${hint} ` : ''}A ${what} has: ${allowed.join(', ')}`,
      );
    }
  }

  node(raw: unknown, at: ConfigPath): FilterNode | undefined {
    if (!isPlainObject(raw)) {
      this.report(
        at,
        `expected a condition {"property", "operator", "values"} or a group {"logical", "conditions"}, got ${describeKind(raw)}`,
      );
      return undefined;
    }
    const conditionish = 'property' in raw || 'operator' in raw || 'values' in raw;
    const groupish = 'conditions' in raw || 'logical' in raw;
    if (conditionish && groupish) {
      this.report(
        at,
        'mixes condition keys (property, operator, values) with group keys (logical, conditions)',
        'Put the condition inside the group\'s "conditions" list',
      );
      return undefined;
    }
    if (conditionish) return this.condition(raw, at);
    if (groupish) return this.group(raw, at);
    if (Object.keys(raw).length === 0) {
      this.report(
        at,
        'an empty object',
        'Give a condition {"property": "email", "operator": "is", "values": ["a@b.com"]} or remove it',
      );
    } else {
      this.report(
        at,
        `neither a condition nor a group: unknown keys ${Object.keys(raw)
          .map((k) => JSON.stringify(k))
          .join(', ')}`,
        `A condition has ${CONDITION_KEYS.join(', ')}; a group has ${GROUP_KEYS.join(', ')}`,
      );
    }
    return undefined;
  }

  group(raw: Record<string, unknown>, at: ConfigPath): GroupNode | undefined {
    this.unknownKeys(raw, GROUP_KEYS, at, 'group');
    const { logical, problem } = resolveLogical(raw.logical);
    if (problem) this.report([...at, 'logical'], problem.problem, problem.fix);
    const rawConditions = raw.conditions;
    if (rawConditions === undefined || rawConditions === null) {
      return { kind: 'group', at, logical, children: [] };
    }
    if (!Array.isArray(rawConditions)) {
      this.report(
        [...at, 'conditions'],
        `"conditions" must be a list, got ${describeKind(rawConditions)}`,
        SHAPE_HINT,
      );
      return undefined;
    }
    const children: FilterNode[] = [];
    rawConditions.forEach((child, index) => {
      const node = this.node(child, [...at, 'conditions', index]);
      if (node) children.push(node);
    });
    return { kind: 'group', at, logical, children };
  }

  condition(raw: Record<string, unknown>, at: ConfigPath): ConditionNode | undefined {
    const before = this.issues.length;
    this.unknownKeys(raw, CONDITION_KEYS, at, 'condition');

    // property
    let property: PropertyInfo | undefined;
    const rawProperty = raw.property;
    if (typeof rawProperty !== 'string' || rawProperty.trim() === '') {
      if (rawProperty === undefined || rawProperty === null || rawProperty === '') {
        this.report(
          [...at, 'property'],
          '"property" is missing',
          'Name a customer field, e.g. "email", "address.country", "metadata.plan", "created"',
        );
      } else {
        this.report(
          [...at, 'property'],
          `"property" must be a path like "metadata.plan", got ${describeKind(rawProperty)}`,
        );
      }
    } else {
      const resolved = resolveProperty(rawProperty);
      if (resolved.ok) property = resolved.info;
      else
        this.report(
          [...at, 'property'],
          [`property ${JSON.stringify(rawProperty)} is not valid: `, ...resolved.problem],
        );
    }

    // operator
    const badOperator = operatorProblem(raw.operator, property?.type);
    if (badOperator) this.report([...at, 'operator'], badOperator.problem, badOperator.fix);
    const operator = badOperator ? undefined : resolveOperator(raw.operator);

    // case_sensitive
    let caseSensitive = false;
    const rawCase = raw.case_sensitive;
    if (rawCase !== undefined && rawCase !== null) {
      if (typeof rawCase === 'boolean') caseSensitive = rawCase;
      else
        this.report(
          [...at, 'case_sensitive'],
          `"case_sensitive" must be true or false, got ${describeValue(rawCase)}`,
        );
    }

    // values: a list (checked against the operator and type below)
    let rawValues: unknown[] = [];
    if (raw.values !== undefined && raw.values !== null) {
      if (Array.isArray(raw.values)) {
        rawValues = raw.values;
      } else {
        this.report(
          [...at, 'values'],
          `"values" must be a list, got ${describeKind(raw.values)}`,
          `Wrap it in brackets: "values": [${describeValue(raw.values)}]`,
        );
        return undefined;
      }
    }

    if (!property || !operator) return undefined;
    const misfit = propertyMismatch(operator, property);
    if (misfit) {
      this.report([...at, 'operator'], misfit.problem, misfit.fix);
      return undefined;
    }
    const miscount = valueCountMismatch(operator, property.type, rawValues.length);
    if (miscount) {
      this.report([...at, 'values'], miscount.problem, miscount.fix);
      return undefined;
    }

    const coerced = coerceValues(operator, property, rawValues, caseSensitive, this.context.now);
    if (!coerced.ok) {
      for (const { at: within, problem, fix } of coerced.problems) {
        this.report([...at, ...within], problem, fix);
      }
      return undefined;
    }
    if (coerced.relative) this.relativeDates = true;
    if (this.issues.length > before) return undefined;
    return {
      kind: 'condition',
      at,
      property,
      operator: operator.id,
      operands: coerced.operands,
      caseSensitive,
    };
  }
}

/** Drops empty groups and unwraps single-child groups; undefined when nothing is left. */
function simplify(node: FilterNode): FilterNode | undefined {
  if (node.kind === 'condition') return node;
  const children = node.children
    .map(simplify)
    .filter((child): child is FilterNode => child !== undefined);
  if (children.length === 0) return undefined;
  if (children.length === 1) return children[0];
  return { ...node, children };
}

export interface ParsedFilter {
  /** The simplified tree; undefined when the filter matches everything. */
  root: FilterNode | undefined;
  /** A date value is relative ("30 days ago"), resolved against `context.now`. */
  relativeDates: boolean;
}

/**
 * Whether groups nest more than `limit` deep (the root group is one level). Counted with a stack
 * of its own: the validator recurses, so a filter nested thousands of levels deep is refused
 * here, before it could overflow the stack.
 */
function nestsGroupsBeyond(raw: unknown, limit: number): boolean {
  const pending: Array<{ node: unknown; level: number }> = [{ node: raw, level: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, level } = next;
    if (!isPlainObject(node) || !Array.isArray(node.conditions)) continue;
    if (level + 1 > limit) return true;
    for (const child of node.conditions) pending.push({ node: child, level: level + 1 });
  }
  return false;
}

/** The error for a filter at `at` whose groups nest deeper than MAX_NESTING. */
export function filterTooDeep(at: ConfigPath): ConfigError {
  return new ConfigError({
    at,
    problem: `its groups nest more than ${MAX_NESTING} levels deep, the most a filter may`,
    fix: 'flatten it (a group inside a group with the same "logical" can be merged into that group)',
  });
}

/** Parses and validates a raw filter config; throws a ConfigError with every problem found. */
export function parseFilter(spec: unknown, context: CompileContext): ParsedFilter {
  if (!(context.now instanceof Date) || Number.isNaN(context.now.getTime())) {
    throw new TypeError('compileFilter: context.now must be a valid Date');
  }
  const validator = new Validator(context);
  const failed = () => new ConfigError({ at: context.at, issues: validator.issues });
  let raw = spec;
  if (typeof raw === 'string') {
    if (raw.trim() === '') return { root: undefined, relativeDates: false };
    try {
      raw = JSON.parse(raw) as unknown;
    } catch (error) {
      validator.report([], `not valid JSON (${(error as Error).message})`, SHAPE_HINT);
      throw failed();
    }
  }
  if (raw === undefined || raw === null) return { root: undefined, relativeDates: false };
  if (nestsGroupsBeyond(raw, MAX_NESTING)) throw filterTooDeep(context.at);
  let root: FilterNode | undefined;
  if (Array.isArray(raw)) {
    validator.report(
      [],
      'must be an object, got a list',
      'Wrap the conditions: {"logical": "all", "conditions": [...]}',
    );
  } else if (!isPlainObject(raw)) {
    validator.report([], `must be an object, got ${describeKind(raw)}`, SHAPE_HINT);
  } else {
    // The root is a group even when it has no keys ({} matches everything); a bare condition
    // is accepted as a one-condition filter.
    const conditionish = 'property' in raw || 'operator' in raw || 'values' in raw;
    root = conditionish ? validator.node(raw, []) : validator.group(raw, []);
  }
  if (validator.issues.length > 0) throw failed();
  return { root: root ? simplify(root) : undefined, relativeDates: validator.relativeDates };
}
