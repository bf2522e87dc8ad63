/**
 * Property tests over random realistic customers and random filters drawn from the operator
 * table: push-down never excludes a matching customer (so results are identical with and without
 * it, since the local filter still runs afterwards), and evaluation is deterministic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OPERATORS,
  compileFilter,
  parseTimeValue,
  resolvePropertyType,
  restrictToCreatedFrom,
  type CompiledFilter,
  type PropertyType,
  type PushDown,
} from '../../connector/filter/index.js';
import { DAY, NOW, NOW_S } from './helpers.js';

// ------------------------------------------------------------------ customers

const EMAILS = [
  'jane@example.com',
  'JANE@Example.com',
  'joe@acme.io',
  "o'brien@acme.io",
  'x@example.com',
  '',
];
const NAMES = ['Jane Doe', 'jane doe', 'Joe Smith', 'ACME Corp', "O'Brien", 'Back\\slash Ltd'];
const PHONES = ['+49 30 1234', '+1 555 0100', '+4930999'];
const META_KEYS = ['plan', 'signup.source', 'account manager', "it's"];
const META_VALUES = ['pro', 'Pro', 'PRO', 'basic', 'team', 'ads', "it's", ''];
const COUNTRIES = ['US', 'us', 'DE', 'FR', ''];
const LOCALES = ['en', 'EN', 'fr', 'de-DE'];
const OLDEST = NOW_S - 400 * DAY;

/** Days that filter values name; customers are often created at their edges. */
const DAYS = ['2024-01-31', '2024-02-01', '2024-06-14', '2024-06-15', '2024-06-16'];

/** Day boundaries and their neighbours, where off-by-one mistakes live. */
const EDGE_TIMES = [
  ...DAYS.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000),
  Date.parse('2024-06-17T00:00:00Z') / 1000,
  NOW_S - 30 * DAY,
  NOW_S - 14 * DAY,
  NOW_S,
].flatMap((t) => [t - 1, t, t + 1]);

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) });

/** Customers' created: half on or next to a day boundary that filter values also use. */
const createdArb = fc.oneof(
  fc.integer({ min: OLDEST, max: NOW_S + DAY }),
  fc.constantFrom(...EDGE_TIMES),
);

const customerArb: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      created: createdArb,
      email: nullable(fc.constantFrom(...EMAILS)),
      name: nullable(fc.constantFrom(...NAMES)),
      phone: nullable(fc.constantFrom(...PHONES)),
      metadata: nullable(
        fc.dictionary(fc.constantFrom(...META_KEYS), fc.constantFrom(...META_VALUES), {
          maxKeys: 4,
        }),
      ),
      balance: nullable(fc.integer({ min: -1000, max: 1000 })),
      address: nullable(
        fc.record({ country: nullable(fc.constantFrom(...COUNTRIES)) }, { requiredKeys: [] }),
      ),
      delinquent: nullable(fc.boolean()),
      preferred_locales: nullable(fc.array(fc.constantFrom(...LOCALES), { maxLength: 3 })),
    },
    { requiredKeys: ['created'] },
  )
  .map((fields) => ({ id: 'cus_test', object: 'customer', ...fields }));

// ------------------------------------------------------------------ filters

const PROPERTIES: string[] = [
  'email',
  'name',
  'phone',
  'metadata.plan',
  'metadata["signup.source"]',
  "metadata['account manager']",
  `metadata["it's"]`,
  'address.country',
  'created',
  'balance',
  'delinquent',
  'preferred_locales',
  'metadata',
  'address',
];

const TEXT_VALUES = [
  ...EMAILS.filter((e) => e !== ''),
  ...NAMES,
  ...PHONES,
  ...META_VALUES.filter((v) => v !== ''),
  ...COUNTRIES.filter((c) => c !== ''),
  'example',
  'acme',
  'jane',
  'doe',
  '@example.com',
  '+49',
  'ja',
  "o'b",
];
const TIME_VALUES: unknown[] = [
  ...DAYS,
  '2024-06-14T23:59:59Z',
  '30 days ago',
  '2 weeks ago',
  '6 months ago',
  '1 year ago',
  'today',
  'yesterday',
  'now',
  String(NOW_S - 100 * DAY),
];

const caseVariant = (text: string): fc.Arbitrary<string> =>
  fc.constantFrom(text, text.toUpperCase(), text.toLowerCase());

