import { describe, expect, it } from 'vitest';
import type { PushDown } from '../../connector/filter/index.js';
import { withStartDate } from '../../connector/filter/pushdown.js';
import { DAY, at, compile } from './helpers.js';

describe('groups', () => {
  // (address.country is US and metadata.plan is pro) or balance < 0
  const filter = compile({
    logical: 'any',
    conditions: [
      {
        logical: 'all',
        conditions: [
          { property: 'address.country', operator: 'is', values: ['US'] },
          { property: 'metadata.plan', operator: 'is', values: ['pro'] },
        ],
      },
      { property: 'balance', operator: 'less_than', values: [0] },
    ],
  });

  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['US + pro', { address: { country: 'US' }, metadata: { plan: 'pro' }, balance: 0 }, true],
    [
      'us + PRO (case-insensitive)',
      { address: { country: 'us' }, metadata: { plan: 'PRO' } },
      true,
    ],
    ['US only', { address: { country: 'US' }, metadata: { plan: 'basic' }, balance: 10 }, false],
    ['pro only', { address: { country: 'DE' }, metadata: { plan: 'pro' }, balance: 0 }, false],
    ['credit only', { address: null, metadata: {}, balance: -500 }, true],
    [
      'credit and US + pro',
      { address: { country: 'US' }, metadata: { plan: 'pro' }, balance: -1 },
      true,
    ],
    ['nothing set', { id: 'cus_1' }, false],
    ['null balance, no address', { address: null, balance: null }, false],
  ];
  for (const [name, customer, expected] of cases) {
    it(`${name} -> ${expected}`, () => expect(filter.matches(customer)).toBe(expected));
  }

  it('pushes nothing down from an "any" of several branches', () => {
    expect(filter.pushDown).toEqual({});
    expect(filter.matchesAll).toBe(false);
  });

  it('absent, null, empty and all-empty filters match everything', () => {
    const specs: unknown[] = [
      undefined,
      null,
      '',
      '  ',
      {},
      { logical: 'any' },
      { conditions: [] },
      { logical: 'any', conditions: [] },
      { logical: 'all', conditions: [{ logical: 'any', conditions: [] }, { conditions: [] }] },
    ];
    for (const spec of specs) {
      const f = compile(spec);
      expect(f.matchesAll, JSON.stringify(spec)).toBe(true);
      expect(f.matches({ id: 'cus_1' })).toBe(true);
      expect(f.pushDown).toEqual({});
    }
  });

  it('an empty nested group adds no constraint in either logical', () => {
    const f = compile({
      logical: 'any',
      conditions: [
        { logical: 'any', conditions: [] },
        { property: 'balance', operator: 'greater_than', values: [0] },
      ],
    });
    expect(f.matchesAll).toBe(false);
    expect(f.matches({ balance: 1 })).toBe(true);
    expect(f.matches({ balance: -1 })).toBe(false);
  });

  it('accepts a filter given as JSON text (form fields)', () => {
    const f = compile(
      '{"conditions":[{"property":"email","operator":"ends_with","values":["@acme.com"]}]}',
    );
    expect(f.matches({ email: 'a@ACME.com' })).toBe(true);
    expect(f.matches({ email: 'a@b.com' })).toBe(false);
  });

  it('logical defaults to all; three-way any and all', () => {
    const all = compile({
      conditions: [
        { property: 'email', operator: 'is_not_empty' },
        { property: 'balance', operator: 'is', values: [0] },
        { property: 'delinquent', operator: 'is_false' },
      ],
    });
    expect(all.matches({ email: 'a', balance: 0, delinquent: false })).toBe(true);
    expect(all.matches({ email: 'a', balance: 0, delinquent: null })).toBe(false);
    const any = compile({
      logical: 'any',
      conditions: [
        { property: 'email', operator: 'is_not_empty' },
        { property: 'balance', operator: 'is', values: [0] },
        { property: 'delinquent', operator: 'is_true' },
      ],
    });
    expect(any.matches({ delinquent: true })).toBe(true);
    expect(any.matches({ email: '', balance: 1 })).toBe(false);
  });
});

