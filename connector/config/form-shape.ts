/**
 * Airbyte's form writes filters and Customer Model rows in a shape it can draw (flat condition
 * rows with text values, model rows with `element_type` / `nested_json`); configs written before
 * it, the n8n node and API users write the JSON shape (`filter` trees, rows with `items`,
 * `values`, `properties`). This module turns the form's shape into the JSON shape, so everything
 * after it (filter compiler, model parser, fingerprint) sees one shape:
 *
 * | form                                              | JSON shape                                   |
 * | ------------------------------------------------- | -------------------------------------------- |
 * | `filter_match` + `filter_conditions[]`            | `filter: {"logical", "conditions": [...]}`   |
 * |   row `operator: "is not"` (the label)            |   `"operator": "is_not"` (the id)            |
 * |   row `values: ["100"]` on a number property      |   `"values": [100]` (true/false likewise)    |
 * |   row `case_sensitive: false`                     |   left out (true is kept)                    |
 * | `filter_json` (text)                              | `filter`: the parsed JSON, as it is          |
 * | `transformation: {"type": "none"}`                | no `transformation`                          |
 * | row `element_type: "string"` (array / map)        | `items` / `values`: `{"type": "string"}`     |
 * | row `nested_json` (array / map / object)          | `items` / `values` / `properties`: its JSON  |
 *
 * Fingerprints (which tie saved states to a pipeline's definition) are taken over the JSON
 * shape, so a pipeline moved from one shape to the other keeps its saved state when the two say
 * the same thing. A config in the JSON shape only is fingerprinted exactly as written, as it
 * always was. A config using any of the form's fields is fingerprinted in the README's spelling,
 * whatever order the form writes keys in: conditions as property, operator, values,
 * case_sensitive; model rows as name, type, `nullable: false`, description, precision, scale,
 * nested type, and a default `nullable: true` last (where validation puts it when a row leaves
 * it out); mappings as to, from; code as type, source, timeout_ms, memory_limit_mb. Values the
 * form gives as text stay text unless they are exactly a number's or true/false's JSON for a
 * number or yes/no property: the filter reads them the same way either way.
 *
 * One place written in both shapes is refused, naming both fields and what to keep.
 */
import { ConfigError } from '../errors';
import { FilterConfigError, OPERATORS, resolvePropertyType, type PropertyType } from '../filter';
import { didYouMean } from '../model';
import { CONNECTION_SPECIFICATION } from '../../spec/connection-specification';
import type { RawCondition, RawModelRow, RawPipeline, RawTransformation } from './raw-config';

/** Where a pipeline's filter came from, for error messages. */
export type FilterSource = 'none' | 'filter' | 'filter_conditions' | 'filter_json';

export interface CanonicalFilter {
  /** The filter in the JSON shape; absent, null or blank text when the pipeline has none. */
  filter: unknown;
  source: FilterSource;
}

const PIPELINE_KEYS = Object.keys(CONNECTION_SPECIFICATION.properties.pipelines.items.properties);
const CONDITION_KEYS = Object.keys(
  CONNECTION_SPECIFICATION.properties.pipelines.items.properties.filter_conditions.items.properties,
);
const OPERATOR_ID_BY_LABEL = new Map<string, string>(OPERATORS.map((o) => [o.label, o.id]));

const isBlank = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/**
 * Unknown pipeline keys are refused: a misspelt `filtr` would otherwise import every customer.
 * (The spec keeps `additionalProperties: true` for Airbyte, where a retired field must not make
 * saved configs invalid; a retired field then belongs in PIPELINE_KEYS' spec entry or here.)
 */
export function unknownPipelineKeys(pipeline: RawPipeline, index: number): string[] {
  return Object.keys(pipeline)
    .filter((key) => !PIPELINE_KEYS.includes(key))
    .map(
      (key) =>
        `\`pipelines[${index}].${key}\` is not a known field${didYouMean(key, PIPELINE_KEYS) || ' (check its spelling)'}`,
    );
}