/** Whole values and pieces (prefix, suffix, infix) of `pool`, in varied case. */
const textArb = (pool: readonly string[]): fc.Arbitrary<string> => {
  const whole = fc.constantFrom(...pool.filter((t) => t !== ''));
  return fc.oneof(
    whole,
    whole.chain(caseVariant),
    whole
      .chain((text) =>
        fc
          .tuple(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: text.length }))
          .map(([start, length]) => text.slice(start, start + length) || text),
      )
      .chain(caseVariant),
  );
};

/** Text values for a property: mostly from what that field holds, so conditions often match. */
function textFor(property: string): fc.Arbitrary<string> {
  const own = property.startsWith('email')
    ? EMAILS
    : property.startsWith('name')
      ? NAMES
      : property.startsWith('phone')
        ? PHONES
        : property.startsWith('metadata')
          ? META_VALUES
          : property.startsWith('address')
            ? COUNTRIES
            : TEXT_VALUES;
  return fc.oneof(
    { weight: 4, arbitrary: textArb(own) },
    { weight: 1, arbitrary: textArb(TEXT_VALUES) },
  );
}

function valueArb(type: PropertyType, property: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return textFor(property);
    case 'array':
      return fc.constantFrom(...LOCALES, 'EN-us').chain(caseVariant);
    case 'number':
      return fc.oneof(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: -50, max: 50 }).map(String),
      );
    case 'timestamp':
      return fc.oneof(
        createdArb,
        fc.constantFrom(...EDGE_TIMES),
        fc.constantFrom(...DAYS),
        fc.constantFrom(...TIME_VALUES),
      );
    case 'boolean':
      return fc.constantFrom(true, false, 'true', 'false');
    case 'object':
      return fc.constant(null);
  }
}

/** Orders [a, b] so that low <= high, as is_between requires. */
function ordered(type: PropertyType, [a, b]: [unknown, unknown]): unknown[] {
  const key = (v: unknown): number => {
    if (type === 'number') return Number(v);
    const parsed = parseTimeValue(v, NOW);
    if (!parsed.ok) throw new Error(parsed.problem);
    return parsed.range.start;
  };
  return key(a) <= key(b) ? [a, b] : [b, a];
}

function conditionOn(
  properties: readonly string[],
  allowed?: readonly string[],
): fc.Arbitrary<Record<string, unknown>> {
  return fc.constantFrom(...properties).chain((property) => {
    const type = resolvePropertyType(property);
    const operators = OPERATORS.filter(
      (o) => o.types.includes(type) && (!allowed || allowed.includes(o.id)),
    );
    return fc.constantFrom(...operators).chain((operator) => {
      const values: fc.Arbitrary<unknown[]> =
        operator.values === 'none'
          ? fc.constant([])
          : operator.values === 'one'
            ? valueArb(type, property).map((v) => [v])
            : operator.values === 'two'
              ? fc
                  .tuple(valueArb(type, property), valueArb(type, property))
                  .map((pair) => ordered(type, pair))
              : fc.array(valueArb(type, property), { minLength: 1, maxLength: 3 });
      return fc
        .record({ values, case_sensitive: fc.boolean() })
        .map(({ values: v, case_sensitive }) => ({
          property,
          operator: operator.id,
          ...(operator.values === 'none' && v.length === 0 ? {} : { values: v }),
          ...(case_sensitive ? { case_sensitive } : {}),
        }));
    });
  });
}

/** Any property, any operator its type allows. */
const conditionArb = conditionOn(PROPERTIES);

function nodeArb(depth: number): fc.Arbitrary<unknown> {
  if (depth === 0) return conditionArb;
  return fc.oneof(
    { weight: 3, arbitrary: conditionArb },
    { weight: 1, arbitrary: groupArb(depth - 1) },
  );
}

function groupArb(depth: number): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    logical: fc.constantFrom('all', 'any'),
    conditions: fc.array(nodeArb(depth), { maxLength: 4 }),
  });
}

/** Any filter the operator table allows, nested up to 3 levels. */
const filterArb = groupArb(2);

/**
 * Filters shaped to push down a lot: a top-level "all" mostly of conditions on the fields and
 * operators the push-down uses (plus their negations, which it must leave alone).
 */
const pushableConditionArb = fc.oneof(
  conditionOn(
    ['email', 'name', 'phone'],
    ['is', 'is_one_of', 'contains', 'starts_with', 'ends_with', 'is_not', 'does_not_contain'],
  ),
  conditionOn(
    ['metadata.plan', `metadata["it's"]`, 'metadata["signup.source"]'],
    ['is', 'is_one_of', 'is_not'],
  ),
  conditionOn(['created']),
);
const pushableFilterArb = fc.record({
  logical: fc.constant('all'),
  conditions: fc.array(
    fc.oneof({ weight: 5, arbitrary: pushableConditionArb }, { weight: 1, arbitrary: nodeArb(1) }),
    { minLength: 1, maxLength: 3 },
  ),
});

