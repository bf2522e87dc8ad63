/**
 * Tokenizer and recursive-descent parser of mapping expressions (the `from` of a mapping).
 *
 * ```
 * expression := literal | path | jsonpath | call
 * literal    := 'text' | "text" | number | true | false | null
 * path       := name ( '.' name | '[' ( 'key' | "key" | index ) ']' )*
 * jsonpath   := '$' ... (up to a top-level ',' or ')' or blank; evaluated by jsonpath-plus)
 * call       := name '(' [ expression ( ',' expression )* ] ')'
 * ```
 * Positions are 0-based offsets into the source; messages show them as 1-based columns.
 */
import { MAX_NESTING } from '../../util/nesting';
import type { PathSegment } from '../../util/value-path';

export class ExpressionError extends Error {
  constructor(
    message: string,
    /** 0-based offset of the problem in the expression. */
    readonly position: number,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

export type Node =
  | { kind: 'literal'; value: string | number | boolean | null; pos: number; end: number }
  | { kind: 'path'; root: string; segments: PathSegment[]; pos: number; end: number }
  | { kind: 'jsonpath'; path: string; pos: number; end: number }
  | { kind: 'call'; name: string; args: Node[]; pos: number; end: number };

type Token =
  | { type: 'name'; value: string; pos: number; end: number }
  | { type: 'string'; value: string; pos: number; end: number }
  | { type: 'number'; value: number; pos: number; end: number }
  | { type: 'jsonpath'; value: string; pos: number; end: number }
  | { type: '(' | ')' | ',' | '.' | '[' | ']' | 'end'; pos: number; end: number };

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;
const NUMBER = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/;

function readString(source: string, start: number): { value: string; end: number } {
  const quote = source[start];
  let value = '';
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i];
    if (ch === quote) return { value, end: i + 1 };
    if (ch === '\\') {
      const next = source[i + 1];
      switch (next) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case '\\':
        case '"':
        case "'":
          value += next;
          break;
        case 'u': {
          const hex = source.slice(i + 2, i + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
            throw new ExpressionError('\\u must be followed by 4 hexadecimal digits', i);
          }
          value += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          throw new ExpressionError(
            `unknown escape "\\${next ?? ''}" in text; use \\\\, \\', \\", \\n, \\t, \\r or \\uXXXX`,
            i,
          );
      }
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  throw new ExpressionError(`text is not closed: add the closing ${quote}`, start);
}

/** A JSONPath runs to the first ',' or ')' or blank outside brackets, parentheses and quotes. */
function readJsonPath(source: string, start: number): number {
  const stack: string[] = [];
  let i = start;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === "'" || ch === '"') {
      const close = source.indexOf(ch, i + 1);
      if (close < 0) throw new ExpressionError(`text in the JSONPath is not closed: add ${ch}`, i);
      i = close + 1;
      continue;
    }
    if (ch === '[' || ch === '(') {
      // jsonpath-plus parses what is inside brackets by recursion: bounded here.
      if (stack.length >= MAX_NESTING) {
        throw new ExpressionError(
          `the JSONPath nests brackets more than ${MAX_NESTING} levels deep, the most it may`,
          i,
        );
      }
      stack.push(ch === '[' ? ']' : ')');
    } else if (ch === ']' || ch === ')') {
      if (stack.length === 0) {
        if (ch === ')') break;
        throw new ExpressionError('unbalanced "]" in the JSONPath', i);
      }
      if (stack.pop() !== ch) throw new ExpressionError(`unbalanced "${ch}" in the JSONPath`, i);
    } else if (stack.length === 0 && (ch === ',' || /\s/.test(ch))) break;
    i++;
  }
  if (stack.length > 0) {
    throw new ExpressionError(
      `the JSONPath is not closed: add "${stack[stack.length - 1]}"`,
      start,
    );
  }
  return i;
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if ('(),.[]'.includes(ch)) {
      // A '.' followed by a digit right after a non-name is a number like .5
      if (ch === '.' && /[0-9]/.test(source[i + 1] ?? '') && !isAfterOperand(tokens)) {
        const m = NUMBER.exec(source.slice(i));
        if (m) {
          tokens.push({ type: 'number', value: Number(m[0]), pos: i, end: i + m[0].length });
          i += m[0].length;
          continue;
        }
      }
      tokens.push({ type: ch as '(' | ')' | ',' | '.' | '[' | ']', pos: i, end: i + 1 });
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const { value, end } = readString(source, i);
      tokens.push({ type: 'string', value, pos: i, end });
      i = end;
      continue;
    }
    if (ch === '$') {
      const end = readJsonPath(source, i);
      tokens.push({ type: 'jsonpath', value: source.slice(i, end), pos: i, end });
      i = end;
      continue;
    }
    if (/[0-9-]/.test(ch)) {
      const m = NUMBER.exec(source.slice(i));
      if (!m) throw new ExpressionError(`unexpected "${ch}"`, i);
      if (NAME_PART.test(source[i + m[0].length] ?? '')) {
        throw new ExpressionError(
          `"${source.slice(i).match(/^[-\w]+/)?.[0]}" is neither a number nor a name; quote field names that start with a digit, e.g. metadata["2fa"]`,
          i,
        );
      }
      tokens.push({ type: 'number', value: Number(m[0]), pos: i, end: i + m[0].length });
      i += m[0].length;
      continue;
    }
    if (NAME_START.test(ch)) {
      let end = i + 1;
      while (end < source.length && NAME_PART.test(source[end] as string)) end++;
      tokens.push({ type: 'name', value: source.slice(i, end), pos: i, end });
      i = end;
      continue;
    }
    throw new ExpressionError(
      `unexpected "${ch}"; expressions are paths (address.city), text in quotes, numbers, true/false/null, or function calls like lower(email)`,
      i,
    );
  }
  tokens.push({ type: 'end', pos: source.length, end: source.length });
  return tokens;
}

