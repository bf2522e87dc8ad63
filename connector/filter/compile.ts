/**
 * Validates a filter config and compiles it to closures.
 *
 * Config shape (a pipeline's `filter`, the same JSON in the n8n node):
 *
 *     { "logical": "all" | "any",               // default "all"
 *       "conditions": [
 *         { "property": "metadata.plan", "operator": "is", "values": ["pro"],
 *           "case_sensitive": false },           // optional, default false
 *         { "logical": "any", "conditions": [...] }   // nested group
 *       ] }
 *
 * - An absent/null filter, an empty string, or a group with no conditions matches everything.
 *   Empty nested groups are dropped (they add no constraint), whatever their `logical`.
 * - A filter given as a JSON string is parsed first (form fields often hold JSON text).
 * - Every problem is collected and thrown as one FilterConfigError (a ConfigError) before any
 *   request is made; each message names the pipeline, the position
 *   (`filter.conditions[1].conditions[0]`), what is wrong and how to fix it.
 * - Relative dates ("30 days ago") are resolved here, once, against `context.now`.
 */
import { type TimeRange, TIME_VALUE_HELP, parseTimeValue } from './dates.js';
import { type FilterIssue, FilterConfigError } from './issues.js';
import {
  type Operand,
  type OperatorId,
  type OperatorInfo,
  OPERATOR_IDS,
  buildPredicate,
  getOperator,
  operatorsForType,
} from './operators.js';
import { makeGetter } from './path.js';
import {
  describeKind,
  describeValue,
  didYouMean,
  formatSuggestions,
  closestMatches,
} from './suggest.js';
import { type PropertyInfo, type PropertyType, resolveProperty } from './types.js';

export type Logical = 'all' | 'any';

/** One condition as written in the config. */
export interface ConditionSpec {
  property: string;
  operator: string;
  values?: unknown[];
  case_sensitive?: boolean;
}

/** A filter (or nested group) as written in the config. */
export interface FilterSpec {
  logical?: Logical;
  conditions?: Array<ConditionSpec | FilterSpec>;
}

/** A validated condition: property resolved, operator checked, values coerced. */
export interface ConditionNode {
  readonly kind: 'condition';
  readonly position: string;
  readonly property: PropertyInfo;
  readonly operator: OperatorId;
  readonly operands: readonly Operand[];
  readonly caseSensitive: boolean;
}

export interface GroupNode {
  readonly kind: 'group';
  readonly position: string;
  readonly logical: Logical;
  readonly children: readonly FilterNode[];
}

export type FilterNode = ConditionNode | GroupNode;

export interface CompileContext {
  /** The pipeline's name, for error messages. */
  pipeline: string;
  /** The instant relative dates are resolved against. */
  now: Date;
}

const CONDITION_KEYS = ['property', 'operator', 'values', 'case_sensitive'] as const;
const GROUP_KEYS = ['logical', 'conditions'] as const;
const SHAPE_HINT =
  'Expected {"logical": "all" | "any", "conditions": [{"property": "...", "operator": "...", "values": [...]}, ...]}';

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

const VALUE_EXAMPLES: Record<PropertyType, { one: string; two: string; many: string }> = {
  string: { one: '["pro"]', two: '["a", "b"]', many: '["pro", "team"]' },
  number: { one: '[100]', two: '[0, 100]', many: '[1, 2, 3]' },
  timestamp: {
    one: '["2024-01-31"] or ["30 days ago"]',
    two: '["2024-01-01", "2024-03-31"]',
    many: '["2024-01-31"]',
  },
  boolean: { one: '[true]', two: '[true, false]', many: '[true]' },
  array: { one: '["en"]', two: '["en", "fr"]', many: '["en", "fr"]' },
  object: { one: '[...]', two: '[...]', many: '[...]' },
};

const NUMERIC_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** "Is Not", "is-not", "IS_NOT" -> "is_not": how operator labels are written in forms and docs. */
function normalizeOperator(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '_');
}

/**
 * The operator an id names, also when spelled like its label ("is not", "IS", "Is One Of"): the
 * normalized spelling is an exact id, so accepting it cannot pick the wrong operator. Aliases
 * from other languages ("=", "in", "like") are not accepted, only suggested: their meaning here
 * can differ (SQL's like is a pattern, our contains is a substring).
 */