const compile = (spec: unknown): CompiledFilter => compileFilter(spec, { now: NOW });

// ------------------------------------------------------------------ a reference for Stripe search

type Clause =
  | { field: 'email' | 'name' | 'phone'; op: ':' | '~'; value: string }
  | { field: 'metadata'; key: string; op: ':'; value: string }
  | { field: 'created'; op: '>=' | '<=' | '>' | '<' | '='; value: number };

/**
 * Parses the subset of Stripe's search query language the push-down may emit, strictly (anything
 * else throws, so the test also checks the syntax): clauses joined by " AND ", single-quoted
 * strings with backslash escapes, at most 10 clauses.
 */
function parseSearchQuery(query: string): Clause[] {
  let i = 0;
  const clauses: Clause[] = [];
  const expect_ = (text: string) => {
    if (!query.startsWith(text, i)) throw new Error(`expected ${text} at ${i} in ${query}`);
    i += text.length;
  };
  const quoted = (): string => {
    expect_("'");
    let out = '';
    while (i < query.length && query[i] !== "'") {
      if (query[i] === '\\') {
        i++;
        if (query[i] !== '\\' && query[i] !== "'")
          throw new Error(`bad escape at ${i} in ${query}`);
      }
      out += query[i];
      i++;
    }
    expect_("'");
    return out;
  };
  for (;;) {
    const field = /^(email|name|phone|metadata|created)/.exec(query.slice(i))?.[1];
    if (!field) throw new Error(`unknown field at ${i} in ${query}`);
    i += field.length;
    if (field === 'metadata') {
      expect_('[');
      const key = quoted();
      expect_(']');
      expect_(':');
      clauses.push({ field, key, op: ':', value: quoted() });
    } else if (field === 'created') {
      const m = /^(>=|<=|>|<|=)(-?\d+)/.exec(query.slice(i));
      if (!m) throw new Error(`bad created clause at ${i} in ${query}`);
      i += m[0].length;
      clauses.push({ field, op: m[1] as '>=', value: Number(m[2]) });
    } else {
      const op = query[i];
      if (op !== ':' && op !== '~') throw new Error(`bad operator at ${i} in ${query}`);
      i++;
      const value = quoted();
      if (op === '~' && [...value].length < 3) throw new Error(`~ needs 3+ characters: ${query}`);
      clauses.push({ field: field as 'email', op, value });
    }
    if (i === query.length) break;
    expect_(' AND ');
  }
  if (clauses.length > 10) throw new Error(`more than 10 clauses: ${query}`);
  return clauses;
}

/**
 * Stripe's semantics, assumed as strictly as plausible: email/name/phone exact or substring,
 * case-insensitive; metadata exact and case-SENSITIVE; a missing or null field matches nothing.
 */
function searchAdmits(query: string, customer: Record<string, unknown>): boolean {
  return parseSearchQuery(query).every((clause) => {
    switch (clause.field) {
      case 'created': {
        const created = customer.created;
        if (typeof created !== 'number') return false;
        const v = clause.value;
        return {
          '>=': created >= v,
          '<=': created <= v,
          '>': created > v,
          '<': created < v,
          '=': created === v,
        }[clause.op];
      }
      case 'metadata': {
        const metadata = customer.metadata;
        if (typeof metadata !== 'object' || metadata === null) return false;
        return (
          Object.hasOwn(metadata, clause.key) &&
          (metadata as Record<string, unknown>)[clause.key] === clause.value
        );
      }
      default: {
        const actual = customer[clause.field];
        if (typeof actual !== 'string') return false;
        const a = actual.toLowerCase();
        const v = clause.value.toLowerCase();
        return clause.op === ':' ? a === v : a.includes(v);
      }
    }
  });
}

/** Whether Stripe, given this push-down, would return the customer. */
function pushDownAdmits(pushDown: PushDown, customer: Record<string, unknown>): boolean {
  const created = customer.created as number;
  if (pushDown.created?.gte !== undefined && !(created >= pushDown.created.gte)) return false;
  if (pushDown.created?.lte !== undefined && !(created <= pushDown.created.lte)) return false;
  if (pushDown.email !== undefined && customer.email !== pushDown.email) return false;
  if (pushDown.searchQuery !== undefined && !searchAdmits(pushDown.searchQuery, customer))
    return false;
  return true;
}