function isAfterOperand(tokens: Token[]): boolean {
  const last = tokens[tokens.length - 1];
  return last !== undefined && (last.type === 'name' || last.type === ']' || last.type === ')');
}

const describeToken = (token: Token): string => {
  switch (token.type) {
    case 'end':
      return 'the end of the expression';
    case 'name':
      return `"${token.value}"`;
    case 'string':
      return `text ${JSON.stringify(token.value)}`;
    case 'number':
      return `the number ${token.value}`;
    case 'jsonpath':
      return `the JSONPath ${token.value}`;
    default:
      return `"${token.type}"`;
  }
};

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }
  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.index++;
    return token;
  }

  parseAll(): Node {
    if (this.peek().type === 'end') {
      throw new ExpressionError(
        'the expression is empty: give a path like "email", a constant like "\'x\'", or a call like "lower(email)"',
        0,
      );
    }
    const node = this.parseExpression();
    const rest = this.peek();
    if (rest.type !== 'end') {
      throw new ExpressionError(
        `unexpected ${describeToken(rest)} after a complete expression${rest.type === ',' ? ' (a "," only separates function arguments)' : ''}`,
        rest.pos,
      );
    }
    return node;
  }

  private parseExpression(): Node {
    const token = this.next();
    switch (token.type) {
      case 'string':
        return { kind: 'literal', value: token.value, pos: token.pos, end: token.end };
      case 'number':
        return { kind: 'literal', value: token.value, pos: token.pos, end: token.end };
      case 'jsonpath':
        return { kind: 'jsonpath', path: token.value, pos: token.pos, end: token.end };
      case 'name': {
        const after = this.peek();
        if (after.type === '(') return this.parseCall(token.value, token.pos);
        if (after.type !== '.' && after.type !== '[') {
          if (token.value === 'true' || token.value === 'false') {
            return {
              kind: 'literal',
              value: token.value === 'true',
              pos: token.pos,
              end: token.end,
            };
          }
          if (token.value === 'null') {
            return { kind: 'literal', value: null, pos: token.pos, end: token.end };
          }
        }
        return this.parsePath(token.value, token.pos, token.end);
      }
      default:
        throw new ExpressionError(
          `expected a path, a constant or a function call, found ${describeToken(token)}`,
          token.pos,
        );
    }
  }

  private parsePath(root: string, pos: number, rootEnd: number): Node {
    const segments: PathSegment[] = [];
    let end = rootEnd;
    for (;;) {
      const token = this.peek();
      if (token.type === '.') {
        this.next();
        const name = this.next();
        if (name.type !== 'name') {
          throw new ExpressionError(
            name.type === 'number'
              ? `use [${name.value}] for an array element, or quote keys that start with a digit: ["${name.value}"]`
              : `expected a field name after ".", found ${describeToken(name)}`,
            name.pos,
          );
        }
        segments.push(name.value);
        end = name.end;
      } else if (token.type === '[') {
        this.next();
        const key = this.next();
        if (key.type === 'string') segments.push(key.value);
        else if (key.type === 'number' && Number.isInteger(key.value) && key.value >= 0) {
          segments.push(key.value);
        } else {
          throw new ExpressionError(
            `expected a quoted key like ["signup.source"] or an element index like [0] inside [ ], found ${describeToken(key)}`,
            key.pos,
          );
        }
        const close = this.next();
        if (close.type !== ']') {
          throw new ExpressionError(`expected "]", found ${describeToken(close)}`, close.pos);
        }
        end = close.end;
      } else {
        return { kind: 'path', root, segments, pos, end };
      }
    }
  }

  /** Calls open around the one being parsed: the parser recurses into arguments. */
  private depth = 0;

  private parseCall(name: string, pos: number): Node {
    if (this.depth >= MAX_NESTING) {
      throw new ExpressionError(
        `calls nest more than ${MAX_NESTING} levels deep here, the most an expression may: split the work over several columns, or use a JavaScript or Python transformation`,
        pos,
      );
    }
    this.depth++;
    try {
      return this.parseArguments(name, pos);
    } finally {
      this.depth--;
    }
  }

  private parseArguments(name: string, pos: number): Node {
    this.next(); // (
    const args: Node[] = [];
    if (this.peek().type === ')') {
      const close = this.next();
      return { kind: 'call', name, args, pos, end: close.end };
    }
    for (;;) {
      args.push(this.parseExpression());
      const token = this.next();
      if (token.type === ')') return { kind: 'call', name, args, pos, end: token.end };
      if (token.type !== ',') {
        throw new ExpressionError(
          token.type === 'end'
            ? `the call of ${name}( is not closed: add ")"`
            : `expected "," or ")" in the call of ${name}(, found ${describeToken(token)}`,
          token.pos,
        );
      }
    }
  }
}

export function parseExpression(source: string): Node {
  return new Parser(tokenize(source)).parseAll();
}
