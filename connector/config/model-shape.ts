/**
 * Customer Model rows in the JSON shape (`items`, `values`, `properties` for nested types), from
 * rows the form writes with `element_type` or `nested_json`. And back: where a problem the model
 * parser placed in the JSON shape is written in the config.
 */
import { ConfigError } from '../errors';
import { configPathText, field, words, type ConfigPath, type NameLookup } from '../words';
import { isBlank } from './filter-shape';
import type { RawModelRow } from './raw-config';

/** Which field of a form row held its nested type. */
type NestedFrom = 'element_type' | 'nested_json' | 'none';

export interface CanonicalModel {
  /** The rows in the JSON shape; undefined when there is no model (absent or empty). */
  rows: unknown[] | undefined;
  /** Rows written with form fields, by index: which field held the nested type. */
  translated: ReadonlyMap<number, NestedFrom>;
  /** Legacy keys ignored because the form's fields beside them won, each in a sentence. */
  warnings: string[];
}

const NESTED_KEY = { array: 'items', map: 'values', object: 'properties' } as const;
const FORM_ROW_KEYS = ['element_type', 'nested_json'] as const;
const MODEL: ConfigPath = ['customer_model'];

/**
 * The Customer Model in the JSON shape. Rows written with form fields are converted; with
 * `inReadmeOrder` every row is put in the README's key order, otherwise the other rows are kept
 * exactly as written.
 */
export function canonicalModel(
  rows: readonly RawModelRow[] | undefined,
  inReadmeOrder: boolean,
  names: NameLookup,
): CanonicalModel {
  const translated = new Map<number, NestedFrom>();
  const warnings: string[] = [];
  if (!rows || rows.length === 0) return { rows: undefined, translated, warnings };
  const canonical = rows.map((row, index) => {
    // An array or map without its element type gets the message that names both shapes' fields.
    const elementless =
      (row.type === 'array' && !('items' in row)) || (row.type === 'map' && !('values' in row));
    if (!elementless && !FORM_ROW_KEYS.some((key) => key in row)) {
      return inReadmeOrder ? readmeOrder(row) : row;
    }
    const converted = canonicalRow(row, [...MODEL, index], names);
    translated.set(index, converted.from);
    if (converted.warning) warnings.push(converted.warning);
    return readmeOrder(converted.row);
  });
  return { rows: canonical, translated, warnings };
}

/**
 * Where a problem placed in a row's JSON shape is written: a decimal element's precision and
 * scale are the row's own (`customer_model[3].precision`), any other part of an element type
 * given as `element_type` is that field, and a nested type given as `nested_json` is inside it
 * (`customer_model[3].nested_json.type`).
 */
export function modelFieldPath(model: CanonicalModel): (at: ConfigPath) => ConfigPath {
  return (at) => {
    const [root, index, key, ...rest] = at;
    if (root !== 'customer_model' || typeof index !== 'number') return at;
    const from = model.translated.get(index);
    if (!from || from === 'none' || !isNestedKey(key)) return at;
    if (from === 'nested_json') return [root, index, 'nested_json', ...rest];
    const [decimalKey] = rest;
    if (decimalKey === 'precision' || decimalKey === 'scale') return [root, index, decimalKey];
    return [root, index, 'element_type'];
  };
}

const isNestedKey = (key: unknown): boolean =>
  key === 'items' || key === 'values' || key === 'properties';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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
  at: ConfigPath,
  names: NameLookup,
): { row: Record<string, unknown>; from: NestedFrom; warning?: string } {
  const elementType = row.element_type;
  const nestedText = isBlank(row.nested_json) ? undefined : row.nested_json;
  const legacyKeys = Object.values(NESTED_KEY).filter((key) => key in row);
  const formKeys = [
    ...(elementType !== undefined ? ['element_type'] : []),
    ...(nestedText !== undefined ? ['nested_json'] : []),
  ];
  if (formKeys.length > 1) {
    throw new ConfigError({
      at,
      problem: words`both ${field([...at, 'element_type'])} and ${field([...at, 'nested_json'])} are set`,
      fix: words`keep ${field([...at, 'element_type'])} for a plain element type, or ${field([...at, 'nested_json'])} for a nullable or nested one, and clear the other`,
    });
  }
  // The form's field wins over a legacy key beside it: Airbyte's form hides those, so its user
  // could not clear one, and sees (and means) the form's.
  const warning =
    legacyKeys.length > 0 && formKeys.length > 0
      ? `${configPathText(at, names)}: \`${legacyKeys.join('` and `')}\` (the JSON shape of earlier versions, hidden in Airbyte's form) ${legacyKeys.length === 1 ? 'is' : 'are'} ignored, because \`${formKeys[0]}\` gives the nested type too. Delete ${legacyKeys.length === 1 ? 'it' : 'them'} through Airbyte's API or in the config file to stop this warning.`
      : undefined;
  const nestedKey = Object.hasOwn(NESTED_KEY, row.type)
    ? NESTED_KEY[row.type as keyof typeof NESTED_KEY]
    : undefined;
  const formKey = formKeys[0];
  if (formKey !== undefined && !nestedKey) {
    throw new ConfigError({
      at: [...at, formKey],
      problem: `only an array, a map or an object has a nested type, not a ${row.type}`,
      fix: 'clear it or change the type',
    });
  }
  if (elementType !== undefined && nestedKey === 'properties') {
    throw new ConfigError({
      at: [...at, 'element_type'],
      problem: 'an object has properties, not an element type',
      fix: words`give them in ${field([...at, 'nested_json'])} as [{"name": "city", "type": "string"}], or clear ${field([...at, 'element_type'])}`,
    });
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
    items: _items,
    values: _values,
    properties: _properties,
    ...rest
  } = row;
  const decimalElement = elementType === 'decimal';
  let nested: unknown;
  let from: NestedFrom = 'none';
  if (nestedText !== undefined) {
    nested = parseNestedJson(nestedText, [...at, 'nested_json'], nestedKey === 'properties');
    from = 'nested_json';
  } else if (elementType !== undefined) {
    nested = {
      type: elementType,
      ...(decimalElement && precision !== undefined ? { precision } : {}),
      ...(decimalElement && scale !== undefined ? { scale } : {}),
    };
    from = 'element_type';
  } else if (nestedKey === 'items' || nestedKey === 'values') {
    throw new ConfigError({
      at: [...at, 'element_type'],
      problem: `${type === 'array' ? 'an array' : 'a map'} needs the type of its ${nestedKey === 'items' ? 'elements' : 'values'}`,
      fix: words`set ${field([...at, 'element_type'])} (e.g. string), or ${field([...at, 'nested_json'])} for a nullable or nested one (in the JSON shape of earlier versions: "${nestedKey}": {"type": "string"})`,
    });
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
    ...(warning ? { warning } : {}),
  };
}

function parseNestedJson(text: string, at: ConfigPath, isPropertyList: boolean): unknown {
  const example = isPropertyList
    ? '[{"name": "city", "type": "string"}]'
    : '{"type": "string", "nullable": true}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError({
      at,
      problem: `not valid JSON (${(error as Error).message})`,
      fix: `write it like ${example}`,
    });
  }
  const fits = isPropertyList ? Array.isArray(parsed) : isRecord(parsed);
  if (!fits) {
    throw new ConfigError({
      at,
      problem: `must be ${isPropertyList ? "a list of the object's properties" : 'one type (a JSON object)'}, like ${example}`,
    });
  }
  return parsed;
}
