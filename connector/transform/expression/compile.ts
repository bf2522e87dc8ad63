/**
 * Type-checks a parsed mapping expression against the Stripe customer schema and compiles it to
 * closures. Paths are checked field by field (metadata.<any key> is text); functions are checked
 * for arity and for arguments that can never work (e.g. lower(address)).
 *
 * Run-time semantics (documented for users in `../mapping.ts`):
 * - A path that does not exist, or runs into null, gives null. Only own properties are read.
 * - A JSONPath gives its first match, or null when nothing matches (jsonpath-plus, `wrap: true`,
 *   first element; filter scripts use jsonpath-plus' "safe" evaluator, never `eval`).
 * - Text functions give null for null input; numbers and booleans are used as their text.
 */
import { JSONPath } from 'jsonpath-plus';
import { didYouMean, describeType } from '../../model';
import { STRIPE_CUSTOMER_SCHEMA, type JsonSchema } from '../../stripe/customer-schema';
import { ExpressionError, type Node, type PathSegment } from './parser';
import {
  ANY,
  ARRAY,
  BOOLEAN,
  INTEGER,
  NULL,
  NUMERIC,
  OBJECT,
  STRING,
  TEXTUAL,
  type StaticType,
  describe,
  fromSchema,
  of,
  union,
} from './types';

/** A failure while evaluating an expression for one customer. */
export class EvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluationError';
  }
}

/** `env[d]` is the element bound by the map() at nesting depth d. */
export type Evaluator = (customer: Record<string, unknown>, env: unknown[]) => unknown;

export interface Compiled {
  type: StaticType;
  evaluate: Evaluator;
  /** No paths involved: the value is the same for every customer. */
  constant: boolean;
}

interface Scope {
  /** Element types of the enclosing map() calls, innermost last. */
  elements: StaticType[];
}

const ELEMENT_NAMES = new Set(['item', '_']);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const hasOwn = Object.prototype.hasOwnProperty;

const formatPath = (root: string, segments: readonly PathSegment[]): string =>
  segments.reduce<string>(
    (text, segment) =>
      typeof segment === 'number'
        ? `${text}[${segment}]`
        : IDENTIFIER.test(segment)
          ? `${text}.${segment}`
          : `${text}[${JSON.stringify(segment)}]`,
    root,
  );

// ---------------------------------------------------------------------------------------------
// Paths

/** The type of `segment` inside a value of `type`; throws ExpressionError when it cannot exist. */
function step(type: StaticType, segment: PathSegment, shown: string, pos: number): StaticType {
  if (typeof segment === 'number') {
    if (type.kinds & ARRAY) return union(type.items ?? ANY, of(NULL));
    throw new ExpressionError(
      `${shown} is ${describe(type)}, not an array, so it has no element [${segment}]${type.kinds & OBJECT ? `; for a key use ${shown}["${segment}"]` : ''}`,
      pos,
    );
  }
  if (!(type.kinds & OBJECT)) {
    if (type.kinds & ARRAY) {
      throw new ExpressionError(
        `${shown} is an array: use ${shown}[0].${segment} for one element, or map(${shown}, item.${segment}) for all`,
        pos,
      );
    }
    throw new ExpressionError(`${shown} is ${describe(type)}; it has no field "${segment}"`, pos);
  }
  const schema = type.schema;
  if (!schema) return ANY;
  const known = schema.properties;
  if (known && hasOwn.call(known, segment)) return fromSchema(known[segment]);
  const extra = schema.additionalProperties;
  if (extra && typeof extra === 'object') return union(fromSchema(extra), of(NULL));
  if (known) {
    const names = Object.keys(known);
    throw new ExpressionError(
      `${shown === '' ? 'the customer' : shown} has no field "${segment}"${didYouMean(segment, names)}; ${shown === '' ? 'customer fields are' : 'its fields are'} ${names.join(', ')}`,
      pos,
    );
  }
  return ANY;
}

function readPath(value: unknown, segments: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return null;
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return null;
      current = current[segment];
    } else {
      if (Array.isArray(current) || !hasOwn.call(current, segment)) return null;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current === undefined ? null : current;
}

