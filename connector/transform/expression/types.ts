/**
 * Static types of mapping expressions: a set of JSON kinds (bit mask), plus what is known of the
 * structure (the Stripe schema of an object, the element type of an array) for path checking.
 */
import type { ModelType } from '../../model';
import type { JsonSchema } from '../../stripe/customer-schema';

export const NULL = 1;
export const STRING = 2;
export const INTEGER = 4;
export const NUMBER = 8;
export const BOOLEAN = 16;
export const OBJECT = 32;
export const ARRAY = 64;
export const ALL = NULL | STRING | INTEGER | NUMBER | BOOLEAN | OBJECT | ARRAY;
export const NUMERIC = INTEGER | NUMBER;
export const TEXTUAL = STRING | NUMERIC | BOOLEAN;

export interface StaticType {
  kinds: number;
  /** For OBJECT: its schema (undefined: unknown structure, any key allowed). */
  schema?: JsonSchema;
  /** For ARRAY: the element type (undefined: unknown). */
  items?: StaticType;
}

export const ANY: StaticType = { kinds: ALL };
export const of = (kinds: number, extra: Omit<StaticType, 'kinds'> = {}): StaticType => ({
  kinds,
  ...extra,
});

const KIND_BY_NAME: Record<string, number> = {
  null: NULL,
  string: STRING,
  integer: INTEGER,
  number: NUMBER | INTEGER,
  boolean: BOOLEAN,
  object: OBJECT,
  array: ARRAY,
};

export function fromSchema(schema: JsonSchema | undefined): StaticType {
  if (!schema || schema.type === undefined) return { kinds: ALL, schema };
  const names = Array.isArray(schema.type) ? schema.type : [schema.type];
  let kinds = 0;
  for (const name of names) kinds |= KIND_BY_NAME[name] ?? ALL;
  const type: StaticType = { kinds };
  if (kinds & OBJECT) type.schema = schema;
  if (kinds & ARRAY) type.items = schema.items ? fromSchema(schema.items) : ANY;
  return type;
}

export function union(a: StaticType, b: StaticType): StaticType {
  const kinds = a.kinds | b.kinds;
  const type: StaticType = { kinds };
  if (kinds & OBJECT) {
    type.schema = a.schema && b.schema && a.schema === b.schema ? a.schema : undefined;
    if (!(a.kinds & OBJECT)) type.schema = b.schema;
    if (!(b.kinds & OBJECT)) type.schema = a.schema;
  }
  if (kinds & ARRAY) {
    if (a.kinds & ARRAY && b.kinds & ARRAY) {
      type.items = a.items && b.items ? union(a.items, b.items) : ANY;
    } else {
      type.items = a.kinds & ARRAY ? a.items : b.items;
    }
  }
  return type;
}

const KIND_NAMES: Array<[number, string]> = [
  [STRING, 'text'],
  [INTEGER, 'an integer'],
  [NUMBER, 'a number'],
  [BOOLEAN, 'a boolean'],
  [OBJECT, 'an object'],
  [ARRAY, 'an array'],
  [NULL, 'null'],
];

export function describe(type: StaticType): string {
  if ((type.kinds & ALL) === ALL) return 'any value';
  let kinds = type.kinds;
  if (kinds & INTEGER && kinds & NUMBER) kinds &= ~INTEGER;
  const names = KIND_NAMES.filter(([bit]) => kinds & bit).map(([, name]) => name);
  if (names.length > 1 && names[names.length - 1] === 'null') names.pop();
  if (names.length <= 1) return names[0] ?? 'nothing';
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** The kinds a value may have to be convertible to the model type (besides null). */
export function acceptedKinds(model: ModelType): number {
  switch (model.type) {
    case 'string':
      return TEXTUAL;
    case 'integer':
    case 'number':
    case 'decimal':
    case 'year':
    case 'datetime':
    case 'date':
    case 'time':
      return STRING | NUMERIC;
    case 'boolean':
      return TEXTUAL;
    case 'uuid':
    case 'ip':
      return STRING;
    case 'json':
      return ALL;
    case 'array':
      return ARRAY;
    case 'object':
    case 'map':
      return OBJECT;
  }
}

/** Why a value of `type` can never convert to `model`, or undefined when it might. */
export function incompatibility(type: StaticType, model: ModelType): string | undefined {
  const accepted = acceptedKinds(model);
  const possible = type.kinds & ~NULL;
  if (possible === 0) return undefined; // only null: the model's nullability decides at run time
  if ((possible & accepted) === 0) {
    return `it gives ${describe(type)}, which cannot become ${model.type === 'integer' || model.type === 'object' || model.type === 'array' ? 'an' : 'a'} ${model.type}`;
  }
  if (model.type === 'array' && type.items && (type.kinds & ~NULL) === ARRAY) {
    const inner = incompatibility(type.items, model.items);
    if (inner) return `its elements: ${inner}`;
  }
  if (model.type === 'map' && (type.kinds & ~NULL) === OBJECT && type.schema) {
    const values = type.schema.additionalProperties;
    if (values && typeof values === 'object' && !type.schema.properties) {
      const inner = incompatibility(fromSchema(values), model.values);
      if (inner) return `its values: ${inner}`;
    }
  }
  return undefined;
}

/**
 * JSON Schema of the values of `type`, for `discover` when no Customer Model types a mapped
 * column. One JSON type (plus null when the kinds include it, or when `nullable`) where the
 * kinds allow it; `{}` (any JSON value) for mixes such as text-or-number, since a typed
 * destination column would reject some of the values.
 */
export function jsonSchemaOf(type: StaticType, nullable = (type.kinds & NULL) !== 0): JsonSchema {
  let kinds = type.kinds & ~NULL;
  if (kinds & NUMBER) kinds |= INTEGER; // every integer is a number
  const typed = (name: string, rest: JsonSchema = {}): JsonSchema => ({
    type: nullable ? ['null', name] : name,
    ...rest,
  });
  switch (kinds) {
    case STRING:
      return typed('string');
    case INTEGER:
      return typed('integer');
    case NUMERIC:
      return typed('number');
    case BOOLEAN:
      return typed('boolean');
    case ARRAY:
      return typed('array', type.items ? { items: jsonSchemaOf(type.items) } : {});
    case OBJECT: {
      if (!type.schema) return typed('object');
      // The Stripe schema of that object (address, metadata, ...), minus what only a root has.
      const { $schema: _root, type: _type, ...rest } = type.schema;
      return typed('object', rest);
    }
    default:
      return {};
  }
}
