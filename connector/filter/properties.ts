/**
 * Property types for filters, derived from the Stripe customer JSON schema (the single source of
 * truth for a customer's shape).
 *
 * | schema type                         | PropertyType | examples                                     |
 * |-------------------------------------|--------------|----------------------------------------------|
 * | string                              | string       | email, name, address.country, metadata.<key> |
 * | string or object (expandable ID)    | string       | default_source, test_clock (the ID; an expanded object is read by its `id`) |
 * | integer/number                      | number       | balance, next_invoice_sequence               |
 * | integer holding unix seconds        | timestamp    | created, discount.start, discount.end        |
 * | boolean                             | boolean      | delinquent, livemode                         |
 * | array                               | array        | preferred_locales (strings), invoice_settings.custom_fields (objects) |
 * | object                              | object       | address, metadata, shipping                  |
 *
 * An integer is a timestamp when its path is in TIMESTAMP_PATHS or its description says it holds
 * seconds since the Unix epoch.
 */
import { ConfigError } from '../errors.js';
import { STRIPE_CUSTOMER_SCHEMA, type JsonSchema } from '../stripe/customer-schema.js';
import { list, operator, words, type Words } from '../words.js';
import { formatPath, parsePath } from './path.js';
import { closestMatches, formatSuggestions } from './suggest.js';

export type PropertyType = 'string' | 'number' | 'timestamp' | 'boolean' | 'array' | 'object';

export const PROPERTY_TYPES: readonly PropertyType[] = [
  'string',
  'number',
  'timestamp',
  'boolean',
  'array',
  'object',
];

/** Integer fields holding unix seconds whose descriptions don't say so. */
export const TIMESTAMP_PATHS: ReadonlySet<string> = new Set([
  'created',
  'discount.start',
  'discount.end',
]);
const EPOCH_DESCRIPTION = /seconds since the unix epoch|unix time(stamp)?/i;

export interface PropertyInfo {
  readonly segments: readonly string[];
  /** Canonical text of the path (see formatPath). */
  readonly path: string;
  readonly type: PropertyType;
  /** For arrays: whether the items are strings (needed by contains / does_not_contain). */
  readonly itemType?: 'string' | 'other';
  /** For string enums (tax_exempt): the possible non-null values. */
  readonly enumValues?: readonly string[];
  /** A string ID that Stripe can also return as an expanded object (read by its `id`). */
  readonly expandable?: boolean;
  readonly description?: string;
}

export type PropertyResolution = { ok: true; info: PropertyInfo } | { ok: false; problem: Words };

/** `(exists, is_empty, ...)`: what a filter can do with a value it cannot look inside. */
const whole = (...ids: string[]): Words =>
  words`(${list(ids.map((id) => operator(id, false)))}, ...)`;

function schemaTypes(schema: JsonSchema): string[] {
  const raw = schema.type;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((t) => t !== 'null');
}

function classify(
  schema: JsonSchema,
  segments: readonly string[],
): Omit<PropertyInfo, 'segments' | 'path'> | undefined {
  const types = schemaTypes(schema);
  const description = typeof schema.description === 'string' ? schema.description : undefined;
  const base = description === undefined ? {} : { description };
  if (types.includes('string')) {
    const enumValues = Array.isArray(schema.enum)
      ? schema.enum.filter((v): v is string => typeof v === 'string')
      : undefined;
    return {
      ...base,
      type: 'string',
      ...(types.includes('object') ? { expandable: true } : {}),
      ...(enumValues && enumValues.length > 0 ? { enumValues } : {}),
    };
  }
  if (types.includes('integer') || types.includes('number')) {
    const isTimestamp =
      types.includes('integer') &&
      (TIMESTAMP_PATHS.has(formatPath(segments)) || EPOCH_DESCRIPTION.test(description ?? ''));
    return { ...base, type: isTimestamp ? 'timestamp' : 'number' };
  }
  if (types.includes('boolean')) return { ...base, type: 'boolean' };
  if (types.includes('array')) {
    const items = schema.items ? schemaTypes(schema.items) : [];
    return {
      ...base,
      type: 'array',
      itemType: items.length === 1 && items[0] === 'string' ? 'string' : 'other',
    };
  }
  if (types.includes('object')) return { ...base, type: 'object' };
  return undefined;
}

/** The schema one level down, or a problem naming what exists instead. */
function child(
  parent: JsonSchema,
  parentSegments: readonly string[],
  key: string,
  rest: readonly string[],
): { schema: JsonSchema; viaMap?: boolean } | { problem: Words } {
  const isRoot = parentSegments.length === 0;
  const parentPath = formatPath(parentSegments);
  const properties = parent.properties ?? {};
  const own = Object.prototype.hasOwnProperty.call(properties, key) ? properties[key] : undefined;
  if (own) return { schema: own };
  // The customer root allows additional properties (Stripe adds fields over time), but a filter on
  // a field the schema doesn't know is almost always a typo, so it is rejected.
  if (!isRoot && typeof parent.additionalProperties === 'object') {
    return { schema: parent.additionalProperties, viaMap: true };
  }
  const known = Object.keys(properties);
  if (known.length === 0) {
    return {
      problem: words`"${parentPath}" has no typed sub-fields in the schema, so "${formatPath([...parentSegments, key, ...rest])}" can't be checked; filter on "${parentPath}" itself ${whole('exists', 'is_empty')}.`,
    };
  }
  const close = closestMatches(key, known).map((name) =>
    formatPath([...parentSegments, name, ...rest]),
  );
  if (isRoot && close.length === 0) {
    // `country` -> `address.country`, `shipping.address.country`
    for (const entry of listFilterableProperties()) {
      const last = entry.path.split('.').pop() ?? '';
      if (last.toLowerCase() === key.toLowerCase()) close.push(entry.path);
    }
  }
  const where = isRoot ? 'the Stripe customer has no field' : `"${parentPath}" has no field`;
  const listing = isRoot
    ? `Customer fields: ${known.join(', ')}.`
    : `Fields of ${parentPath}: ${known.join(', ')}.`;
  return {
    problem: [`${where} ${JSON.stringify(key)}.${formatSuggestions(close.slice(0, 3))} ${listing}`],
  };
}