function pathReader(segments: readonly PathSegment[]): (value: unknown) => unknown {
  if (segments.length === 0) return (value) => (value === undefined ? null : value);
  if (segments.length === 1 && typeof segments[0] === 'string') {
    const key = segments[0];
    return (value) =>
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      hasOwn.call(value, key)
        ? ((value as Record<string, unknown>)[key] ?? null)
        : null;
  }
  return (value) => readPath(value, segments);
}

function compilePath(node: Extract<Node, { kind: 'path' }>, scope: Scope): Compiled {
  const depth = scope.elements.length - 1;
  const isElement = ELEMENT_NAMES.has(node.root) && depth >= 0;
  let type: StaticType;
  let shown: string;
  let segments: PathSegment[];
  if (isElement) {
    type = scope.elements[depth] ?? ANY;
    shown = node.root;
    segments = node.segments;
  } else {
    if (ELEMENT_NAMES.has(node.root)) {
      throw new ExpressionError(
        `"${node.root}" only means the current element inside map(array, ...), e.g. map(preferred_locales, upper(item))`,
        node.pos,
      );
    }
    type = fromSchema(STRIPE_CUSTOMER_SCHEMA);
    shown = '';
    segments = [node.root, ...node.segments];
  }
  // Positions of segments are not kept by the parser; point at the path start.
  for (const segment of segments) {
    type = step(type, segment, shown, node.pos);
    shown = shown === '' && typeof segment === 'string' ? segment : formatPath(shown, [segment]);
  }
  const read = pathReader(segments);
  const evaluate: Evaluator = isElement ? (_c, env) => read(env[depth]) : (c) => read(c);
  return { type, evaluate, constant: false };
}

/** Plain `$.a.b[0]["c"]` paths become ordinary paths; others (wildcards, filters...) are ANY. */
function simpleJsonPath(path: string): PathSegment[] | undefined {
  let parts: string[];
  try {
    parts = JSONPath.toPathArray(path).slice();
  } catch {
    return undefined;
  }
  if (parts[0] !== '$') return undefined;
  const segments: PathSegment[] = [];
  for (const part of parts.slice(1)) {
    if (/^\d+$/.test(part)) segments.push(Number(part));
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part) && !/^(?:\*|\.\.)$/.test(part)) {
      segments.push(part);
    } else return undefined;
  }
  // toPathArray turns ['a.b'] into the key a.b only when quoted; reject anything unusual.
  return /[*?@()]|\.\.|,|:/.test(path.replace(/'[^']*'|"[^"]*"/g, '')) ? undefined : segments;
}

