/**
 * The functions of mapping expressions: for each, its arity, the check of its argument types
 * when the config is loaded (arguments that can never work, e.g. lower(address), are refused
 * then) and the closure it becomes. Text functions give null for null input; numbers and
 * booleans are used as their text. map() is only declared here: its body sees the element type,
 * so compile.ts checks it.
 */
import { describeType } from '../../model';
import { type Compiled, EvaluationError, type Evaluator } from './compiled';
import { ExpressionError, type Node } from './parser';
import {
  ANY,
  ARRAY,
  BOOLEAN,
  INTEGER,
  NULL,
  NUMERIC,
  STRING,
  TEXTUAL,
  type StaticType,
  describe,
  of,
  union,
} from './types';

const hasOwn = Object.prototype.hasOwnProperty;

/** A compiled argument, with its node for error positions. */
export type Arg = Compiled & { node: Node };

export interface FunctionDef {
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

/** eq (`equal` true) and ne: exact JSON equality of two values, so eq(balance, "0") is false. */
const equalityFunction = (equal: boolean): FunctionDef => ({
  min: 2,
  max: 2,
  signature: '(a, b)',
  type: () => of(BOOLEAN),
  build([a, b]) {
    const [fa, fb] = [a as Evaluator, b as Evaluator];
    return (c, env) => deepEqual(fa(c, env), fb(c, env)) === equal;
  },
});

/** and (every argument truthy) and or (some): arguments after the deciding one are not evaluated. */
const logicalFunction = (quantifier: 'every' | 'some'): FunctionDef => ({
  min: 1,
  max: Infinity,
  signature: '(a, b, ...)',
  type: () => of(BOOLEAN),
  build(args) {
    return quantifier === 'every'
      ? (c, env) => args.every((arg) => truthy(arg(c, env)))
      : (c, env) => args.some((arg) => truthy(arg(c, env)));
  },
});

const initcap = (s: string): string =>
  s
    .toLowerCase()
    .replace(
      /(^|[^\p{L}\p{N}'])(\p{L})/gu,
      (_m, before: string, letter: string) => before + letter.toUpperCase(),
    );

export const FUNCTIONS: Record<string, FunctionDef> = {
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
  eq: equalityFunction(true),
  ne: equalityFunction(false),
  and: logicalFunction('every'),
  or: logicalFunction('some'),
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
