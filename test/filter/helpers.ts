import { compileFilter, parsePath, type CompiledFilter } from '../../connector/filter/index.js';

/** 2024-06-15T12:00:00Z: the `now` every test compiles against. */
export const NOW = new Date('2024-06-15T12:00:00Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const DAY = 86_400;

/** Unix seconds of a UTC date-time string. */
export const at = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export const compile = (spec: unknown): CompiledFilter => compileFilter(spec, { now: NOW });

/** The path is absent: the key is left out (its parent objects exist). */
export const MISSING = Symbol('missing');
/** The path's first segment is null (so a nested path is absent). */
export const PARENT_NULL = Symbol('parent null');

/** A customer whose `property` holds `value` (or is absent, see MISSING / PARENT_NULL). */
export function customerWith(property: string, value: unknown): Record<string, unknown> {
  const parsed = parsePath(property);
  if (!parsed.ok) throw new Error(parsed.problem);
  const segments = parsed.segments;
  const customer: Record<string, unknown> = { id: 'cus_test', object: 'customer', created: 1 };
  if (segments[0] === 'created') delete customer.created;
  if (value === PARENT_NULL) {
    customer[segments[0] ?? ''] = null;
    return customer;
  }
  let current = customer;
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (last) {
      if (value !== MISSING) current[segment] = value;
    } else {
      const next: Record<string, unknown> = {};
      current[segment] = next;
      current = next;
    }
  });
  return customer;
}

export function describeCase(value: unknown): string {
  if (value === MISSING) return '<missing>';
  if (value === PARENT_NULL) return '<parent null>';
  return JSON.stringify(value);
}
