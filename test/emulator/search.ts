/**
 * The subset of Stripe's Search Query Language that customer search supports:
 *   clause  = ["-"] field op value
 *   field   = email | name | phone | created | metadata["key"] | metadata['key']
 *   op      = ":" (equals; strings case-insensitively) | "~" (substring, >= 3 chars, strings only)
 *           | ">" | "<" | ">=" | "<=" (created only)
 *   value   = 'quoted' | "quoted" (backslash escapes quotes) | integer | null
 *   query   = clause { (" AND " | " OR ") clause }   -- AND and OR may not be mixed; <= 10 clauses
 * `field:null` matches a missing value. Anything else is a 400 naming the position.
 * A query's AND-ed `created` bounds become a range read from the ordered index (`planQuery`), so
 * slicing by `created` through search costs O(log N + page), as a full import through search needs.
 */
import { invalidRequest } from './errors.js';
import type { Customer } from './model.js';
import type { CreatedRange } from './ordered.js';

type Op = ':' | '~' | '>' | '<' | '>=' | '<=';

interface Clause {
  negated: boolean;
  field: 'email' | 'name' | 'phone' | 'created' | 'metadata';
  key?: string;
  op: Op;
  value: string | number | null;
}

export type Matcher = (c: Customer) => boolean;

const STRING_FIELDS = ['email', 'name', 'phone'] as const;
const MAX_CLAUSES = 10;

class QueryError extends Error {}

/**
 * How a query runs: `range` is the `created` slice its AND-ed, non-negated `created` clauses
 * bound (read from the ordered index instead of scanning every customer); `residual` tests the
 * other clauses (undefined when there are none); `matches` tests the whole query.
 */
export interface QueryPlan {
  range?: CreatedRange;
  residual?: Matcher;
  matches: Matcher;
}

export function compileQuery(query: string): Matcher {
  return planQuery(query).matches;
}

export function planQuery(query: string): QueryPlan {
  let clauses: Clause[];
  let joiner: 'AND' | 'OR' | undefined;
  try {
    ({ clauses, joiner } = parse(query));
  } catch (e) {
    if (e instanceof QueryError) {
      throw invalidRequest(
        `${e.message} See https://stripe.com/docs/search#search-query-language for the query syntax.`,
        'query',
      );
    }
    throw e;
  }
  const tests = clauses.map(compileClause);
  const all = joinTests(tests, joiner);
  if (joiner === 'OR') return { residual: all, matches: all };
  const bounding = clauses.map((c) => c.field === 'created' && !c.negated);
  const range = createdRange(clauses.filter((_, i) => bounding[i]));
  const rest = tests.filter((_, i) => !bounding[i]);
  return {
    ...(range ? { range } : {}),
    ...(rest.length > 0 ? { residual: joinTests(rest, 'AND') } : {}),
    matches: all,
  };
}

function joinTests(tests: Matcher[], joiner: 'AND' | 'OR' | undefined): Matcher {
  if (tests.length === 1) return tests[0] as Matcher;
  return joiner === 'OR' ? (c) => tests.some((t) => t(c)) : (c) => tests.every((t) => t(c));
}

/** The intersection of `created` comparisons (integers, already validated), as gte/lte. */
function createdRange(clauses: Clause[]): CreatedRange | undefined {
  if (clauses.length === 0) return undefined;
  let gte = -Infinity;
  let lte = Infinity;
  for (const { op, value } of clauses) {
    const v = value as number;
    if (op === ':' || op === '>=' || op === '>') gte = Math.max(gte, op === '>' ? v + 1 : v);
    if (op === ':' || op === '<=' || op === '<') lte = Math.min(lte, op === '<' ? v - 1 : v);
  }
  return {
    ...(gte !== -Infinity ? { gte } : {}),
    ...(lte !== Infinity ? { lte } : {}),
  };
}

function parse(query: string): { clauses: Clause[]; joiner?: 'AND' | 'OR' } {
  const p = new Parser(query);
  p.skipSpaces();
  if (p.done()) throw new QueryError('Invalid query: the query is empty.');
  const clauses = [p.clause()];
  let joiner: 'AND' | 'OR' | undefined;
  for (;;) {
    const hadSpace = p.skipSpaces();
    if (p.done()) break;
    const word = p.word();
    if (!hadSpace || (word !== 'AND' && word !== 'OR')) {
      throw new QueryError(
        `Invalid query: expected AND or OR at position ${p.pos - word.length}, found '${word || p.rest(10)}'.`,
      );
    }
    if (joiner && joiner !== word) {
      throw new QueryError('Invalid query: AND and OR cannot be combined in the same query.');
    }
    joiner = word;
    if (!p.skipSpaces()) throw new QueryError(`Invalid query: expected a space after ${word}.`);
    clauses.push(p.clause());
    if (clauses.length > MAX_CLAUSES) {
      throw new QueryError(`Invalid query: a query can have at most ${MAX_CLAUSES} clauses.`);
    }
  }
  return { clauses, joiner };
}

