/**
 * A pipeline's filter in the JSON shape, from whichever field holds it: the form's condition rows
 * (`filter_match` + `filter_conditions`), the form's `filter_json`, or `filter` (the JSON shape of
 * earlier versions, hidden in Airbyte's form). And back: where a problem found in the JSON shape
 * is written in the config, so every shell can point at the field the user edited.
 */
import { ConfigError } from '../errors';
import { OPERATORS, resolvePropertyType, type PropertyType } from '../filter';
import { didYouMean } from '../model';
import { configPathText, field, words, type ConfigPath, type NameLookup } from '../words';
import type { RawCondition, RawPipeline } from './raw-config';
import { CONNECTION_SPECIFICATION } from './specification';

/** Where a pipeline's filter came from. */
export type FilterSource = 'none' | 'filter' | 'filter_conditions' | 'filter_json';

export interface CanonicalFilter {
  /** The filter in the JSON shape; absent, null or blank text when the pipeline has none. */
  filter: unknown;
  source: FilterSource;
  /** Set when the form's fields won over a legacy `filter` beside them: what was ignored. */
  warning?: string;
}

const CONDITION_KEYS = Object.keys(
  CONNECTION_SPECIFICATION.properties.pipelines.items.properties.filter_conditions.items.properties,
);
const OPERATOR_ID_BY_LABEL = new Map<string, string>(OPERATORS.map((o) => [o.label, o.id]));

export const isBlank = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/**
 * The pipeline at `at` (`["pipelines", 0]`) as one filter. The form's rows and its JSON field
 * both set is refused: both are in the form, where the user can clear one. A legacy `filter`
 * beside either is ignored with a warning: Airbyte's form hides it, so a user of the form could
 * not clear it, while what they see in the form is what they mean.
 */
export function canonicalFilter(
  pipeline: RawPipeline,
  at: ConfigPath,
  names: NameLookup,
): CanonicalFilter {
  const rows = pipeline.filter_conditions ?? [];
  const legacy = !isBlank(pipeline.filter);
  const json = !isBlank(pipeline.filter_json);
  if (rows.length > 0 && json) {
    throw new ConfigError({
      at,
      problem: words`its filter is set twice, in ${field([...at, 'filter_conditions'])} and ${field([...at, 'filter_json'])}: the connector cannot tell which one you mean`,
      fix: words`keep ${field([...at, 'filter_conditions'])} for a flat list of conditions, or ${field([...at, 'filter_json'])} for nested groups (it can hold the conditions too), and clear the other`,
    });
  }
  const warning =
    legacy && (rows.length > 0 || json)
      ? `${configPathText(at, names)}: \`filter\` (the JSON shape of earlier versions, hidden in Airbyte's form) is ignored, because ${json ? '`filter_json`' : '`filter_conditions`'} sets the filter too. Delete \`filter\` through Airbyte's API or in the config file to stop this warning.`
      : undefined;
  const withWarning = (canonical: CanonicalFilter): CanonicalFilter =>
    warning ? { ...canonical, warning } : canonical;
  if (json) {
    return withWarning({
      filter: parseFilterJson(pipeline.filter_json ?? '', [...at, 'filter_json']),
      source: 'filter_json',
    });
  }
  if (rows.length > 0) {
    return withWarning({
      filter: {
        logical: pipeline.filter_match,
        conditions: rows.map((row, index) =>
          canonicalCondition(row, [...at, 'filter_conditions', index]),
        ),
      },
      source: 'filter_conditions',
    });
  }
  if (legacy) return { filter: pipeline.filter, source: 'filter' };
  // Blank or absent: no filter (kept as given, so the fingerprint stays what it always was).
  return { filter: pipeline.filter, source: 'none' };
}

/**
 * Where a problem the filter compiler placed in the JSON shape (`[...pipeline, "filter",
 * "conditions", 2, "operator"]`) is written in the config: in the form's rows
 * (`filter_conditions[2].operator`, `filter_match` for the group's logic), inside `filter_json`,
 * or in `filter` itself.
 */
export function filterFieldPath(
  source: FilterSource,
  pipeline: ConfigPath,
): (at: ConfigPath) => ConfigPath {
  const root = [...pipeline, 'filter'];
  return (at) => {
    const within = at.slice(0, root.length).every((segment, i) => segment === root[i]);
    if (!within) return at;
    const rest = at.slice(root.length);
    if (source === 'filter_json') return [...pipeline, 'filter_json', ...rest];
    if (source !== 'filter_conditions') return at;
    const [first, index, ...inner] = rest;
    if (first === 'conditions' && typeof index === 'number') {
      return [...pipeline, 'filter_conditions', index, ...inner];
    }
    return first === 'logical' ? [...pipeline, 'filter_match'] : [...pipeline, 'filter_conditions'];
  };
}

function parseFilterJson(text: string, at: ConfigPath): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError({
      at,
      problem: `not valid JSON (${(error as Error).message})`,
      fix: 'write the filter as {"logical": "all", "conditions": [{"property": "email", "operator": "is_not_empty"}]}',
    });
  }
}

function canonicalCondition(row: RawCondition, at: ConfigPath): Record<string, unknown> {
  for (const key of Object.keys(row)) {
    if (!CONDITION_KEYS.includes(key)) {
      throw new ConfigError({
        at: [...at, key],
        problem: `not a known field${didYouMean(key, CONDITION_KEYS)}`,
        fix: `a condition has ${CONDITION_KEYS.join(', ')}`,
      });
    }
  }
  const type = propertyType(row.property);
  const values = row.values ?? [];
  return {
    property: row.property,
    operator: OPERATOR_ID_BY_LABEL.get(row.operator) ?? row.operator,
    ...(values.length > 0 ? { values: values.map((value) => typedValue(value, type)) } : {}),
    ...(row.case_sensitive ? { case_sensitive: true } : {}),
  };
}

/** undefined for a path the filter compiler will refuse anyway (with a better message). */
function propertyType(path: string): PropertyType | undefined {
  try {
    return resolvePropertyType(path);
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

/** Text that is exactly a number's or a boolean's JSON spelling, for such properties. */
function typedValue(text: string, type: PropertyType | undefined): unknown {
  if (type === 'number' && text !== '' && String(Number(text)) === text) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}
