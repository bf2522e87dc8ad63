/**
 * The Customer Model: the typed columns a pipeline emits (config key `customer_model`).
 *
 * Config shape (JSON):
 * ```json
 * [
 *   { "name": "email", "type": "string", "nullable": true, "description": "Lower-cased e-mail" },
 *   { "name": "balance", "type": "decimal", "precision": 12, "scale": 2 },
 *   { "name": "locales", "type": "array", "items": { "type": "string" } },
 *   { "name": "address", "type": "object", "properties": [{ "name": "city", "type": "string" }] },
 *   { "name": "metadata", "type": "map", "values": { "type": "string" } }
 * ]
 * ```
 *
 * - `nullable` defaults to `true` for properties (top level and inside objects) and to `false`
 *   for array `items` and map `values`.
 * - `decimal` requires `precision` (1-15 significant digits) and takes `scale` (0..precision,
 *   default 0). Decimals are emitted as JSON numbers rounded half away from zero to `scale`
 *   digits; 15 digits is the most a JSON number (IEEE double) carries exactly, so wider values
 *   are refused: use `string` for them.
 * - `object` without `properties` is free-form (any JSON object); with `properties` it only
 *   accepts the listed keys.
 */
import type { JsonSchema } from '../stripe/customer-schema';

export const MODEL_TYPES = [
  'string',
  'integer',
  'number',
  'decimal',
  'boolean',
  'datetime',
  'date',
  'time',
  'year',
  'uuid',
  'ip',
  'json',
  'array',
  'object',
  'map',
] as const;

export type ModelTypeName = (typeof MODEL_TYPES)[number];

export type ScalarTypeName = Exclude<ModelTypeName, 'decimal' | 'array' | 'object' | 'map'>;

/** A compiled type: what a property, an array item or a map value holds. */
export type ModelType =
  | { type: ScalarTypeName; nullable: boolean }
  | { type: 'decimal'; nullable: boolean; precision: number; scale: number }
  | { type: 'array'; nullable: boolean; items: ModelType }
  /** `properties` undefined: free-form object. */
  | { type: 'object'; nullable: boolean; properties: ModelProperty[] | undefined }
  | { type: 'map'; nullable: boolean; values: ModelType };

export type ModelProperty = ModelType & { name: string; description?: string };

export type ConvertResult =
  { ok: true; record: Record<string, unknown> } | { ok: false; error: string };

export type ValueResult = { ok: true; value: unknown } | { ok: false; error: string };

export interface CustomerModel {
  /** The properties in config order. */
  readonly properties: readonly ModelProperty[];
  /** Property names in config order. */
  readonly names: readonly string[];
  /**
   * JSON Schema (draft-07, Airbyte flavour) of one converted record: nullable as `["null", T]`,
   * no `$ref`/`anyOf`. Top level `additionalProperties` is `true` so a pipeline may add its own
   * reserved columns (`_stripe_id`, `_ab_*`); nested typed objects are closed.
   */
  readonly jsonSchema: JsonSchema;
  /** The property called `name`, if any. */
  property(name: string): ModelProperty | undefined;
  /**
   * Converts a raw record (a transformation's output) to the model: every model property is
   * converted to its type (missing ones become null); unknown keys, impossible conversions and
   * nulls in non-nullable properties are errors naming the property, the value's type and what
   * was expected. The result is then checked against `jsonSchema` (ajv, compiled once).
   */
  convert(value: Record<string, unknown>): ConvertResult;
  /** Converts one value to the type of property `name` (used to check constants at compile time). */
  convertValue(name: string, value: unknown): ValueResult;
}
