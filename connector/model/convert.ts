/**
 * Value conversion to model types, compiled once per model into closures.
 *
 * | type       | accepts                                                                           |
 * | ---------- | --------------------------------------------------------------------------------- |
 * | string     | strings; numbers and booleans become their text                                   |
 * | integer    | whole numbers (safe range); numeric strings like "42" or "42.0"                   |
 * | number     | finite numbers; numeric strings                                                   |
 * | decimal    | numbers and numeric strings, rounded half away from zero to `scale`, checked      |
 * |            | against `precision`                                                               |
 * | boolean    | booleans; 1/0; "true"/"false", "1"/"0", "yes"/"no" (any case)                     |
 * | datetime   | Unix seconds (numbers or numeric strings, as Stripe sends), ISO 8601 strings      |
 * | date, time | the same, in UTC; also "YYYY-MM-DD" for date and "HH:MM[:SS[.fff]]" for time      |
 * | year       | integers 1-9999 and "2024" as years; numbers >= 10000 as Unix seconds; ISO dates  |
 * |            | (0, negatives, fractions below 10000 and digit text of 5+ digits are refused)     |
 * | uuid       | 8-4-4-4-12 hexadecimal strings (emitted lower-case)                               |
 * | ip         | IPv4 and IPv6 address strings                                                     |
 * | json       | any value, as is                                                                  |
 * | array      | arrays, each element converted to `items`                                         |
 * | object     | objects; with `properties`, each known key converted and unknown keys refused     |
 * | map        | objects, each value converted to `values`                                         |
 *
 * null and missing values are null; on a non-nullable type they are an error.
 */
import { isIP } from 'node:net';
import { isPlainObject } from '../util/is-plain-object';
import { IDENTIFIER, formatPath } from '../util/value-path';
import { describeType } from './suggest';
import { toDecimal } from './decimal';
import { toDate, toDateTime, toTime, toYear } from './temporal';
import type { ModelProperty, ModelType } from './types';

/** Thrown (and caught by `convert`) on the first conversion failure of a value. */
export class ConversionFailure {
  constructor(readonly message: string) {}
}

export type Converter = (value: unknown, path: string) => unknown;

const fail = (path: string, expected: string, value: unknown, detail?: string): never => {
  throw new ConversionFailure(
    `${path}: expected ${expected}, got ${describeType(value)}${detail ? ` (${detail})` : ''}`,
  );
};

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_TEXT = /^[+-]?\d+(?:\.0*)?$/;

const TRUE_TEXT = new Set(['true', '1', 'yes']);
const FALSE_TEXT = new Set(['false', '0', 'no']);

const childPath = (path: string, key: string): string => formatPath([key], IDENTIFIER, path);

