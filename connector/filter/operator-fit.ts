/**
 * Whether a known operator fits a condition: the property's type (and, for lists, the type of
 * their items) and the number of values given. Each check answers with the problem to report,
 * naming what would fit instead, or undefined.
 */
import { type OperatorInfo, operatorsForType } from './operators.js';
import type { PropertyInfo, PropertyType } from './properties.js';

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
): string | undefined {
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
    return `operator "${operator.id}" does not apply to ${type} property "${path}". Operators for ${type} properties: ${allowed.join(', ')}.${hints.length ? ` ${hints.join(' ')}` : ''}`;
  }
  if (
    type === 'array' &&
    property.itemType !== 'string' &&
    (operator.id === 'contains' || operator.id === 'does_not_contain')
  ) {
    return `operator "${operator.id}" needs a list of text, but "${path}" is a list of objects. Use is_empty, is_not_empty, exists or is_null on it.`;
  }
  return undefined;
}

/** Why `count` values do not suit `operator`, with an example for `type`, or undefined. */
export function valueCountMismatch(
  operator: OperatorInfo,
  type: PropertyType,
  count: number,
): string | undefined {
  const example = VALUE_EXAMPLES[type];
  const got = `got ${plural(count, 'value')}`;
  switch (operator.values) {
    case 'none':
      if (count === 0) return undefined;
      return `operator "${operator.id}" takes no values, ${got}. Remove "values" (or leave it empty).`;
    case 'one':
      if (count === 1) return undefined;
      return `operator "${operator.id}" needs exactly 1 value, ${got}. Example: "values": ${example.one}.${count > 1 && operatorsForType(type).some((o) => o.id === 'is_one_of') && operator.id === 'is' ? ' To match any of several values use is_one_of.' : ''}`;
    case 'two':
      if (count === 2) return undefined;
      return `operator "${operator.id}" needs exactly 2 values [low, high] (both included), ${got}. Example: "values": ${example.two}.`;
    case 'many':
      if (count >= 1) return undefined;
      return `operator "${operator.id}" needs at least 1 value, ${got}. Example: "values": ${example.many}.`;
  }
}