/** Resolves parsed path segments against the customer schema. */
export function resolveSegments(segments: readonly string[]): PropertyResolution {
  if (segments.length === 0) return { ok: false, problem: ['the property path is empty.'] };
  let schema: JsonSchema = STRIPE_CUSTOMER_SCHEMA;
  /** Index of the first segment that was an arbitrary key of a map (metadata.<key>). */
  let mapKeyIndex: number | undefined;
  for (let i = 0; i < segments.length; i++) {
    const key = segments[i] ?? '';
    const parentSegments = segments.slice(0, i);
    if (i > 0) {
      const parentInfo = classify(schema, parentSegments);
      if (parentInfo?.type !== 'object') {
        const parentPath = formatPath(parentSegments);
        let problem: Words;
        if (parentInfo?.type === 'array') {
          problem = words`"${parentPath}" is a list and has no fields; filter the list itself ${whole('contains', 'is_empty')}.`;
        } else if (parentInfo?.expandable) {
          problem = [
            `"${parentPath}" is an ID (text); the connector never expands it into an object, so filter on "${parentPath}" itself.`,
          ];
        } else {
          let text = `"${parentPath}" is a ${parentInfo?.type ?? 'value'} and has no fields.`;
          if (mapKeyIndex !== undefined) {
            const quoted = formatPath([
              ...segments.slice(0, mapKeyIndex),
              segments.slice(mapKeyIndex).join('.'),
            ]);
            text += ` If the key contains dots, quote it: ${quoted}.`;
          } else {
            text += ` Filter on "${parentPath}" itself.`;
          }
          problem = [text];
        }
        return { ok: false, problem };
      }
    }
    const next = child(schema, parentSegments, key, segments.slice(i + 1));
    if ('problem' in next) return { ok: false, problem: next.problem };
    if (next.viaMap && mapKeyIndex === undefined) mapKeyIndex = i;
    schema = next.schema;
  }
  const info = classify(schema, segments);
  if (!info) {
    return { ok: false, problem: [`"${formatPath(segments)}" has no usable type in the schema.`] };
  }
  return { ok: true, info: { ...info, segments: [...segments], path: formatPath(segments) } };
}

/** Parses and resolves a path given as text (or as already-split segments). */
export function resolveProperty(path: string | readonly string[]): PropertyResolution {
  if (typeof path === 'string') {
    const parsed = parsePath(path);
    if (!parsed.ok) return { ok: false, problem: [parsed.problem] };
    return resolveSegments(parsed.segments);
  }
  return resolveSegments(path);
}

/** The filter type of a property path; throws ConfigError for unknown or malformed paths. */
export function resolvePropertyType(path: string | readonly string[]): PropertyType {
  const resolved = resolveProperty(path);
  if (!resolved.ok) {
    const shown = typeof path === 'string' ? path : formatPath(path);
    throw new ConfigError(
      words`Unknown filter property ${JSON.stringify(shown)}: ${resolved.problem}`,
    );
  }
  return resolved.info.type;
}

export interface FilterableProperty {
  /** A path, or a pattern ending in `.<key>` where any string key is allowed (metadata.<key>). */
  path: string;
  type: PropertyType;
  anyKey?: boolean;
  description?: string;
}

let cachedProperties: FilterableProperty[] | undefined;

/** Every path a filter can use (for UIs and docs), depth-first in schema order. */
export function listFilterableProperties(): FilterableProperty[] {
  if (cachedProperties) return cachedProperties.map((p) => ({ ...p }));
  const out: FilterableProperty[] = [];
  const walk = (schema: JsonSchema, segments: string[]): void => {
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      const path = [...segments, key];
      const info = classify(sub, path);
      if (!info) continue;
      out.push({
        path: formatPath(path),
        type: info.type,
        ...(info.description ? { description: info.description } : {}),
      });
      if (info.type !== 'object') continue;
      walk(sub, path);
      if (typeof sub.additionalProperties === 'object' && !sub.properties) {
        const item = classify(sub.additionalProperties, [...path, '*']);
        if (item) out.push({ path: `${formatPath(path)}.<key>`, type: item.type, anyKey: true });
      }
    }
  };
  walk(STRIPE_CUSTOMER_SCHEMA, []);
  cachedProperties = out;
  return out.map((p) => ({ ...p }));
}
