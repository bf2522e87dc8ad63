import { resolveOperator } from '../../connector';

interface WrittenCondition {
  property?: unknown;
  operator?: unknown;
  values?: unknown;
  logical?: unknown;
  conditions?: unknown;
}

/**
 * A filter as one line for the pipelines page: `metadata.plan is pro and address.country is one
 * of FR, DE`. The config was validated by the engine, so this only has to read it.
 */
export function summarizeFilter(filter: unknown): string {
  const text = describeGroup(filter, true);
  return text || 'every customer';
}

function describeGroup(value: unknown, top: boolean): string {
  const group = (value ?? {}) as WrittenCondition;
  const conditions = Array.isArray(group.conditions) ? group.conditions : [];
  const joiner = group.logical === 'any' ? ' or ' : ' and ';
  const parts = conditions
    .map((condition: unknown) => {
      const item = (condition ?? {}) as WrittenCondition;
      if (Array.isArray(item.conditions)) {
        const inner = describeGroup(item, false);
        return inner ? `(${inner})` : '';
      }
      return describeCondition(item);
    })
    .filter(Boolean);
  if (!top && parts.length === 1) return parts[0] as string;
  return parts.join(joiner);
}

function describeCondition(condition: WrittenCondition): string {
  const operator = String(condition.operator ?? '');
  // Spelled as loosely as the engine accepts it ("Is-Not", "IS ONE OF").
  const info = resolveOperator(operator);
  const label = info?.label ?? operator.replace(/_/g, ' ');
  const values = Array.isArray(condition.values) ? condition.values.map(String) : [];
  const shown =
    info?.values === 'none'
      ? ''
      : info?.values === 'two'
        ? ` ${values[0] ?? '?'} and ${values[1] ?? '?'}`
        : ` ${values.join(', ')}`;
  return `${String(condition.property ?? '?')} ${label}${shown}`;
}
