/**
 * Whether a known operator fits a condition: the property's type (and, for lists, the type of
 * their items) and the number of values given. Each check answers with the problem to report,
 * naming what would fit instead, or undefined.
 */
import { list, operator as op, propertyType, words, type Words } from '../words.js';
import { operatorsFor } from './operator-names.js';
import { type OperatorInfo, operatorsForType } from './operators.js';
import type { PropertyInfo, PropertyType } from './properties.js';

/** A problem with the condition and, after it, how to fix it. */
export interface Misfit {
  problem: Words;
  fix: Words;
}

/** Operators as terms, unquoted, in a sentence: `is_empty, is_not_empty, exists or is_null`. */
function operatorList(ids: readonly string[], last = ' or '): Words {
  const terms = ids.map((id) => op(id, false));
  const final = terms.pop();
  if (!final) return [];
  return terms.length === 0 ? [final] : [...list(terms), last, final];
}

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

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Why `operator` cannot test `property`, or undefined when it can. */
export function propertyMismatch(
  operator: OperatorInfo,
  property: PropertyInfo,
): Misfit | undefined {
  const { type, path } = property;
  if (!operator.types.includes(type)) {
    const hints: Words[] = [];
    if (
      type === 'number' &&
      ['is_before', 'is_after', 'is_on_or_before', 'is_on_or_after'].includes(operator.id)
    ) {
      hints.push(
        words`${op('is_before', false)}/${op('is_after', false)} only apply to timestamps (created, discount.start, discount.end); for numbers use ${op('less_than', false)}/${op('greater_than', false)}.`,
      );
    }
    if (type === 'boolean' && operator.id !== 'is_true' && operator.id !== 'is_false') {
      hints.push(
        words`For yes/no fields use ${op('is_true', false)}, ${op('is_false', false)}, or ${op('is', false)} with true/false.`,
      );
    }
    if (type === 'timestamp' && ['contains', 'starts_with', 'ends_with'].includes(operator.id)) {
      hints.push(
        words`Dates are compared with ${list(['is_before', 'is_after', 'is_between'].map((id) => op(id, false)))}, ...`,
      );
    }
    if (type === 'object') {
      hints.push([`To test a field inside it, name the field, e.g. "${path}.<field>".`]);
    }
    return {
      problem: words`operator ${op(operator.id)} does not apply to ${propertyType(type)} property "${path}"`,
      fix: [...operatorsFor(type), ...hints.flatMap((hint) => [' ', ...hint])],
    };
  }
  if (
    type === 'array' &&
    property.itemType !== 'string' &&
    (operator.id === 'contains' || operator.id === 'does_not_contain')
  ) {
    return {
      problem: words`operator ${op(operator.id)} needs a list of text, but "${path}" is a list of objects`,
      fix: words`Use ${operatorList(['is_empty', 'is_not_empty', 'exists', 'is_null'])} on it`,
    };
  }
  return undefined;
}

/** Why `count` values do not suit `operator`, with an example for `type`, or undefined. */
export function valueCountMismatch(
  operator: OperatorInfo,
  type: PropertyType,
  count: number,
): Misfit | undefined {
  const example = VALUE_EXAMPLES[type];
  const got = `got ${plural(count, 'value')}`;
  const named = op(operator.id);
  switch (operator.values) {
    case 'none':
      if (count === 0) return undefined;
      return {
        problem: words`operator ${named} takes no values, ${got}`,
        fix: ['Remove "values" (or leave it empty)'],
      };
    case 'one': {
      if (count === 1) return undefined;
      const several =
        count > 1 &&
        operator.id === 'is' &&
        operatorsForType(type).some((o) => o.id === 'is_one_of');
      return {
        problem: words`operator ${named} needs exactly 1 value, ${got}`,
        fix: several
          ? words`Example: "values": ${example.one}. To match any of several values use ${op('is_one_of', false)}`
          : words`Example: "values": ${example.one}`,
      };
    }
    case 'two':
      if (count === 2) return undefined;
      return {
        problem: words`operator ${named} needs exactly 2 values [low, high] (both included), ${got}`,
        fix: [`Example: "values": ${example.two}`],
      };
    case 'many':
      if (count >= 1) return undefined;
      return {
        problem: words`operator ${named} needs at least 1 value, ${got}`,
        fix: [`Example: "values": ${example.many}`],
      };
  }
}