describe('push-down', () => {
  const JAN31 = at('2024-01-31T00:00:00Z');
  const MAR1 = at('2024-03-01T00:00:00Z');
  const pushDownOf = (...conditions: unknown[]): PushDown =>
    compile({ logical: 'all', conditions }).pushDown;
  const created = (operator: string, ...values: unknown[]) => ({
    property: 'created',
    operator,
    values,
  });

  it('created bounds from every kind of created condition', () => {
    expect(pushDownOf(created('is', '2024-01-31'))).toEqual({
      created: { gte: JAN31, lte: JAN31 + DAY - 1 },
    });
    expect(pushDownOf(created('is_after', '2024-01-31'))).toEqual({
      created: { gte: JAN31 + DAY },
    });
    expect(pushDownOf(created('greater_than', JAN31))).toEqual({ created: { gte: JAN31 + 1 } });
    expect(pushDownOf(created('greater_than', JAN31 + 0.5))).toEqual({
      created: { gte: JAN31 + 1 },
    });
    expect(pushDownOf(created('is_on_or_after', '2024-01-31'))).toEqual({
      created: { gte: JAN31 },
    });
    expect(pushDownOf(created('greater_than_or_equal', JAN31))).toEqual({
      created: { gte: JAN31 },
    });
    expect(pushDownOf(created('is_before', '2024-03-01'))).toEqual({ created: { lte: MAR1 - 1 } });
    expect(pushDownOf(created('less_than', MAR1))).toEqual({ created: { lte: MAR1 - 1 } });
    expect(pushDownOf(created('is_on_or_before', '2024-02-29'))).toEqual({
      created: { lte: MAR1 - 1 },
    });
    expect(pushDownOf(created('less_than_or_equal', MAR1))).toEqual({ created: { lte: MAR1 } });
    expect(pushDownOf(created('is_between', '2024-01-31', '2024-02-29'))).toEqual({
      created: { gte: JAN31, lte: MAR1 - 1 },
    });
  });

  it('fractions of a second in ISO times: strict bounds stay exact, locally and pushed down', () => {
    const ten = at('2024-01-31T10:00:00Z');
    const half = '2024-01-31T10:00:00.5Z';
    const matches = (operator: string, createdAt: number) =>
      compile(created(operator, half)).matches({ id: 'cus_1', created: createdAt });
    // 10:00:00 is before 10:00:00.5 and not after it; 10:00:01 the other way round.
    expect(matches('is_before', ten)).toBe(true);
    expect(matches('is_before', ten + 1)).toBe(false);
    expect(matches('is_after', ten)).toBe(false);
    expect(matches('is_after', ten + 1)).toBe(true);
    expect(matches('is_on_or_before', ten)).toBe(true);
    expect(matches('is_on_or_after', ten + 1)).toBe(true);
    expect(matches('is', ten)).toBe(false);
    expect(pushDownOf(created('is_before', half))).toEqual({ created: { lte: ten } });
    expect(pushDownOf(created('is_after', half))).toEqual({ created: { gte: ten + 1 } });
  });

  it('intersects several created conditions, flattening nested "all" groups and single-branch "any"', () => {
    expect(
      compile({
        logical: 'all',
        conditions: [
          created('is_after', '2024-01-01'),
          { logical: 'all', conditions: [created('is_on_or_after', '2024-01-31')] },
          { logical: 'any', conditions: [created('is_before', '2024-03-01')] },
          created('is_before', '2024-06-01'),
        ],
      }).pushDown,
    ).toEqual({ created: { gte: JAN31, lte: MAR1 - 1 } });
  });

  it('nothing from negations, presence checks or "any" branches', () => {
    expect(pushDownOf(created('is_not', '2024-01-31'))).toEqual({});
    expect(pushDownOf(created('is_not_between', '2024-01-01', '2024-01-31'))).toEqual({});
    expect(pushDownOf({ property: 'created', operator: 'exists' })).toEqual({});
    expect(
      compile({
        logical: 'any',
        conditions: [
          created('is_after', '2024-01-31'),
          { property: 'balance', operator: 'is', values: [0] },
        ],
      }).pushDown,
    ).toEqual({});
  });

  it('relative dates are resolved once, at compile time', () => {
    expect(pushDownOf(created('is_on_or_after', '30 days ago'))).toEqual({
      created: { gte: at('2024-05-16T12:00:00Z') },
    });
  });

  it('email param only from a case-sensitive email is (Stripe compares it case-sensitively)', () => {
    expect(
      pushDownOf({ property: 'email', operator: 'is', values: ['Jane@x.com'] }).email,
    ).toBeUndefined();
    expect(
      pushDownOf({
        property: 'email',
        operator: 'is',
        values: ['Jane@x.com'],
        case_sensitive: true,
      }).email,
    ).toBe('Jane@x.com');
    expect(
      pushDownOf({
        property: 'email',
        operator: 'is_one_of',
        values: ['Jane@x.com'],
        case_sensitive: true,
      }).email,
    ).toBe('Jane@x.com');
    expect(
      pushDownOf({
        property: 'email',
        operator: 'is_one_of',
        values: ['a@x.com', 'b@x.com'],
        case_sensitive: true,
      }).email,
    ).toBeUndefined();
    expect(
      pushDownOf({
        property: 'email',
        operator: 'contains',
        values: ['jane'],
        case_sensitive: true,
      }).email,
    ).toBeUndefined();
  });

  it('search query from email, name, phone, case-sensitive metadata and created', () => {
    expect(
      pushDownOf(
        { property: 'email', operator: 'is', values: ['jane@x.com'] },
        { property: 'name', operator: 'contains', values: ['Doe'] },
        { property: 'phone', operator: 'starts_with', values: ['+4930'] },
        { property: 'metadata.plan', operator: 'is', values: ['pro'], case_sensitive: true },
        created('is_after', '2024-01-31'),
      ),
    ).toEqual({
      created: { gte: JAN31 + DAY },
      searchQuery: `email:'jane@x.com' AND name~'Doe' AND phone~'+4930' AND metadata['plan']:'pro' AND created>=${JAN31 + DAY}`,
    });
  });

  it('search query escapes quotes and backslashes in keys and values', () => {
    expect(
      pushDownOf({
        property: `metadata["it's"]`,
        operator: 'is',
        values: ["O'Brien \\ co"],
        case_sensitive: true,
      }).searchQuery,
    ).toBe(`metadata['it\\'s']:'O\\'Brien \\\\ co'`);
  });

  it('no search clause when Stripe could not answer it exactly or more loosely', () => {
    const none = (condition: unknown) => expect(pushDownOf(condition).searchQuery).toBeUndefined();
    none({ property: 'metadata.plan', operator: 'is', values: ['pro'] }); // default case-insensitive
    none({ property: 'name', operator: 'contains', values: ['Al'] }); // ~ needs 3+ characters
    none({ property: 'email', operator: 'is_not', values: ['a@b.co'] });
    none({ property: 'email', operator: 'does_not_contain', values: ['spam'] });
    none({ property: 'email', operator: 'is_one_of', values: ['a@b.co', 'c@d.co'] });
    none({ property: 'email', operator: 'is_not_empty' });
    none({ property: 'address.city', operator: 'is', values: ['Berlin'] });
    none({ property: 'name', operator: 'is', values: ['line\nbreak'] });
    none(created('is_after', '2024-01-31')); // created alone: the list endpoint does it exactly
  });

  it('caps the query at 10 clauses (dropping clauses only loosens it)', () => {
    const conditions = Array.from({ length: 12 }, (_, i) => ({
      property: `metadata.k${i}`,
      operator: 'is',
      values: ['v'],
      case_sensitive: true,
    }));
    const query = compile({ conditions: [...conditions, created('is_after', '2024-01-31')] })
      .pushDown.searchQuery;
    const clauses = query?.split(' AND ') ?? [];
    expect(clauses).toHaveLength(10);
    expect(clauses.at(-1)).toBe(`created>=${JAN31 + DAY}`);
  });
});