// ------------------------------------------------------------------ properties

const RUNS = 400;

describe('push-down is implied by the filter', () => {
  it('the reference search evaluator parses what the push-down emits (sanity)', () => {
    expect(parseSearchQuery(`email:'a\\'b' AND metadata['k']:'v' AND created>=5`)).toHaveLength(3);
    expect(() => parseSearchQuery(`email:'a' OR name:'b'`)).toThrow();
    expect(searchAdmits(`name~'DOE'`, { name: 'jane doe' })).toBe(true);
    expect(searchAdmits(`metadata['plan']:'pro'`, { metadata: { plan: 'Pro' } })).toBe(false);
  });

  // [label, filters, runs, how many runs must have produced a non-empty push-down]
  for (const [label, arb, runs, minNarrowed] of [
    ['any filter', filterArb, RUNS, RUNS / 40],
    ['filters rich in pushable conditions', pushableFilterArb, 3 * RUNS, RUNS],
  ] as const) {
    it(`every matching customer satisfies the push-down (${label})`, () => {
      let matched = 0;
      let narrowed = 0;
      fc.assert(
        fc.property(
          arb,
          fc.array(customerArb, { minLength: 1, maxLength: 30 }),
          (spec, customers) => {
            const filter = compile(spec);
            const pushDown = filter.pushDown;
            if (Object.keys(pushDown).length > 0) narrowed++;
            for (const customer of customers) {
              if (!filter.matches(customer)) continue;
              matched++;
              expect(
                pushDownAdmits(pushDown, customer),
                JSON.stringify({ pushDown, customer }),
              ).toBe(true);
            }
          },
        ),
        { numRuns: runs },
      );
      // not vacuous: plenty of matches and of push-downs were exercised
      expect(matched).toBeGreaterThan(runs / 2);
      expect(narrowed).toBeGreaterThan(minNarrowed);
    });
  }

  it('results are identical with and without push-down (and with a start date)', () => {
    fc.assert(
      fc.property(
        pushableFilterArb,
        fc.array(customerArb, { maxLength: 30 }),
        fc.option(createdArb, { nil: undefined }),
        (spec, customers, startDate) => {
          // What the pipeline does: start_date folded into the filter, what Stripe returns for
          // the push-down, then the local filter. The reference applies start_date by hand.
          const filter = restrictToCreatedFrom(compile(spec), startDate);
          const inRange = (c: Record<string, unknown>) =>
            startDate === undefined || (c.created as number) >= startDate;
          const plain = compile(spec);
          const expected = customers.filter(inRange).filter((c) => plain.matches(c));
          expect(customers.filter((c) => filter.matches(c))).toEqual(expected);
          const withPushDown = customers
            .filter((c) => pushDownAdmits(filter.pushDown, c))
            .filter((c) => filter.matches(c));
          expect(withPushDown).toEqual(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('evaluation is deterministic and pure', () => {
  it('same filter, same customer, same answer; nothing is mutated', () => {
    fc.assert(
      fc.property(filterArb, customerArb, (spec, customer) => {
        const specCopy = structuredClone(spec);
        const customerCopy = structuredClone(customer);
        const a = compile(spec);
        const b = compile(spec);
        const first = a.matches(customer);
        expect(a.matches(customer)).toBe(first);
        expect(b.matches(customer)).toBe(first);
        expect(b.pushDown).toEqual(a.pushDown);
        expect(b.matchesAll).toBe(a.matchesAll);
        expect(spec).toEqual(specCopy);
        expect(customer).toEqual(customerCopy);
      }),
      { numRuns: RUNS },
    );
  });

  it('a filter given as JSON text compiles to the same filter', () => {
    fc.assert(
      fc.property(filterArb, customerArb, (spec, customer) => {
        expect(compile(JSON.stringify(spec)).matches(customer)).toBe(
          compile(spec).matches(customer),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('"any" of one condition, "all" of one condition and the bare condition agree', () => {
    fc.assert(
      fc.property(conditionArb, customerArb, (condition, customer) => {
        const bare = compile({ conditions: [condition] });
        expect(compile({ logical: 'any', conditions: [condition] }).matches(customer)).toBe(
          bare.matches(customer),
        );
        expect(
          compile({ logical: 'all', conditions: [{ logical: 'any', conditions: [condition] }] })
            .pushDown,
        ).toEqual(bare.pushDown);
      }),
      { numRuns: RUNS },
    );
  });
});
