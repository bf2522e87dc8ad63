/**
 * Paths into JSON values (a Stripe customer, a record): keys and array indices. The filter
 * (`metadata["signup.source"]`), mapping expressions (`invoice_settings.custom_fields[0].name`)
 * and the Customer Model's messages (`address.city`) all write, show and read them; each has
 * its own parser because each sits in a language of its own, and they share what is here: how a
 * path is shown and how it is read.
 */

/** A key of an object, or (a number) an index of an array. */
export type PathSegment = string | number;

/** Names the mapping expression grammar reads unquoted (every model column name is one too). */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A path as text: `root` (may be empty) then each segment, a name matching `bareName` dotted,
 * an index as `[0]`, any other key as `["..."]`. The caller passes the names its own parser
 * reads unquoted, so what it shows can be pasted back.
 */
export function formatPath(segments: readonly PathSegment[], bareName: RegExp, root = ''): string {
  let out = root;
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (!bareName.test(segment)) out += `[${JSON.stringify(segment)}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/**
 * Marks a path that is absent from the value: a key or an element is missing, or a parent is not
 * an object (for a key) or an array (for an index).
 */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

type Step = (current: unknown) => unknown;

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Only own keys of plain objects are read: arrays have no keys, and inherited ones
 * ("constructor") are missing.
 */
const keyStep =
  (key: string): Step =>
  (current) => {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return MISSING;
    if (!hasOwn.call(current, key)) return MISSING;
    const next = (current as Record<string, unknown>)[key];
    return next === undefined ? MISSING : next;
  };

const indexStep =
  (index: number): Step =>
  (current) => {
    if (!Array.isArray(current)) return MISSING;
    const next: unknown = current[index];
    return next === undefined ? MISSING : next;
  };

/**
 * A fast reader of a path, built once. It returns the value (possibly `null`) or `MISSING`; an
 * `undefined` value counts as missing, as JSON has no undefined.
 */
export function makeGetter(segments: readonly PathSegment[]): (root: unknown) => unknown {
  const steps = segments.map((segment) =>
    typeof segment === 'number' ? indexStep(segment) : keyStep(segment),
  );
  // Most paths have one to three segments: those get a closure without a loop.
  const [a, b, c] = steps;
  if (steps.length === 0) return (root) => (root === undefined ? MISSING : root);
  if (steps.length === 1 && a) return a;
  if (steps.length === 2 && a && b) {
    return (root) => {
      const first = a(root);
      return first === MISSING ? MISSING : b(first);
    };
  }
  if (steps.length === 3 && a && b && c) {
    return (root) => {
      const first = a(root);
      if (first === MISSING) return MISSING;
      const second = b(first);
      return second === MISSING ? MISSING : c(second);
    };
  }
  return (root) => {
    let current: unknown = root;
    for (const step of steps) {
      current = step(current);
      if (current === MISSING) return MISSING;
    }
    return current;
  };
}
