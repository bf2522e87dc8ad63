/** Validation of the raw `customer_model` config into compiled `ModelProperty` objects. */
import { ConfigError } from '../errors';
import { field, words, type ConfigPath } from '../words';
import { isPlainObject } from '../util/is-plain-object';
import { MAX_NESTING } from '../util/nesting';
import { isWholeNumberIn } from '../util/whole-number';
import { didYouMean } from './suggest';
import { MODEL_TYPES, type ModelProperty, type ModelType, type ModelTypeName } from './types';

/** Column names: safe unquoted identifiers in every warehouse Airbyte writes to. */
export const COLUMN_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Prefixes reserved for columns the connector and Airbyte add themselves. */
export const RESERVED_PREFIXES = ['_stripe_', '_ab_', '_airbyte_'] as const;

/** Largest decimal precision a JSON number (IEEE double) carries exactly. */
export const MAX_DECIMAL_PRECISION = 15;

const TYPE_SPECIFIC_KEYS: Partial<Record<ModelTypeName, readonly string[]>> = {
  decimal: ['precision', 'scale'],
  array: ['items'],
  object: ['properties'],
  map: ['values'],
};
const COMMON_PROPERTY_KEYS = ['name', 'type', 'nullable', 'description'];
const COMMON_ELEMENT_KEYS = ['type', 'nullable', 'description'];
const ALL_SPECIFIC_KEYS = ['precision', 'scale', 'items', 'properties', 'values'];

/**
 * Checks a column name; returns the problem (with a fix) or undefined when the name is fine.
 * Exported so mappings without a model can check their `to` names with the same rules.
 */
export function columnNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') {
    return 'is required: give the column a name made of letters, digits and underscores (e.g. "email")';
  }
  if (!COLUMN_NAME_PATTERN.test(name)) {
    const fixed = name
      .replace(/[^A-Za-z0-9_]+/g, '_')
      .replace(/^(?=[0-9])/, '_')
      .slice(0, 63);
    const tooLong = name.length > 63 ? ' and at most 63 characters long' : '';
    return `"${name}" is not a valid column name: use letters, digits and underscores, starting with a letter or an underscore${tooLong} (e.g. "${fixed || 'column'}")`;
  }
  const lower = name.toLowerCase();
  if (lower === '_stripe_id' || RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
    return `"${name}" is reserved for columns the connector adds (names starting with ${RESERVED_PREFIXES.map((p) => `"${p}"`).join(', ')}): choose another name (e.g. "${name.replace(/^_+/, '')}")`;
  }
  return undefined;
}

function checkKeys(
  raw: Record<string, unknown>,
  allowed: readonly string[],
  path: ConfigPath,
): void {
  for (const key of Object.keys(raw)) {
    if (allowed.includes(key)) continue;
    const type = typeof raw.type === 'string' ? raw.type : undefined;
    if (ALL_SPECIFIC_KEYS.includes(key)) {
      const owner = Object.entries(TYPE_SPECIFIC_KEYS).find(([, keys]) => keys.includes(key))?.[0];
      throw new ConfigError({
        at: [...path, key],
        problem: `"${key}" only applies to type "${owner}"${type ? `, not "${type}"` : ''}`,
        fix: 'remove it or change the type',
      });
    }
    throw new ConfigError({
      at: [...path, key],
      problem: `unknown key "${key}"${didYouMean(key, allowed)}`,
      fix: `allowed keys are ${allowed.join(', ')}`,
    });
  }
}

/** The error for a model whose types nest deeper than MAX_NESTING; `path` names the row. */
export function modelTooDeep(path: ConfigPath): ConfigError {
  return new ConfigError({
    at: path,
    problem: `its types nest more than ${MAX_NESTING} levels deep (arrays, maps and objects inside one another), the most the Customer Model allows`,
    fix: 'use type "json" for the deeper part',
  });
}

/**
 * `depth`: how many types enclose this one (a model property is at 1). Parsing recurses into
 * nested types, so the depth is bounded before a deep config could overflow the stack.
 */