function resolveOperator(raw: unknown): OperatorInfo | undefined {
  if (typeof raw !== 'string') return undefined;
  return getOperator(raw) ?? getOperator(normalizeOperator(raw));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

class Validator {
  readonly issues: FilterIssue[] = [];
  /** Some date value is relative ("30 days ago"): the filter's meaning moves with time. */
  relativeDates = false;

  constructor(private readonly context: CompileContext) {}

  report(position: string, text: string): void {
    this.issues.push({
      position,
      message: `pipeline ${JSON.stringify(this.context.pipeline)} ${position}: ${text}`,
    });
  }

  private unknownKeys(
    raw: Record<string, unknown>,
    allowed: readonly string[],
    position: string,
    what: string,
  ): void {
    for (const key of Object.keys(raw)) {
      if (allowed.includes(key)) continue;
      this.report(
        position,
        `unknown key ${JSON.stringify(key)}.${didYouMean(key, allowed)} A ${what} has: ${allowed.join(', ')}.`,
      );
    }
  }

  node(raw: unknown, position: string): FilterNode | undefined {
    if (!isRecord(raw)) {
      this.report(
        position,
        `expected a condition {"property", "operator", "values"} or a group {"logical", "conditions"}, got ${describeKind(raw)}.`,
      );
      return undefined;
    }
    const conditionish = 'property' in raw || 'operator' in raw || 'values' in raw;
    const groupish = 'conditions' in raw || 'logical' in raw;
    if (conditionish && groupish) {
      this.report(
        position,
        'mixes condition keys (property, operator, values) with group keys (logical, conditions). Put the condition inside the group\'s "conditions" list.',
      );
      return undefined;
    }
    if (conditionish) return this.condition(raw, position);
    if (groupish) return this.group(raw, position);
    this.report(
      position,
      Object.keys(raw).length === 0
        ? `is an empty object. Give a condition {"property": "email", "operator": "is", "values": ["a@b.com"]} or remove it.`
        : `is neither a condition nor a group: unknown keys ${Object.keys(raw)
            .map((k) => JSON.stringify(k))
            .join(
              ', ',
            )}. A condition has ${CONDITION_KEYS.join(', ')}; a group has ${GROUP_KEYS.join(', ')}.`,
    );
    return undefined;
  }

  group(raw: Record<string, unknown>, position: string): GroupNode | undefined {
    this.unknownKeys(raw, GROUP_KEYS, position, 'group');
    let logical: Logical = 'all';
    const rawLogical = raw.logical;
    if (rawLogical !== undefined && rawLogical !== null) {
      if (rawLogical === 'all' || rawLogical === 'any') {
        logical = rawLogical;
      } else {
        const alias =
          typeof rawLogical === 'string'
            ? LOGICAL_ALIASES.get(rawLogical.trim().toLowerCase())
            : undefined;
        const hint = alias
          ? ` Did you mean "${alias}"?`
          : typeof rawLogical === 'string'
            ? didYouMean(rawLogical.trim().toLowerCase(), ['all', 'any'])
            : '';
        this.report(
          position,
          `logical ${describeValue(rawLogical)} is not valid.${hint} Use "all" (every condition must match) or "any" (at least one must match).`,
        );
      }
    }
    const rawConditions = raw.conditions;
    if (rawConditions === undefined || rawConditions === null) {
      return { kind: 'group', position, logical, children: [] };
    }
    if (!Array.isArray(rawConditions)) {
      this.report(
        position,
        `"conditions" must be a list, got ${describeKind(rawConditions)}. ${SHAPE_HINT}.`,
      );
      return undefined;
    }
    const children: FilterNode[] = [];
    rawConditions.forEach((child, index) => {
      const node = this.node(child, `${position}.conditions[${index}]`);
      if (node) children.push(node);
    });
    return { kind: 'group', position, logical, children };
  }

  private operatorProblem(
    rawOperator: unknown,
    type: PropertyType | undefined,
  ): string | undefined {
    if (resolveOperator(rawOperator)) return undefined;
    const allowed = type ? operatorsForType(type).map((o) => o.id) : [...OPERATOR_IDS];
    const allowedText = type
      ? `Operators for ${type} properties: ${allowed.join(', ')}.`
      : `Operators: ${allowed.join(', ')}.`;
    if (rawOperator === undefined || rawOperator === null) {
      return `"operator" is missing. ${allowedText}`;
    }
    if (typeof rawOperator !== 'string') {
      return `"operator" must be text, got ${describeKind(rawOperator)}. ${allowedText}`;
    }
    const normalized = normalizeOperator(rawOperator);
    const alias = OPERATOR_ALIASES.get(normalized);
    const suggestion = alias ? [alias] : closestMatches(normalized, allowed);
    return `unknown operator ${JSON.stringify(rawOperator)}.${formatSuggestions(suggestion)} ${allowedText}`;
  }

  condition(raw: Record<string, unknown>, position: string): ConditionNode | undefined {
    const before = this.issues.length;
    this.unknownKeys(raw, CONDITION_KEYS, position, 'condition');

    // property
    let property: PropertyInfo | undefined;
    const rawProperty = raw.property;
    if (typeof rawProperty !== 'string' || rawProperty.trim() === '') {
      this.report(
        position,
        rawProperty === undefined || rawProperty === null || rawProperty === ''
          ? '"property" is missing. Name a customer field, e.g. "email", "address.country", "metadata.plan", "created".'
          : `"property" must be a path like "metadata.plan", got ${describeKind(rawProperty)}.`,
      );
    } else {
      const resolved = resolveProperty(rawProperty);
      if (resolved.ok) property = resolved.info;
      else
        this.report(
          position,
          `property ${JSON.stringify(rawProperty)} is not valid: ${resolved.problem}`,
        );
    }

    // operator
    const operatorProblem = this.operatorProblem(raw.operator, property?.type);
    if (operatorProblem) this.report(position, operatorProblem);
    const operator = operatorProblem ? undefined : resolveOperator(raw.operator);

    // case_sensitive
    let caseSensitive = false;
    const rawCase = raw.case_sensitive;
    if (rawCase !== undefined && rawCase !== null) {
      if (typeof rawCase === 'boolean') caseSensitive = rawCase;
      else
        this.report(
          position,
          `"case_sensitive" must be true or false, got ${describeValue(rawCase)}.`,
        );
    }

    // values: a list (checked against the operator and type below)
    let rawValues: unknown[] = [];
    if (raw.values !== undefined && raw.values !== null) {
      if (Array.isArray(raw.values)) {
        rawValues = raw.values;
      } else {
        this.report(
          position,
          `"values" must be a list, got ${describeKind(raw.values)}. Wrap it in brackets: "values": [${describeValue(raw.values)}].`,
        );
        return undefined;
      }
    }

    if (!property || !operator) return undefined;
    if (!this.fits(operator, property, position)) return undefined;
    if (!this.arity(operator, property.type, rawValues.length, position)) return undefined;

    const operands = this.operands(operator, property, rawValues, caseSensitive, position);
    if (!operands || this.issues.length > before) return undefined;
    return {
      kind: 'condition',
      position,
      property,
      operator: operator.id,
      operands,
      caseSensitive,
    };
  }

  private fits(operator: OperatorInfo, property: PropertyInfo, position: string): boolean {
    const { type, path } = property;
    if (!operator.types.includes(type)) {
      const allowed = operatorsForType(type).map((o) => o.id);
      const hints: string[] = [];
      if (
        type === 'number' &&
        ['is_before', 'is_after', 'is_on_or_before', 'is_on_or_after'].includes(operator.id)
      ) {
        hints.push(
          'is_before/is_after only apply to timestamps (created, discount.start, discount.end); for numbers use less_than/greater_than.',
        );
      }
      if (type === 'boolean' && operator.id !== 'is_true' && operator.id !== 'is_false') {
        hints.push('For yes/no fields use is_true, is_false, or is with true/false.');
      }
      if (type === 'timestamp' && ['contains', 'starts_with', 'ends_with'].includes(operator.id)) {
        hints.push('Dates are compared with is_before, is_after, is_between, ...');
      }
      if (type === 'object') {
        hints.push(`To test a field inside it, name the field, e.g. "${path}.<field>".`);
      }
      this.report(
        position,
        `operator "${operator.id}" does not apply to ${type} property "${path}". Operators for ${type} properties: ${allowed.join(', ')}.${hints.length ? ` ${hints.join(' ')}` : ''}`,
      );
      return false;
    }
    if (
      type === 'array' &&
      property.itemType !== 'string' &&
      (operator.id === 'contains' || operator.id === 'does_not_contain')
    ) {
      this.report(
        position,
        `operator "${operator.id}" needs a list of text, but "${path}" is a list of objects. Use is_empty, is_not_empty, exists or is_null on it.`,
      );
      return false;
    }
    return true;
  }

  private arity(
    operator: OperatorInfo,
    type: PropertyType,
    count: number,
    position: string,
  ): boolean {
    const example = VALUE_EXAMPLES[type];
    const got = `got ${plural(count, 'value')}`;
    switch (operator.values) {
      case 'none':
        if (count === 0) return true;
        this.report(
          position,
          `operator "${operator.id}" takes no values, ${got}. Remove "values" (or leave it empty).`,
        );
        return false;
      case 'one':
        if (count === 1) return true;
        this.report(
          position,
          `operator "${operator.id}" needs exactly 1 value, ${got}. Example: "values": ${example.one}.${count > 1 && operatorsForType(type).some((o) => o.id === 'is_one_of') && operator.id === 'is' ? ' To match any of several values use is_one_of.' : ''}`,
        );
        return false;
      case 'two':
        if (count === 2) return true;
        this.report(
          position,
          `operator "${operator.id}" needs exactly 2 values [low, high] (both included), ${got}. Example: "values": ${example.two}.`,
        );
        return false;
      case 'many':
        if (count >= 1) return true;
        this.report(
          position,
          `operator "${operator.id}" needs at least 1 value, ${got}. Example: "values": ${example.many}.`,
        );
        return false;
    }
  }

  private operands(
    operator: OperatorInfo,
    property: PropertyInfo,
    rawValues: readonly unknown[],
    caseSensitive: boolean,
    position: string,
  ): Operand[] | undefined {
    const out: Operand[] = [];
    let ok = true;
    const fail = (index: number, text: string): void => {
      ok = false;
      this.report(position, `values[${index}] ${text}`);
    };
    const { type, path } = property;
    rawValues.forEach((raw, index) => {
      const shown = describeValue(raw);
      switch (type) {
        case 'string':
        case 'array': {
          let text: string | undefined;
          if (typeof raw === 'string') text = raw;
          else if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean')
            text = String(raw);
          if (text === undefined) {
            fail(
              index,
              `must be text for ${type === 'array' ? 'list' : 'text'} property "${path}", got ${raw === null ? 'null' : shown}.${raw === null ? ' To match missing values use is_null / is_empty.' : ''}`,
            );
            return;
          }
          if (text === '') {
            fail(
              index,
              `is empty text. To match empty or missing values use is_empty (or is_not_empty for the opposite).`,
            );
            return;
          }
          const enumValues = property.enumValues;
          if (enumValues && ['is', 'is_not', 'is_one_of', 'is_not_one_of'].includes(operator.id)) {
            const fold = caseSensitive ? (s: string) => s : (s: string) => s.toLowerCase();
            if (!enumValues.some((e) => fold(e) === fold(text))) {
              fail(
                index,
                `${shown} is not a possible value of "${path}".${didYouMean(text, enumValues)} Possible values: ${enumValues.join(', ')}.`,
              );
              return;
            }
          }
          out.push(text);
          return;
        }
        case 'number': {
          let n: number | undefined;
          if (typeof raw === 'number' && Number.isFinite(raw)) n = raw;
          else if (typeof raw === 'string' && NUMERIC_TEXT.test(raw)) n = Number(raw);
          if (n === undefined) {
            fail(
              index,
              `must be a number for number property "${path}", got ${shown}.${raw === null ? ' To match missing values use is_null.' : ''}`,
            );
            return;
          }
          out.push(n);
          return;
        }
        case 'boolean': {
          let b: boolean | undefined;
          if (typeof raw === 'boolean') b = raw;
          else if (typeof raw === 'string' && /^\s*(true|false)\s*$/i.test(raw))
            b = raw.trim().toLowerCase() === 'true';
          if (b === undefined) {
            fail(
              index,
              `must be true or false for boolean property "${path}", got ${shown}. Or use is_true / is_false without values.`,
            );
            return;
          }
          out.push(b);
          return;
        }
        case 'timestamp': {
          const parsed = parseTimeValue(raw, this.context.now);
          if (!parsed.ok) {
            fail(
              index,
              `is not a valid date for "${path}": ${parsed.problem}. ${TIME_VALUE_HELP}.`,
            );
            return;
          }
          if (parsed.relative) this.relativeDates = true;
          out.push(parsed.range);
          return;
        }
        default:
          fail(index, `cannot be compared with ${type} property "${path}".`);
      }
    });
    if (!ok) return undefined;

    if (operator.values === 'two') {
      const [low, high] = out;
      const lowStart = type === 'timestamp' ? (low as TimeRange).start : (low as number);
      const highEnd = type === 'timestamp' ? (high as TimeRange).end : (high as number);
      if (lowStart > highEnd) {
        this.report(
          position,
          `operator "${operator.id}" needs values in the order [low, high], got [${describeValue(rawValues[0])}, ${describeValue(rawValues[1])}] where low is after high. Swap them.`,
        );
        return undefined;
      }
    }
    return out;
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

/**
 * Parses and validates a raw filter config. Returns the simplified tree (undefined when the
 * filter matches everything) or throws FilterConfigError with every problem found.
 */
export interface ParsedFilter {
  root: FilterNode | undefined;
  /** A date value is relative ("30 days ago"), resolved against `context.now`. */
  relativeDates: boolean;
}

export function parseFilter(spec: unknown, context: CompileContext): ParsedFilter {
  if (typeof context?.pipeline !== 'string')
    throw new TypeError('compileFilter: context.pipeline must be a string');
  if (!(context.now instanceof Date) || Number.isNaN(context.now.getTime())) {
    throw new TypeError('compileFilter: context.now must be a valid Date');
  }
  const validator = new Validator(context);
  let raw = spec;
  if (typeof raw === 'string') {
    if (raw.trim() === '') return { root: undefined, relativeDates: false };
    try {
      raw = JSON.parse(raw) as unknown;
    } catch (error) {
      validator.report('filter', `is not valid JSON (${(error as Error).message}). ${SHAPE_HINT}.`);
      throw new FilterConfigError(context.pipeline, validator.issues);
    }
  }
  if (raw === undefined || raw === null) return { root: undefined, relativeDates: false };
  let root: FilterNode | undefined;
  if (Array.isArray(raw)) {
    validator.report(
      'filter',
      `must be an object, got a list. Wrap the conditions: {"logical": "all", "conditions": [...]}.`,
    );
  } else if (!isRecord(raw)) {
    validator.report('filter', `must be an object, got ${describeKind(raw)}. ${SHAPE_HINT}.`);
  } else {
    // The root is a group even when it has no keys ({} matches everything); a bare condition
    // is accepted as a one-condition filter.
    const conditionish = 'property' in raw || 'operator' in raw || 'values' in raw;
    root = conditionish ? validator.node(raw, 'filter') : validator.group(raw, 'filter');
  }
  if (validator.issues.length > 0) throw new FilterConfigError(context.pipeline, validator.issues);
  return { root: root ? simplify(root) : undefined, relativeDates: validator.relativeDates };
}

export type Matcher = (customer: Record<string, unknown>) => boolean;

/** Compiles a validated tree to one closure; nothing is parsed per call. */
export function toMatcher(node: FilterNode): Matcher {
  if (node.kind === 'condition') {
    const get = makeGetter(node.property.segments);
    const predicate = buildPredicate({
      type: node.property.type,
      operator: node.operator,
      operands: node.operands,
      caseSensitive: node.caseSensitive,
      expandable: node.property.expandable ?? false,
    });
    return (customer) => predicate(get(customer));
  }
  const parts = node.children.map(toMatcher);
  const [a, b] = parts;
  if (parts.length === 2 && a && b) {
    return node.logical === 'all' ? (c) => a(c) && b(c) : (c) => a(c) || b(c);
  }
  if (node.logical === 'all') {
    return (c) => {
      for (const part of parts) if (!part(c)) return false;
      return true;
    };
  }
  return (c) => {
    for (const part of parts) if (part(c)) return true;
    return false;
  };
}