describe('withStartDate', () => {
  const FEB1 = at('2024-02-01T00:00:00Z');

  it('narrows created.gte, never widens it', () => {
    expect(withStartDate({}, FEB1)).toEqual({ created: { gte: FEB1 } });
    expect(withStartDate({ created: { gte: FEB1 - 10, lte: FEB1 + 10 } }, FEB1)).toEqual({
      created: { gte: FEB1, lte: FEB1 + 10 },
    });
    expect(withStartDate({ created: { gte: FEB1 + 10 } }, FEB1)).toEqual({
      created: { gte: FEB1 + 10 },
    });
  });

  it('leaves the push-down alone without a start date, and never mutates its input', () => {
    const input: PushDown = { created: { lte: 5 }, email: 'a@b.co' };
    expect(withStartDate(input, undefined)).toEqual(input);
    const out = withStartDate(input, 1);
    expect(out).toEqual({ created: { gte: 1, lte: 5 }, email: 'a@b.co' });
    expect(input).toEqual({ created: { lte: 5 }, email: 'a@b.co' });
  });

  it('puts the bound into the search query too, replacing its created clauses', () => {
    const pushDown = compile({
      conditions: [
        { property: 'name', operator: 'contains', values: ["x AND created>=1'"] },
        { property: 'created', operator: 'is_after', values: [FEB1 - 100] },
        { property: 'created', operator: 'is_before', values: [FEB1 + 100] },
      ],
    }).pushDown;
    expect(pushDown.searchQuery).toBe(
      `name~'x AND created>=1\\'' AND created>=${FEB1 - 99} AND created<=${FEB1 + 99}`,
    );
    expect(withStartDate(pushDown, FEB1).searchQuery).toBe(
      `name~'x AND created>=1\\'' AND created>=${FEB1} AND created<=${FEB1 + 99}`,
    );
    expect(withStartDate(pushDown, FEB1 - 1000).searchQuery).toBe(pushDown.searchQuery);
  });
});