function scalarConverter(model: ModelType): Converter {
  switch (model.type) {
    case 'string':
      return (v, path) => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number' && Number.isFinite(v)) return String(v);
        if (typeof v === 'boolean') return v ? 'true' : 'false';
        return fail(
          path,
          'a string',
          v,
          isPlainObject(v) || Array.isArray(v)
            ? 'use type "json" or "object"/"array" for structured values'
            : undefined,
        );
      };
    case 'integer':
      return (v, path) => {
        let n: number | undefined;
        if (typeof v === 'number') n = v;
        else if (typeof v === 'string' && INTEGER_TEXT.test(v.trim())) n = Number(v.trim());
        if (n === undefined || !Number.isFinite(n)) return fail(path, 'an integer', v);
        if (!Number.isInteger(n))
          return fail(path, 'an integer', v, 'it has a fraction; use type "number" or "decimal"');
        if (!Number.isSafeInteger(n))
          return fail(
            path,
            'an integer',
            v,
            'beyond +/-2^53, which JSON numbers cannot carry exactly; use type "string"',
          );
        return n === 0 ? 0 : n;
      };
    case 'number':
      return (v, path) => {
        if (typeof v === 'number' && Number.isFinite(v)) return v;
        if (typeof v === 'string' && NUMBER_TEXT.test(v.trim())) {
          const n = Number(v.trim());
          if (Number.isFinite(n)) return n;
        }
        return fail(path, 'a number', v);
      };
    case 'decimal': {
      const { precision, scale } = model;
      return (v, path) => {
        const result = toDecimal(v, precision, scale);
        if (result.ok) return result.value;
        return fail(path, `a decimal(${precision},${scale})`, v, result.reason);
      };
    }
    case 'boolean':
      return (v, path) => {
        if (typeof v === 'boolean') return v;
        if (v === 1 || v === 0) return v === 1;
        if (typeof v === 'string') {
          const text = v.trim().toLowerCase();
          if (TRUE_TEXT.has(text)) return true;
          if (FALSE_TEXT.has(text)) return false;
        }
        return fail(path, 'a boolean (true/false, 1/0, "true"/"false", "yes"/"no")', v);
      };
    case 'datetime':
      return (v, path) =>
        toDateTime(v) ??
        fail(path, 'a date-time (Unix seconds or an ISO 8601 string, years 1-9999)', v);
    case 'date':
      return (v, path) =>
        toDate(v) ?? fail(path, 'a date (Unix seconds, "YYYY-MM-DD" or an ISO 8601 date-time)', v);
    case 'time':
      return (v, path) =>
        toTime(v) ?? fail(path, 'a time ("HH:MM:SS", Unix seconds or an ISO 8601 date-time)', v);
    case 'year':
      return (v, path) => {
        const result = toYear(v);
        return result.ok
          ? result.year
          : fail(
              path,
              'a year (1-9999, Unix seconds of 10000 or more, or an ISO 8601 date)',
              v,
              result.reason,
            );
      };
    case 'uuid':
      return (v, path) =>
        typeof v === 'string' && UUID.test(v)
          ? v.toLowerCase()
          : fail(path, 'a UUID like "123e4567-e89b-12d3-a456-426614174000"', v);
    case 'ip':
      return (v, path) =>
        typeof v === 'string' && isIP(v) !== 0 ? v : fail(path, 'an IPv4 or IPv6 address', v);
    case 'json':
      return (v) => v;
    case 'array':
    case 'object':
    case 'map':
      throw new Error(`not a scalar type: ${model.type}`);
  }
}

/** The converter of one type, including its nullability. */
export function typeConverter(model: ModelType): Converter {
  let inner: Converter;
  switch (model.type) {
    case 'array': {
      const item = typeConverter(model.items);
      inner = (v, path) => {
        if (!Array.isArray(v)) return fail(path, 'an array', v);
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) out[i] = item(v[i], `${path}[${i}]`);
        return out;
      };
      break;
    }
    case 'map': {
      const value = typeConverter(model.values);
      inner = (v, path) => {
        if (!isPlainObject(v)) return fail(path, 'an object (map)', v);
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(v)) {
          Object.defineProperty(out, key, {
            value: value(v[key], childPath(path, key)),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      };
      break;
    }
    case 'object': {
      if (model.properties === undefined) {
        inner = (v, path) => (isPlainObject(v) ? v : fail(path, 'an object', v));
      } else {
        inner = objectConverter(
          model.properties,
          (path, unknown) =>
            `${path}: unknown ${unknown.length === 1 ? 'property' : 'properties'} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (the model lists ${model.properties?.map((p) => p.name).join(', ')})`,
        );
      }
      break;
    }
    default:
      inner = scalarConverter(model);
  }
  if (model.nullable) {
    return (v, path) => (v === null || v === undefined ? null : inner(v, path));
  }
  return (v, path) => {
    if (v === null || v === undefined) {
      throw new ConversionFailure(
        `${path}: is not nullable but got ${v === null ? 'null' : 'no value'}`,
      );
    }
    return inner(v, path);
  };
}

/** Converter of an object with a fixed property list; unknown keys fail. */
export function objectConverter(
  properties: readonly ModelProperty[],
  unknownMessage: (path: string, unknown: string[]) => string,
): Converter {
  const entries = properties.map((p) => ({ name: p.name, convert: typeConverter(p) }));
  const known = new Set(properties.map((p) => p.name));
  return (v, path) => {
    if (!isPlainObject(v)) return fail(path, 'an object', v);
    let unknown: string[] | undefined;
    for (const key of Object.keys(v)) {
      if (!known.has(key)) (unknown ??= []).push(key);
    }
    if (unknown) throw new ConversionFailure(unknownMessage(path, unknown));
    const out: Record<string, unknown> = {};
    for (const { name, convert } of entries) {
      out[name] = convert(v[name], path === '' ? name : `${path}.${name}`);
    }
    return out;
  };
}