function parseType(
  raw: Record<string, unknown>,
  path: ConfigPath,
  defaultNullable: boolean,
  depth: number,
  /** The model row this type belongs to, named when the types nest too deep. */
  row: ConfigPath,
): ModelType & { description?: string } {
  if (depth > MAX_NESTING) throw modelTooDeep(row);
  const type = raw.type;
  if (typeof type !== 'string' || !(MODEL_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError({
      at: [...path, 'type'],
      problem:
        typeof type === 'string'
          ? `"${type}" is not a type${didYouMean(type, MODEL_TYPES)}`
          : 'missing (required)',
      fix: `use one of ${MODEL_TYPES.join(', ')}`,
    });
  }
  const nullable = raw.nullable ?? defaultNullable;
  if (typeof nullable !== 'boolean') {
    throw new ConfigError({ at: [...path, 'nullable'], problem: 'must be true or false' });
  }
  const description = raw.description;
  if (description !== undefined && typeof description !== 'string') {
    throw new ConfigError({ at: [...path, 'description'], problem: 'must be a string' });
  }
  const extra = description === undefined ? {} : { description };
  const typeName = type as ModelTypeName;
  switch (typeName) {
    case 'decimal': {
      const precision = raw.precision;
      if (!isWholeNumberIn(precision, 1, MAX_DECIMAL_PRECISION)) {
        throw new ConfigError({
          at: [...path, 'precision'],
          problem: `a decimal needs "precision", the total number of digits, an integer from 1 to ${MAX_DECIMAL_PRECISION}`,
          fix: `JSON numbers carry at most ${MAX_DECIMAL_PRECISION} exact digits; use type "string" for wider values`,
        });
      }
      const scale = raw.scale ?? 0;
      if (!isWholeNumberIn(scale, 0, precision)) {
        throw new ConfigError({
          at: [...path, 'scale'],
          problem: `must be an integer from 0 to precision (${precision}), the digits after the decimal point`,
        });
      }
      return { type: 'decimal', nullable, precision, scale, ...extra };
    }
    case 'array': {
      if (!isPlainObject(raw.items)) {
        throw new ConfigError({
          at: [...path, 'items'],
          problem: 'an array needs "items", the type of its elements',
          fix: 'give it, e.g. { "type": "string" }',
        });
      }
      return {
        type: 'array',
        nullable,
        items: parseElement(raw.items, [...path, 'items'], depth, row),
        ...extra,
      };
    }
    case 'map': {
      if (!isPlainObject(raw.values)) {
        throw new ConfigError({
          at: [...path, 'values'],
          problem: 'a map needs "values", the type of its values',
          fix: 'give it, e.g. { "type": "string" }',
        });
      }
      return {
        type: 'map',
        nullable,
        values: parseElement(raw.values, [...path, 'values'], depth, row),
        ...extra,
      };
    }
    case 'object': {
      if (raw.properties === undefined) {
        return { type: 'object', nullable, properties: undefined, ...extra };
      }
      return {
        type: 'object',
        nullable,
        properties: parsePropertyList(raw.properties, [...path, 'properties'], depth, row),
        ...extra,
      };
    }
    default:
      return { type: typeName, nullable, ...extra };
  }
}

/** `depth`: the depth of the type that holds this element. */
function parseElement(
  raw: Record<string, unknown>,
  path: ConfigPath,
  depth: number,
  row: ConfigPath,
): ModelType {
  const type = typeof raw.type === 'string' ? (raw.type as ModelTypeName) : undefined;
  checkKeys(raw, [...COMMON_ELEMENT_KEYS, ...((type && TYPE_SPECIFIC_KEYS[type]) ?? [])], path);
  return parseType(raw, path, false, depth + 1, row);
}

/** `depth`: the depth of the object type that lists this property (0 for the model). */
function parseProperty(
  raw: unknown,
  path: ConfigPath,
  depth: number,
  row: ConfigPath | undefined,
): ModelProperty {
  if (!isPlainObject(raw)) {
    throw new ConfigError({
      at: path,
      problem: 'each property must be an object like { "name": "email", "type": "string" }',
    });
  }
  const nameProblem = columnNameProblem(raw.name);
  if (nameProblem) throw new ConfigError({ at: [...path, 'name'], problem: nameProblem });
  const type = typeof raw.type === 'string' ? (raw.type as ModelTypeName) : undefined;
  checkKeys(raw, [...COMMON_PROPERTY_KEYS, ...((type && TYPE_SPECIFIC_KEYS[type]) ?? [])], path);
  return { name: raw.name as string, ...parseType(raw, path, true, depth + 1, row ?? path) };
}

function parsePropertyList(
  raw: unknown,
  path: ConfigPath,
  depth: number,
  row?: ConfigPath,
): ModelProperty[] {
  if (!Array.isArray(raw)) {
    throw new ConfigError({
      at: path,
      problem: 'must be a list of properties like [{ "name": "email", "type": "string" }]',
    });
  }
  if (raw.length === 0) {
    throw new ConfigError({ at: path, problem: 'no property listed', fix: 'list at least one' });
  }
  const seen = new Map<string, number>();
  return raw.map((entry, index) => {
    const property = parseProperty(entry, [...path, index], depth, row);
    const key = property.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigError({
        at: [...path, index, 'name'],
        problem: words`"${property.name}" is already used by ${field([...path, first])} (column names are compared case-insensitively, as warehouses do)`,
        fix: 'rename one of them',
      });
    }
    seen.set(key, index);
    return property;
  });
}

/** Validates the raw config list; throws a ConfigError placed at `[...path, i, field]`. */
export function parseModelConfig(
  raw: unknown,
  path: ConfigPath = ['customer_model'],
): ModelProperty[] {
  return parsePropertyList(raw, path, 0);
}
