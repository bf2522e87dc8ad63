/**
 * Paths and JSONPaths of mapping expressions: checked field by field against the Stripe customer
 * schema (metadata.<any key> is text) and compiled to readers.
 *
 * - A path that does not exist, or runs into null, gives null. Only own properties are read.
 * - A JSONPath gives its first match, or null when nothing matches (jsonpath-plus, `wrap: true`,
 *   first element; filter scripts use jsonpath-plus' "safe" evaluator, never `eval`).
 */
import { JSONPath } from 'jsonpath-plus';
import { didYouMean } from '../../model';
import { READABLE_CUSTOMER_SCHEMA } from '../../stripe/customer-schema';
import { type Compiled, EvaluationError, type Evaluator, type Scope } from './compiled';
import {
  IDENTIFIER,
  MISSING,
  type PathSegment,
  formatPath,
  makeGetter,
} from '../../util/value-path';
import { ExpressionError, type Node } from './parser';
import {
  ANY,
  ARRAY,
  NULL,
  OBJECT,
  type StaticType,
  describe,
  fromSchema,
  of,
  union,
} from './types';

const ELEMENT_NAMES = new Set(['item', '_']);
const hasOwn = Object.prototype.hasOwnProperty;

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

/** A reader of `segments` that gives null where the path is missing. */
function pathReader(segments: readonly PathSegment[]): (value: unknown) => unknown {
  const get = makeGetter(segments);
  return (value) => {
    const found = get(value);
    return found === MISSING ? null : found;
  };
}

export function compilePath(node: Extract<Node, { kind: 'path' }>, scope: Scope): Compiled {
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
    type = fromSchema(READABLE_CUSTOMER_SCHEMA);
    shown = '';
    segments = [node.root, ...node.segments];
  }
  // Positions of segments are not kept by the parser; point at the path start.
  for (const segment of segments) {
    type = step(type, segment, shown, node.pos);
    shown = formatPath([segment], IDENTIFIER, shown);
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

export function compileJsonPath(node: Extract<Node, { kind: 'jsonpath' }>): Compiled {
  const simple = simpleJsonPath(node.path);
  if (simple) {
    let type = fromSchema(READABLE_CUSTOMER_SCHEMA);
    let shown = '$';
    for (const segment of simple) {
      type = step(type, segment, shown === '$' ? '' : shown, node.pos);
      shown = formatPath([segment], IDENTIFIER, shown);
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
