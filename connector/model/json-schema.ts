/**
 * The model as JSON Schema (draft-07, Airbyte flavour) for `discover`:
 *
 * | model type | JSON Schema                                                                       |
 * | ---------- | --------------------------------------------------------------------------------- |
 * | string     | `{type: "string"}`                                                                |
 * | integer    | `{type: "integer"}`                                                               |
 * | number     | `{type: "number"}`                                                                |
 * | decimal    | `{type: "number"}` (a JSON number rounded to `scale`; precision <= 15)            |
 * | boolean    | `{type: "boolean"}`                                                               |
 * | datetime   | `{type: "string", format: "date-time", airbyte_type: "timestamp_with_timezone"}`  |
 * | date       | `{type: "string", format: "date"}`                                                |
 * | time       | `{type: "string", format: "time", airbyte_type: "time_without_timezone"}`         |
 * | year       | `{type: "integer"}`                                                               |
 * | uuid       | `{type: "string", format: "uuid"}`                                                |
 * | ip         | `{type: "string"}` (draft-07 only has ipv4/ipv6 formats and anyOf is not allowed; |
 * |            | the connector validates IPv4 and IPv6 itself)                                     |
 * | json       | `{}` (any JSON value)                                                             |
 * | array      | `{type: "array", items: <items>}`                                                 |
 * | object     | `{type: "object", properties: {...}, additionalProperties: false}`, or free-form |
 * |            | `{type: "object"}` without `properties`                                           |
 * | map        | `{type: "object", additionalProperties: <values>}`                                |
 *
 * Nullable types are `["null", T]`. Descriptions are copied.
 */
import type { JsonSchema } from '../stripe/customer-schema';
import type { ModelProperty, ModelType } from './types';

function typed(type: string, nullable: boolean, rest: JsonSchema = {}): JsonSchema {
  return { type: nullable ? ['null', type] : type, ...rest };
}

export function typeSchema(model: ModelType): JsonSchema {
  const n = model.nullable;
  switch (model.type) {
    case 'string':
    case 'ip':
      return typed('string', n);
    case 'integer':
    case 'year':
      return typed('integer', n);
    case 'number':
    case 'decimal':
      return typed('number', n);
    case 'boolean':
      return typed('boolean', n);
    case 'datetime':
      return typed('string', n, { format: 'date-time', airbyte_type: 'timestamp_with_timezone' });
    case 'date':
      return typed('string', n, { format: 'date' });
    case 'time':
      return typed('string', n, { format: 'time', airbyte_type: 'time_without_timezone' });
    case 'uuid':
      return typed('string', n, { format: 'uuid' });
    case 'json':
      return {};
    case 'array':
      return typed('array', n, { items: typeSchema(model.items) });
    case 'map':
      return typed('object', n, { additionalProperties: typeSchema(model.values) });
    case 'object':
      return model.properties === undefined
        ? typed('object', n)
        : typed('object', n, {
            properties: propertiesSchema(model.properties),
            additionalProperties: false,
          });
  }
}

function propertiesSchema(properties: readonly ModelProperty[]): Record<string, JsonSchema> {
  const result: Record<string, JsonSchema> = {};
  for (const property of properties) {
    const schema = typeSchema(property);
    result[property.name] =
      property.description === undefined
        ? schema
        : { ...schema, description: property.description };
  }
  return result;
}

export function modelJsonSchema(properties: readonly ModelProperty[]): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: true,
    properties: propertiesSchema(properties),
  };
}