class Parser {
  pos = 0;

  constructor(private readonly s: string) {}

  done(): boolean {
    return this.pos >= this.s.length;
  }

  rest(n: number): string {
    return this.s.slice(this.pos, this.pos + n);
  }

  skipSpaces(): boolean {
    const start = this.pos;
    while (!this.done() && /\s/.test(this.s[this.pos] as string)) this.pos++;
    return this.pos > start;
  }

  word(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.pos));
    const w = m ? m[0] : '';
    this.pos += w.length;
    return w;
  }

  clause(): Clause {
    const negated = this.s[this.pos] === '-';
    if (negated) this.pos++;
    const at = this.pos;
    const name = this.word();
    if (!name) throw new QueryError(`Invalid query: expected a field name at position ${at}.`);
    let key: string | undefined;
    if (name === 'metadata') {
      if (this.s[this.pos] !== '[') {
        throw new QueryError(
          `Invalid query: metadata must name a key, as in metadata['key'], at position ${this.pos}.`,
        );
      }
      this.pos++;
      key = this.quoted();
      if (this.s[this.pos] !== ']') {
        throw new QueryError(`Invalid query: expected ']' at position ${this.pos}.`);
      }
      this.pos++;
    } else if (name !== 'created' && !(STRING_FIELDS as readonly string[]).includes(name)) {
      throw new QueryError(
        `Field \`${name}\` is an unsupported search field for resource \`customers\`. See https://stripe.com/docs/search#query-fields-for-customers for a list of supported fields.`,
      );
    }
    const op = this.op();
    const value = this.value();
    return { negated, field: name as Clause['field'], key, op, value };
  }

  private op(): Op {
    for (const op of ['>=', '<=', ':', '~', '>', '<'] as const) {
      if (this.s.startsWith(op, this.pos)) {
        this.pos += op.length;
        return op;
      }
    }
    throw new QueryError(
      `Invalid query: expected an operator (:, ~, >, <, >=, <=) at position ${this.pos}, found '${this.rest(10)}'.`,
    );
  }

  private value(): string | number | null {
    const ch = this.s[this.pos];
    if (ch === "'" || ch === '"') return this.quoted();
    const m = /^(-?\d+(?:\.\d+)?|null)(?![\w.])/.exec(this.s.slice(this.pos));
    if (!m) {
      throw new QueryError(
        `Invalid query: expected a quoted string, a number or null at position ${this.pos}, found '${this.rest(10)}'. String values must be quoted.`,
      );
    }
    this.pos += m[0].length;
    return m[0] === 'null' ? null : Number(m[0]);
  }

  private quoted(): string {
    const quote = this.s[this.pos];
    if (quote !== "'" && quote !== '"') {
      throw new QueryError(`Invalid query: expected a quoted string at position ${this.pos}.`);
    }
    const start = this.pos;
    this.pos++;
    let out = '';
    while (!this.done()) {
      const ch = this.s[this.pos] as string;
      if (ch === '\\' && this.pos + 1 < this.s.length) {
        out += this.s[this.pos + 1];
        this.pos += 2;
      } else if (ch === quote) {
        this.pos++;
        return out;
      } else {
        out += ch;
        this.pos++;
      }
    }
    throw new QueryError(`Invalid query: unterminated string starting at position ${start}.`);
  }
}

function compileClause(clause: Clause): Matcher {
  const test = clauseTest(clause);
  return clause.negated ? (c) => !test(c) : test;
}

function clauseTest(clause: Clause): Matcher {
  const { field, op, value } = clause;
  if (field === 'created') {
    if (op === '~')
      throw queryError('the ~ operator is not supported on the numeric field created');
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw queryError('created must be compared with an integer (a Unix timestamp)');
    }
    switch (op) {
      case ':':
        return (c) => c.created === value;
      case '>':
        return (c) => c.created > value;
      case '>=':
        return (c) => c.created >= value;
      case '<':
        return (c) => c.created < value;
      case '<=':
        return (c) => c.created <= value;
    }
  }
  if (op !== ':' && op !== '~') {
    throw queryError(`the ${op} operator is only supported on numeric fields such as created`);
  }
  const read: (c: Customer) => string | null | undefined =
    field === 'metadata' ? (c) => c.metadata[clause.key as string] : (c) => c[field];
  if (value === null) {
    if (op === '~') throw queryError('null cannot be used with the ~ operator');
    return (c) => read(c) == null;
  }
  if (typeof value === 'number') {
    throw queryError(`values for ${field} must be quoted strings`);
  }
  const wanted = value.toLowerCase();
  if (op === '~') {
    if (field === 'metadata') throw queryError('the ~ operator is not supported on metadata');
    if (value.length < 3) throw queryError('substring search (~) needs at least 3 characters');
    return (c) => read(c)?.toLowerCase().includes(wanted) ?? false;
  }
  return (c) => read(c)?.toLowerCase() === wanted;
}

function queryError(reason: string): Error {
  return invalidRequest(`Invalid query: ${reason}.`, 'query');
}
