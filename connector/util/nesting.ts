/**
 * Bounds on how deep a config nests. Everything that walks the config's nested parts (the filter
 * and model parsers, the mapping expression parser, structuredClone, JSON.stringify for
 * fingerprints) recurses, and a config nested a few thousand levels deep would overflow the
 * stack: a crash with no word of what is wrong. These limits are checked first, without
 * recursion, and named in the errors.
 */
import type { PathSegment } from './value-path';

/**
 * The most levels a user-written structure may nest: groups in a filter, types in the Customer
 * Model, calls and brackets in a mapping expression. Far beyond what any real one needs.
 */
export const MAX_NESTING = 20;

/**
 * The most levels of JSON a whole config may nest, its own keys and lists included: a filter
 * nested MAX_NESTING groups deep takes about 45, a model type about 40.
 */
export const MAX_CONFIG_DEPTH = 64;

/**
 * The path to the first value found nested deeper than `limit` containers (objects or arrays),
 * or undefined when none is. Walks with a stack of its own, so any depth is safe.
 */
export function pathBeyondDepth(value: unknown, limit: number): PathSegment[] | undefined {
  const pending: Array<{ value: unknown; path: PathSegment[] }> = [{ value, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.path.length > limit) return next.path;
    const { value: current, path } = next;
    if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, path: [...path, index] }));
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, item] of Object.entries(current)) {
        pending.push({ value: item, path: [...path, key] });
      }
    }
  }
  return undefined;
}
