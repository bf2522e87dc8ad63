/**
 * Type-checks a parsed mapping expression against the Stripe customer schema and compiles it to
 * closures: literals, paths (compile-path.ts), function calls (functions.ts) and map(), whose
 * body is checked with the element type of its array.
 *
 * Run-time semantics are documented for users in `../mapping.ts`.
 */
import { didYouMean, describeType } from '../../model';
import { type Compiled, EvaluationError, type Scope } from './compiled';
import { compileJsonPath, compilePath } from './compile-path';
import { type Arg, FUNCTIONS, FUNCTION_NAMES, type FunctionDef } from './functions';
import { ExpressionError, type Node } from './parser';
import {
  ANY,
  ARRAY,
  BOOLEAN,
  INTEGER,
  NULL,
  NUMERIC,
  STRING,
  type StaticType,
  describe,
  of,
} from './types';

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