function compileJsonPath(node: Extract<Node, { kind: 'jsonpath' }>): Compiled {
  const simple = simpleJsonPath(node.path);
  if (simple) {
    let type = fromSchema(STRIPE_CUSTOMER_SCHEMA);
    let shown = '$';
    for (const segment of simple) {
      type = step(type, segment, shown === '$' ? '' : shown, node.pos);
      shown = formatPath(shown, [segment]);
    }
    const read = pathReader(simple);
    return { type, evaluate: (c) => read(c), constant: false };
  }
  const path = node.path;
  const run = (json: unknown): unknown[] =>
    JSONPath({ path, json: json as object, wrap: true, eval: 'safe' }) as unknown[];
  try {
    run({});
  } catch (error) {
    throw new ExpressionError(`invalid JSONPath ${path}: ${(error as Error).message}`, node.pos);
  }
  return {
    type: ANY,
    evaluate: (c) => {
      let matches: unknown[];
      try {
        matches = run(c);
      } catch (error) {
        throw new EvaluationError(`JSONPath ${path} failed: ${(error as Error).message}`);
      }
      const first = matches[0];
      return first === undefined ? null : first;
    },
    constant: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Functions

type Arg = Compiled & { node: Node };

interface FunctionDef {
  min: number;
  max: number;
  signature: string;
  /** Checks argument types and gives the result type (throws ExpressionError). */
  type(args: Arg[], name: string): StaticType;
  /** Builds the evaluator from the argument evaluators (lazy where it matters). */
  build(args: Evaluator[], name: string): Evaluator;
}

const truthy = (value: unknown): boolean =>
  value !== null &&
  value !== undefined &&
  value !== false &&
  value !== 0 &&
  value !== '' &&
  !(typeof value === 'number' && Number.isNaN(value)) &&
  !(Array.isArray(value) && value.length === 0);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return (a ?? null) === (b ?? null);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every(
      (k) =>
        hasOwn.call(b, k) &&
        deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

/** Text of a value for text functions; null stays null. */
function text(value: unknown, fn: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw new EvaluationError(`${fn}() expects text, got ${describeType(value)}`);
}

function integerArg(value: unknown, fn: string, what: string): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new EvaluationError(
      `${fn}() expects ${what} to be a whole number, got ${describeType(value)}`,
    );
  }
  return n;
}

function requireKinds(arg: Arg, accepted: number, fn: string, what: string, index: number): void {
  if ((arg.type.kinds & ~NULL) !== 0 && (arg.type.kinds & accepted) === 0) {
    throw new ExpressionError(
      `${fn}() expects ${what} as argument ${index + 1}, but it gives ${describe(arg.type)}`,
      arg.node.pos,
    );
  }
}

const textFunction = (transform: (s: string) => string): FunctionDef => ({
  min: 1,
  max: 1,
  signature: '(text)',
  type(args, name) {
    requireKinds(args[0] as Arg, TEXTUAL, name, 'text', 0);
    return of(STRING | ((args[0] as Arg).type.kinds & NULL));
  },
  build([arg], name) {
    const fn = arg as Evaluator;
    const label = name;
    return (c, env) => {
      const s = text(fn(c, env), label);
      return s === null ? null : transform(s);
    };
  },
});

const initcap = (s: string): string =>
  s
    .toLowerCase()
    .replace(
      /(^|[^\p{L}\p{N}'])(\p{L})/gu,
      (_m, before: string, letter: string) => before + letter.toUpperCase(),
    );

const FUNCTIONS: Record<string, FunctionDef> = {
  coalesce: {
    min: 1,
    max: Infinity,
    signature: '(value, value, ...)',
    type(args) {
      let type = args[0]?.type ?? ANY;
      for (const arg of args.slice(1)) type = union(type, arg.type);
      if (args.some((arg) => (arg.type.kinds & NULL) === 0))
        type = { ...type, kinds: type.kinds & ~NULL };
      return type;
    },
    build(args) {
      return (c, env) => {
        for (const arg of args) {
          const value = arg(c, env);
          if (value !== null && value !== undefined) return value;
        }
        return null;
      };
    },
  },
  if: {
    min: 2,
    max: 3,
    signature: '(condition, then, else?)',
    type(args) {
      return union((args[1] as Arg).type, args[2]?.type ?? of(NULL));
    },
    build([cond, then, otherwise]) {
      const c0 = cond as Evaluator;
      const c1 = then as Evaluator;
      return (c, env) => (truthy(c0(c, env)) ? c1(c, env) : otherwise ? otherwise(c, env) : null);
    },
  },
  eq: {
    min: 2,
    max: 2,
    signature: '(a, b)',
    type: () => of(BOOLEAN),
    build([a, b]) {
      const [fa, fb] = [a as Evaluator, b as Evaluator];
      return (c, env) => deepEqual(fa(c, env), fb(c, env));
    },
  },
  ne: {
    min: 2,
    max: 2,
    signature: '(a, b)',
    type: () => of(BOOLEAN),
    build([a, b]) {
      const [fa, fb] = [a as Evaluator, b as Evaluator];
      return (c, env) => !deepEqual(fa(c, env), fb(c, env));
    },
  },
  and: {
    min: 1,
    max: Infinity,
    signature: '(a, b, ...)',
    type: () => of(BOOLEAN),
    build(args) {
      return (c, env) => args.every((arg) => truthy(arg(c, env)));
    },
  },
  or: {
    min: 1,
    max: Infinity,
    signature: '(a, b, ...)',
    type: () => of(BOOLEAN),
    build(args) {
      return (c, env) => args.some((arg) => truthy(arg(c, env)));
    },
  },
  not: {
    min: 1,
    max: 1,
    signature: '(a)',
    type: () => of(BOOLEAN),
    build([a]) {
      const fa = a as Evaluator;
      return (c, env) => !truthy(fa(c, env));
    },
  },
  lower: textFunction((s) => s.toLowerCase()),
  upper: textFunction((s) => s.toUpperCase()),
  initcap: textFunction(initcap),
  trim: textFunction((s) => s.trim()),
  ltrim: textFunction((s) => s.trimStart()),
  rtrim: textFunction((s) => s.trimEnd()),
  substring: {
    min: 2,
    max: 3,
    signature: '(text, start, length?) with start counted from 1',
    type(args, name) {
      requireKinds(args[0] as Arg, TEXTUAL, name, 'text', 0);
      requireKinds(args[1] as Arg, NUMERIC | STRING, name, 'a number', 1);
      if (args[2]) requireKinds(args[2], NUMERIC | STRING, name, 'a number', 2);
      return of(STRING | NULL);
    },
    build([s, start, length]) {
      const [fs, fstart] = [s as Evaluator, start as Evaluator];
      return (c, env) => {
        const value = text(fs(c, env), 'substring');
        const from = integerArg(fstart(c, env), 'substring', 'start');
        const count = length ? integerArg(length(c, env), 'substring', 'length') : undefined;
        if (value === null || from === null || count === null) return null;
        if (count !== undefined && count < 0) {
          throw new EvaluationError('substring() expects a length of 0 or more');
        }
        const chars = Array.from(value);
        const first = Math.max(from, 1);
        const last = count === undefined ? chars.length : Math.min(from + count - 1, chars.length);
        return last < first ? '' : chars.slice(first - 1, last).join('');
      };
    },
  },
  len: {
    min: 1,
    max: 1,
    signature: '(text or array)',
    type(args, name) {
      requireKinds(args[0] as Arg, TEXTUAL | ARRAY, name, 'text or an array', 0);
      return of(INTEGER | NULL);
    },
    build([a]) {
      const fa = a as Evaluator;
      return (c, env) => {
        const value = fa(c, env);
        if (Array.isArray(value)) return value.length;
        const s = text(value, 'len');
        if (s === null) return null;
        let count = 0;
        for (const _ of s) count++;
        return count;
      };
    },
  },
  concat: {
    min: 1,
    max: Infinity,
    signature: '(text, text, ...) where null counts as empty text',
    type(args, name) {
      args.forEach((arg, i) => requireKinds(arg, TEXTUAL, name, 'text', i));
      return of(STRING);
    },
    build(args) {
      return (c, env) => {
        let result = '';
        for (const arg of args) result += text(arg(c, env), 'concat') ?? '';
        return result;
      };
    },
  },
  split: {
    min: 2,
    max: 2,
    signature: '(text, separator)',
    type(args, name) {
      requireKinds(args[0] as Arg, TEXTUAL, name, 'text', 0);
      requireKinds(args[1] as Arg, TEXTUAL, name, 'text', 1);
      return of(ARRAY | ((args[0] as Arg).type.kinds & NULL), { items: of(STRING) });
    },
    build([s, sep]) {
      const [fs, fsep] = [s as Evaluator, sep as Evaluator];
      return (c, env) => {
        const value = text(fs(c, env), 'split');
        const separator = text(fsep(c, env), 'split');
        if (value === null) return null;
        if (separator === null || separator === '') return Array.from(value);
        return value.split(separator);
      };
    },
  },
  replace: {
    min: 3,
    max: 3,
    signature: '(text, search, replacement) replacing every occurrence',
    type(args, name) {
      args.forEach((arg, i) => requireKinds(arg, TEXTUAL, name, 'text', i));
      return of(STRING | ((args[0] as Arg).type.kinds & NULL));
    },
    build([s, search, replacement]) {
      const [fs, fsearch, frep] = [s as Evaluator, search as Evaluator, replacement as Evaluator];
      return (c, env) => {
        const value = text(fs(c, env), 'replace');
        if (value === null) return null;
        const from = text(fsearch(c, env), 'replace') ?? '';
        const to = text(frep(c, env), 'replace') ?? '';
        return from === '' ? value : value.split(from).join(to);
      };
    },
  },
  json_parse: {
    min: 1,
    max: 1,
    signature: '(text)',
    type(args, name) {
      requireKinds(args[0] as Arg, STRING, name, 'text', 0);
      return ANY;
    },
    build([a]) {
      const fa = a as Evaluator;
      return (c, env) => {
        const value = fa(c, env);
        if (value === null || value === undefined) return null;
        if (typeof value !== 'string') {
          throw new EvaluationError(`json_parse() expects text, got ${describeType(value)}`);
        }
        try {
          return JSON.parse(value) as unknown;
        } catch (error) {
          throw new EvaluationError(
            `json_parse() got text that is not JSON (${(error as Error).message})`,
          );
        }
      };
    },
  },
  array: {
    min: 0,
    max: Infinity,
    signature: '(value, ...)',
    type(args) {
      if (args.length === 0) return of(ARRAY, { items: ANY });
      let items = (args[0] as Arg).type;
      for (const arg of args.slice(1)) items = union(items, arg.type);
      return of(ARRAY, { items });
    },
    build(args) {
      return (c, env) => args.map((arg) => arg(c, env) ?? null);
    },
  },
  map: {
    min: 2,
    max: 2,
    signature: '(array, expression using item or _ for each element)',
    // Type-checked specially in compileCall (the body sees the element type).
    type: () => ANY,
    build: () => () => null,
  },
};

export const FUNCTION_NAMES = Object.keys(FUNCTIONS);

function compileMap(node: Extract<Node, { kind: 'call' }>, scope: Scope): Compiled {
  const [arrayNode, bodyNode] = node.args as [Node, Node];
  const array = compileNode(arrayNode, scope);
  if ((array.type.kinds & ~NULL) !== 0 && (array.type.kinds & ARRAY) === 0) {
    throw new ExpressionError(
      `map() expects an array as argument 1, but it gives ${describe(array.type)}`,
      arrayNode.pos,
    );
  }
  const depth = scope.elements.length;
  const body = compileNode(bodyNode, { elements: [...scope.elements, array.type.items ?? ANY] });
  const evalArray = array.evaluate;
  const evalBody = body.evaluate;
  return {
    type: of(ARRAY | (array.type.kinds & NULL), { items: body.type }),
    constant: array.constant && body.constant,
    evaluate: (c, env) => {
      const value = evalArray(c, env);
      if (value === null || value === undefined) return null;
      if (!Array.isArray(value)) {
        throw new EvaluationError(`map() expects an array, got ${describeType(value)}`);
      }
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        env[depth] = value[i];
        out[i] = evalBody(c, env) ?? null;
      }
      env.length = depth;
      return out;
    },
  };
}

function compileCall(node: Extract<Node, { kind: 'call' }>, scope: Scope): Compiled {
  if (!Object.prototype.hasOwnProperty.call(FUNCTIONS, node.name)) {
    throw new ExpressionError(
      `unknown function "${node.name}"${didYouMean(node.name, FUNCTION_NAMES)}; the functions are ${FUNCTION_NAMES.join(', ')}`,
      node.pos,
    );
  }
  const def = FUNCTIONS[node.name] as FunctionDef;
  const count = node.args.length;
  if (count < def.min || count > def.max) {
    const expected =
      def.max === Infinity
        ? `at least ${def.min} argument${def.min === 1 ? '' : 's'}`
        : def.min === def.max
          ? `${def.min} argument${def.min === 1 ? '' : 's'}`
          : `${def.min} to ${def.max} arguments`;
    throw new ExpressionError(
      `${node.name}() takes ${expected}, got ${count}: ${node.name}${def.signature}`,
      node.pos,
    );
  }
  if (node.name === 'map') return compileMap(node, scope);
  const args: Arg[] = node.args.map((arg) => ({ ...compileNode(arg, scope), node: arg }));
  const type = def.type(args, node.name);
  const evaluate = def.build(
    args.map((arg) => arg.evaluate),
    node.name,
  );
  return { type, evaluate, constant: args.every((arg) => arg.constant) };
}

// ---------------------------------------------------------------------------------------------

function literalType(value: string | number | boolean | null): StaticType {
  if (value === null) return of(NULL);
  switch (typeof value) {
    case 'string':
      return of(STRING);
    case 'number':
      return of(Number.isInteger(value) ? INTEGER : NUMERIC);
    default:
      return of(BOOLEAN);
  }
}

export function compileNode(node: Node, scope: Scope = { elements: [] }): Compiled {
  switch (node.kind) {
    case 'literal': {
      const value = node.value;
      return { type: literalType(value), evaluate: () => value, constant: true };
    }
    case 'path':
      return compilePath(node, scope);
    case 'jsonpath':
      return compileJsonPath(node);
    case 'call':
      return compileCall(node, scope);
  }
}

export type { JsonSchema };