/** The pipeline's filter in the JSON shape, from whichever of its three fields holds it. */
export function canonicalFilter(pipeline: RawPipeline, where: string): CanonicalFilter {
  const rows = pipeline.filter_conditions ?? [];
  const legacy = !isBlank(pipeline.filter);
  const json = !isBlank(pipeline.filter_json);
  const given = [
    ...(legacy ? ['filter'] : []),
    ...(rows.length > 0 ? ['filter_conditions'] : []),
    ...(json ? ['filter_json'] : []),
  ];
  if (given.length > 1) throw new ConfigError(filterTwice(where, given));
  if (legacy) return { filter: pipeline.filter, source: 'filter' };
  if (json)
    return { filter: parseFilterJson(pipeline.filter_json ?? '', where), source: 'filter_json' };
  if (rows.length > 0) {
    return {
      filter: {
        logical: pipeline.filter_match,
        conditions: rows.map((row, index) =>
          canonicalCondition(row, `${where}.filter_conditions[${index}]`),
        ),
      },
      source: 'filter_conditions',
    };
  }
  // Blank or absent: no filter (kept as given, so the fingerprint stays what it always was).
  return { filter: pipeline.filter, source: 'none' };
}

function filterTwice(where: string, given: string[]): string {
  const names = given.map((name) => `\`${name}\``).join(' and ');
  const advice = given.includes('filter')
    ? "Keep the form's fields and delete `filter` (the JSON shape of earlier versions; Airbyte's form hides it, so delete it through the API or in the config file), or keep `filter` and clear the form's filter conditions and \"Filter as JSON\"."
    : 'Keep `filter_conditions` for a flat list of conditions, or `filter_json` for nested groups (it can hold the conditions too), and clear the other.';
  return `${where} sets its filter twice, in ${names}: the connector cannot tell which one you mean. ${advice}`;
}

function parseFilterJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(
      `${where}.filter_json is not valid JSON (${(error as Error).message}): write the filter as {"logical": "all", "conditions": [{"property": "email", "operator": "is_not_empty"}]}.`,
    );
  }
}

