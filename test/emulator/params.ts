/**
 * Stripe's v1 parameter encoding: `application/x-www-form-urlencoded` bodies and query strings
 * with bracketed keys (`metadata[plan]=pro`, `address[city]=X`, `preferred_locales[0]=en`,
 * `types[]=customer.created`, `created[gte]=1`). Both indexed and `[]` array styles are accepted,
 * as Stripe accepts both. Values are parsed into a tree of strings; typing happens per endpoint.
 */
import { invalidInteger, invalidRequest, unknownParameter } from './errors.js';
import type { CreatedRange } from './ordered.js';

export type ParamValue = string | ParamTree;
export interface ParamTree {
  [key: string]: ParamValue;
}

export function parseParams(encoded: string, into: ParamTree = {}): ParamTree {
  if (!encoded) return into;
  for (const [rawKey, value] of new URLSearchParams(encoded)) {
    const path = splitKey(rawKey);
    let node = into;
    for (let i = 0; i < path.length - 1; i++) {
      const segment = resolveSegment(node, path[i] as string);
      const child = node[segment];
      if (typeof child === 'object') node = child;
      else node = node[segment] = {};
    }
    node[resolveSegment(node, path[path.length - 1] as string)] = value;
  }
  return into;
}

/** `a[b][]` -> ['a', 'b', '']; a key with unbalanced brackets is taken literally. */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0 || !key.endsWith(']')) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/gy;
  re.lastIndex = open;
  let match: RegExpExecArray | null;
  while ((match = re.exec(key)) !== null) {
    parts.push(match[1] as string);
    if (re.lastIndex === key.length) return parts;
  }
  return [key];
}

/** An empty segment (`[]`) appends: it takes the next free index. */
function resolveSegment(node: ParamTree, segment: string): string {
  return segment === '' ? String(Object.keys(node).length) : segment;
}

/** Rejects top-level (or nested, with `prefix`) keys outside `allowed`, as Stripe does. */
export function rejectUnknown(tree: ParamTree, allowed: readonly string[], prefix?: string): void {
  for (const key of Object.keys(tree)) {
    if (!allowed.includes(key)) throw unknownParameter(prefix ? `${prefix}[${key}]` : key);
  }
}

export function stringParam(value: ParamValue | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${describe(value)}`, name);
  return value;
}

export function intParam(value: ParamValue | undefined, name: string): number | undefined {
  const text = stringParam(value, name);
  if (text === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(text.trim())) throw invalidInteger(name, text);
  return Number(text.trim());
}

export function boolParam(value: ParamValue | undefined, name: string): boolean | undefined {
  const text = stringParam(value, name);
  if (text === undefined) return undefined;
  if (text !== 'true' && text !== 'false') {
    throw invalidRequest(`Invalid boolean: ${text}`, name, 'parameter_invalid_boolean');
  }
  return text === 'true';
}

/** Arrays arrive as `{0: a, 1: b}`; order by index. An empty string (`x=`) is an empty array. */
export function arrayParam(value: ParamValue | undefined, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (value === '') return [];
  if (typeof value === 'string') throw invalidRequest(`Invalid array`, name);
  return Object.keys(value)
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => {
      const item = value[key];
      if (typeof item !== 'string' || !/^\d+$/.test(key)) {
        throw invalidRequest(`Invalid array`, name);
      }
      return item;
    });
}

/** `created=N` (exact) or `created[gt|gte|lt|lte]=N`. */
export function rangeParam(value: ParamValue | undefined, name: string): CreatedRange | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    const exact = intParam(value, name) as number;
    return { gte: exact, lte: exact };
  }
  rejectUnknown(value, ['gt', 'gte', 'lt', 'lte'], name);
  const range: CreatedRange = {};
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    const n = intParam(value[op], `${name}[${op}]`);
    if (n !== undefined) range[op] = n;
  }
  return range;
}

/** `limit`: 1..100, default 10. */
export function limitParam(value: ParamValue | undefined): number {
  const limit = intParam(value, 'limit');
  if (limit === undefined) return 10;
  if (limit < 1) throw invalidRequest('This value must be greater than or equal to 1.', 'limit');
  if (limit > 100) throw invalidRequest('This value must be less than or equal to 100.', 'limit');
  return limit;
}

function describe(value: ParamTree): string {
  return JSON.stringify(value).slice(0, 100);
}
