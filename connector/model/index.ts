/**
 * Customer Model (config `customer_model`): typed columns, their JSON Schema for `discover`, and
 * the conversion of transformation output to those types. See `types.ts` for the config shape,
 * `convert.ts` for what each type accepts and `json-schema.ts` for how each type is described.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { ConfigPath } from '../words';
import { ConversionFailure, type Converter, typeConverter } from './convert';
import { modelJsonSchema } from './json-schema';
import { parseModelConfig } from './parse';
import type { ConvertResult, CustomerModel, ModelProperty, ValueResult } from './types';

export type {
  ConvertResult,
  CustomerModel,
  ModelProperty,
  ModelType,
  ModelTypeName,
  ValueResult,
} from './types';
export { MODEL_TYPES } from './types';
export {
  COLUMN_NAME_PATTERN,
  MAX_DECIMAL_PRECISION,
  RESERVED_PREFIXES,
  columnNameProblem,
  modelTooDeep,
} from './parse';
export { closest, describeType, didYouMean } from './suggest';

const MAX_REPORTED_ERRORS = 5;

let sharedAjv: Ajv | undefined;
function ajv(): Ajv {
  if (!sharedAjv) {
    sharedAjv = new Ajv({ strict: false, allErrors: false });
    addFormats(sharedAjv, ['date-time', 'date', 'uuid']);
    // Airbyte's time_without_timezone: ajv-formats' "time" insists on an offset.
    sharedAjv.addFormat('time', /^\d{2}:\d{2}:\d{2}(?:\.\d+)?$/);
  }
  return sharedAjv;
}

/**
 * Validates the raw `customer_model` config (a ConfigError placed at e.g.
 * `["customer_model", 3, "name"]`, with the fix) and compiles its converters and JSON Schema
 * validator once.
 */
export function compileCustomerModel(
  raw: unknown,
  path: ConfigPath = ['customer_model'],
): CustomerModel {
  const properties = parseModelConfig(raw, path);
  const names = properties.map((p) => p.name);
  const byName = new Map<string, ModelProperty>(properties.map((p) => [p.name, p]));
  const converters = new Map<string, Converter>(properties.map((p) => [p.name, typeConverter(p)]));
  const entries = properties.map((p) => ({ name: p.name, convert: typeConverter(p) }));
  const jsonSchema = modelJsonSchema(properties);
  const validate = ajv().compile(jsonSchema);

  const convert = (value: Record<string, unknown>): ConvertResult => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return {
        ok: false,
        error: `expected the record to be an object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`,
      };
    }
    const errors: string[] = [];
    let unknown: string[] | undefined;
    for (const key of Object.keys(value)) {
      if (!byName.has(key)) (unknown ??= []).push(key);
    }
    if (unknown) {
      const shown = unknown.slice(0, 10).map((k) => JSON.stringify(k));
      if (unknown.length > 10) shown.push(`and ${unknown.length - 10} more`);
      errors.push(
        `unknown ${unknown.length === 1 ? 'property' : 'properties'} ${shown.join(', ')}: the Customer Model has no such ${unknown.length === 1 ? 'column' : 'columns'} (add ${unknown.length === 1 ? 'it' : 'them'} to the Customer Model or stop returning ${unknown.length === 1 ? 'it' : 'them'})`,
      );
    }
    const record: Record<string, unknown> = {};
    for (const { name, convert: one } of entries) {
      try {
        record[name] = one(value[name], name);
      } catch (error) {
        if (!(error instanceof ConversionFailure)) throw error;
        errors.push(error.message);
      }
    }
    if (errors.length > 0) {
      const shown = errors.slice(0, MAX_REPORTED_ERRORS);
      if (errors.length > MAX_REPORTED_ERRORS) {
        shown.push(`and ${errors.length - MAX_REPORTED_ERRORS} more errors`);
      }
      return { ok: false, error: shown.join('; ') };
    }
    if (!validate(record)) {
      const first = validate.errors?.[0];
      const where = first?.instancePath
        ? first.instancePath.slice(1).replace(/\//g, '.')
        : 'record';
      return {
        ok: false,
        error: `${where}: does not match the Customer Model's schema (${first?.message ?? 'invalid'})`,
      };
    }
    return { ok: true, record };
  };

  const convertValue = (name: string, value: unknown): ValueResult => {
    const converter = converters.get(name);
    if (!converter) return { ok: false, error: `${name}: not a property of the Customer Model` };
    try {
      return { ok: true, value: converter(value, name) };
    } catch (error) {
      if (!(error instanceof ConversionFailure)) throw error;
      return { ok: false, error: error.message };
    }
  };

  return {
    properties,
    names,
    jsonSchema,
    property: (name) => byName.get(name),
    convert,
    convertValue,
  };
}