function canonicalCondition(row: RawCondition, where: string): Record<string, unknown> {
  for (const key of Object.keys(row)) {
    if (!CONDITION_KEYS.includes(key)) {
      throw new ConfigError(
        `\`${where}.${key}\` is not a known field${didYouMean(key, CONDITION_KEYS)}; a condition has ${CONDITION_KEYS.join(', ')}.`,
      );
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

/**
 * Filter errors name positions in the JSON shape (`filter.conditions[2]`); for a filter from the
 * form they are renamed to the field the user edited (`filter_conditions[2]`, `filter_json`).
 */
export function renameFilterPositions(
  error: unknown,
  pipelineName: string,
  source: FilterSource,
): unknown {
  if (!(error instanceof FilterConfigError) || source === 'filter' || source === 'none') {
    return error;
  }
  const prefix = `pipeline ${JSON.stringify(pipelineName)} `;
  const rename = (position: string): string =>
    source === 'filter_json'
      ? position.replace(/^filter/, 'filter_json')
      : position
          .replace(/^filter\.conditions\[/, 'filter_conditions[')
          .replace(/^filter$/, 'filter_match');
  const issues = error.issues.map((issue) => {
    const position = rename(issue.position);
    return {
      position,
      message: issue.message.replace(`${prefix}${issue.position}`, `${prefix}${position}`),
    };
  });
  return new FilterConfigError(pipelineName, issues);
}

const FORM_PIPELINE_KEYS = ['filter_match', 'filter_conditions', 'filter_json'];
const FORM_ROW_KEYS = ['element_type', 'nested_json'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether the config (as given, before defaults are filled in) uses any of the form's fields;
 * such a config is fingerprinted in the README's spelling (see above).
 */
export function writtenByForm(raw: unknown): boolean {
  if (!isRecord(raw)) return false;
  const pipelines = Array.isArray(raw.pipelines) ? raw.pipelines.filter(isRecord) : [];
  const rows = Array.isArray(raw.customer_model) ? raw.customer_model.filter(isRecord) : [];
  return (
    pipelines.some(
      (pipeline) =>
        FORM_PIPELINE_KEYS.some((key) => key in pipeline) ||
        (isRecord(pipeline.transformation) && pipeline.transformation.type === 'none'),
    ) || rows.some((row) => FORM_ROW_KEYS.some((key) => key in row))
  );
}

/**
 * The transformation in the JSON shape: `{"type": "none"}` is the form's way of saying there is
 * none; with `inReadmeOrder`, keys are put in the README's order for the fingerprint.
 */
export function canonicalTransformation(
  transformation: RawTransformation | undefined,
  inReadmeOrder: boolean,
): RawTransformation | undefined {
  if (!transformation || transformation.type === 'none') return undefined;
  if (!inReadmeOrder) return transformation;
  if (transformation.type === 'mapping') {
    const { type, mappings, ...rest } = transformation;
    return {
      type,
      mappings: mappings.map(({ to, from, ...more }) => ({ to, from, ...more })),
      ...rest,
    };
  }
  const { type, source, timeout_ms, memory_limit_mb, ...rest } = transformation;
  return { type, source, timeout_ms, memory_limit_mb, ...rest };
}

export interface CanonicalModel {
  /** The rows in the JSON shape; undefined when there is no model (absent or empty). */
  rows: unknown[] | undefined;
  /** Rows written with form fields, by index: which field held the nested type. */
  translated: ReadonlyMap<number, 'element_type' | 'nested_json' | 'none'>;
}

const NESTED_KEY = { array: 'items', map: 'values', object: 'properties' } as const;

/**
 * The Customer Model in the JSON shape. Rows written with form fields are converted; with
 * `inReadmeOrder` every row is put in the README's key order, otherwise the other rows are kept
 * exactly as written.
 */
export function canonicalModel(
  rows: readonly RawModelRow[] | undefined,
  inReadmeOrder: boolean,
): CanonicalModel {
  const translated = new Map<number, 'element_type' | 'nested_json' | 'none'>();
  if (!rows || rows.length === 0) return { rows: undefined, translated };
  const canonical = rows.map((row, index) => {
    // An array or map without its element type gets the message that names both shapes' fields.
    const elementless =
      (row.type === 'array' && !('items' in row)) || (row.type === 'map' && !('values' in row));
    if (!elementless && !FORM_ROW_KEYS.some((key) => key in row)) {
      return inReadmeOrder ? readmeOrder(row) : row;
    }
    const { row: converted, from } = canonicalRow(row, `customer_model[${index}]`);
    translated.set(index, from);
    return readmeOrder(converted);
  });
  return { rows: canonical, translated };
}

/** name, type, `nullable: false`, description, precision, scale, nested type, ..., `nullable: true`. */
function readmeOrder(row: Record<string, unknown>): Record<string, unknown> {
  const {
    name,
    type,
    nullable,
    description,
    precision,
    scale,
    items,
    values,
    properties,
    ...rest
  } = row;
  const ordered: Record<string, unknown> = {
    name,
    type,
    ...(nullable === false ? { nullable } : {}),
    ...(isBlank(description) ? {} : { description }),
    precision,
    scale,
    items,
    values,
    properties,
    ...rest,
    ...(nullable === false ? {} : { nullable }),
  };
  // A key with no value is no key: the model parser refuses keys that do not fit the type.
  return Object.fromEntries(Object.entries(ordered).filter(([, value]) => value !== undefined));
}

function canonicalRow(
  row: RawModelRow,
  where: string,
): { row: Record<string, unknown>; from: 'element_type' | 'nested_json' | 'none' } {
  const named = `${where} ("${row.name}")`;
  const elementType = row.element_type;
  const nestedText = isBlank(row.nested_json) ? undefined : row.nested_json;
  const legacyKeys = Object.values(NESTED_KEY).filter((key) => key in row);
  const formKeys = [
    ...(elementType !== undefined ? ['element_type'] : []),
    ...(nestedText !== undefined ? ['nested_json'] : []),
  ];
  if (legacyKeys.length > 0 && formKeys.length > 0) {
    throw new ConfigError(
      `${named} gives its nested type twice, in ${[...legacyKeys, ...formKeys].map((k) => `\`${k}\``).join(' and ')}: keep the form's \`${formKeys[0]}\` and delete \`${legacyKeys[0]}\` (the JSON shape of earlier versions), or keep \`${legacyKeys[0]}\` and clear \`${formKeys.join('` and `')}\`.`,
    );
  }
  if (formKeys.length > 1) {
    throw new ConfigError(
      `${named} sets both \`element_type\` and \`nested_json\`: keep \`element_type\` for a plain element type, or \`nested_json\` for a nullable or nested one, and clear the other.`,
    );
  }
  const nestedKey = Object.hasOwn(NESTED_KEY, row.type)
    ? NESTED_KEY[row.type as keyof typeof NESTED_KEY]
    : undefined;
  if (formKeys.length > 0 && !nestedKey) {
    throw new ConfigError(
      `${named}.${formKeys[0]}: only an array, a map or an object has a nested type, not a ${row.type}: clear it or change the type.`,
    );
  }
  if (elementType !== undefined && nestedKey === 'properties') {
    throw new ConfigError(
      `${named}.element_type: an object has properties, not an element type: give them in nested_json as [{"name": "city", "type": "string"}], or clear element_type.`,
    );
  }

  const {
    name,
    type,
    nullable,
    description,
    precision,
    scale,
    element_type: _elementType,
    nested_json: _nestedJson,
    ...rest
  } = row;
  const decimalElement = elementType === 'decimal';
  let nested: unknown;
  let from: 'element_type' | 'nested_json' | 'none' = 'none';
  if (nestedText !== undefined) {
    nested = parseNestedJson(nestedText, `${named}.nested_json`, nestedKey === 'properties');
    from = 'nested_json';
  } else if (elementType !== undefined) {
    nested = {
      type: elementType,
      ...(decimalElement && precision !== undefined ? { precision } : {}),
      ...(decimalElement && scale !== undefined ? { scale } : {}),
    };
    from = 'element_type';
  } else if (nestedKey === 'items' || nestedKey === 'values') {
    throw new ConfigError(
      `${named}: ${type === 'array' ? 'an array' : 'a map'} needs the type of its ${nestedKey === 'items' ? 'elements' : 'values'}: set element_type (e.g. string), or nested_json for a nullable or nested one (in the JSON shape of earlier versions: "${nestedKey}": {"type": "string"}).`,
    );
  }
  return {
    row: {
      ...rest,
      name,
      type,
      nullable,
      description,
      ...(decimalElement ? {} : { precision, scale }),
      ...(nestedKey && nested !== undefined ? { [nestedKey]: nested } : {}),
    },
    from,
  };
}

function parseNestedJson(text: string, where: string, isPropertyList: boolean): unknown {
  const example = isPropertyList
    ? '[{"name": "city", "type": "string"}]'
    : '{"type": "string", "nullable": true}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(
      `${where} is not valid JSON (${(error as Error).message}): write it like ${example}.`,
    );
  }
  const fits = isPropertyList
    ? Array.isArray(parsed)
    : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  if (!fits) {
    throw new ConfigError(
      `${where} must be ${isPropertyList ? "a list of the object's properties" : 'one type (a JSON object)'}, like ${example}.`,
    );
  }
  return parsed;
}

/**
 * Model errors name positions in the JSON shape (`customer_model[3].items.precision`); for a row
 * from the form they are renamed to the field the user edited.
 */
export function renameModelPositions(error: unknown, model: CanonicalModel): unknown {
  if (!(error instanceof ConfigError) || model.translated.size === 0) return error;
  const renamed = error.message.replace(
    /^customer_model\[(\d+)\]\.(items|values|properties)(\.precision|\.scale)?/,
    (whole, index: string, key: string, decimalKey: string | undefined) => {
      const from = model.translated.get(Number(index));
      if (from === 'element_type' && decimalKey) return `customer_model[${index}]${decimalKey}`;
      if (from === 'nested_json')
        return `customer_model[${index}].nested_json (as ${key})${decimalKey ?? ''}`;
      return whole;
    },
  );
  return renamed === error.message ? error : new ConfigError(renamed);
}
