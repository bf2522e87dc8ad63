/**
 * Every operator on every property type it accepts, with null values, missing paths, values of
 * the wrong runtime type, case sensitivity, inclusive bounds and relative dates (fixed now).
 */
import { describe, expect, it } from 'vitest';
import {
  OPERATORS,
  resolvePropertyType,
  type OperatorId,
  type PropertyType,
} from '../../connector/filter/index.js';
import {
  DAY,
  MISSING,
  NOW_S,
  PARENT_NULL,
  at,
  compile,
  customerWith,
  describeCase,
} from './helpers.js';

type Case = readonly [value: unknown, expected: boolean];
interface Row {
  property: string;
  operator: OperatorId;
  values?: unknown[];
  case_sensitive?: boolean;
  cases: readonly Case[];
}

const JAN31 = at('2024-01-31T00:00:00Z');
const JAN31_END = JAN31 + DAY - 1;
const TODAY = at('2024-06-15T00:00:00Z');
const YESTERDAY = TODAY - DAY;
const DAYS_30_AGO = NOW_S - 30 * DAY;
const WEEKS_2_AGO = NOW_S - 14 * DAY;
const MONTHS_6_AGO = at('2023-12-15T12:00:00Z');
const YEAR_1_AGO = at('2023-06-15T12:00:00Z');

/** The cases every type shares for the presence operators. */
const presence = (property: string, sample: unknown): Row[] => [
  {
    property,
    operator: 'is_null',
    cases: [
      [null, true],
      [MISSING, true],
      [sample, false],
    ],
  },
  {
    property,
    operator: 'is_not_null',
    cases: [
      [null, false],
      [MISSING, false],
      [sample, true],
    ],
  },
  {
    property,
    operator: 'exists',
    cases: [
      [null, true],
      [MISSING, false],
      [sample, true],
    ],
  },
  {
    property,
    operator: 'does_not_exist',
    cases: [
      [null, false],
      [MISSING, true],
      [sample, false],
    ],
  },
];

const ROWS: Row[] = [
  // ---------------------------------------------------------------- string
  {
    property: 'email',
    operator: 'is',
    values: ['jane@example.com'],
    cases: [
      ['jane@example.com', true],
      ['JANE@Example.COM', true],
      ['jane@example.org', false],
      ['jane@example.com ', false],
      ['', false],
      [null, false],
      [MISSING, false],
      [42, false],
    ],
  },
  {
    property: 'email',
    operator: 'is',
    values: ['Jane@Example.com'],
    case_sensitive: true,
    cases: [
      ['Jane@Example.com', true],
      ['jane@example.com', false],
      [null, false],
    ],
  },
  {
    property: 'email',
    operator: 'is_not',
    values: ['jane@example.com'],
    cases: [
      ['jane@example.com', false],
      ['JANE@EXAMPLE.COM', false],
      ['joe@example.com', true],
      ['', true],
      [null, true],
      [MISSING, true],
      [42, true],
    ],
  },
  {
    property: 'email',
    operator: 'is_not',
    values: ['jane@example.com'],
    case_sensitive: true,
    cases: [
      ['JANE@EXAMPLE.COM', true],
      ['jane@example.com', false],
    ],
  },
  {
    property: 'metadata.plan',
    operator: 'is_one_of',
    values: ['pro', 'team', 7],
    cases: [
      ['pro', true],
      ['TEAM', true],
      ['7', true],
      ['basic', false],
      [null, false],
      [MISSING, false],
      [PARENT_NULL, false],
    ],
  },
  {
    property: 'metadata.plan',
    operator: 'is_one_of',
    values: ['pro', 'team'],
    case_sensitive: true,
    cases: [
      ['pro', true],
      ['Pro', false],
    ],
  },
  {
    property: 'metadata.plan',
    operator: 'is_not_one_of',
    values: ['pro', 'team'],
    cases: [
      ['pro', false],
      ['Team', false],
      ['basic', true],
      [null, true],
      [MISSING, true],
      [PARENT_NULL, true],
    ],
  },
  {
    property: 'name',
    operator: 'contains',
    values: ['smith'],
    cases: [
      ['Jane Smith', true],
      ['SMITHERS', true],
      ['Jane Smyth', false],
      ['', false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'name',
    operator: 'contains',
    values: ['Smith'],
    case_sensitive: true,
    cases: [
      ['Jane Smith', true],
      ['jane smith', false],
    ],
  },
  {
    property: 'name',
    operator: 'does_not_contain',
    values: ['smith'],
    cases: [
      ['Jane Smith', false],
      ['Jane Doe', true],
      ['', true],
      [null, true],
      [MISSING, true],
    ],
  },
  {
    property: 'name',
    operator: 'does_not_contain',
    values: ['Smith'],
    case_sensitive: true,
    cases: [
      ['jane smith', true],
      ['Jane Smith', false],
    ],
  },
  {
    property: 'phone',
    operator: 'starts_with',
    values: ['+49'],
    cases: [
      ['+49 30 1234', true],
      ['+1 49', false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'email',
    operator: 'starts_with',
    values: ['Jane'],
    case_sensitive: true,
    cases: [
      ['Jane@x.com', true],
      ['jane@x.com', false],
    ],
  },
  {
    property: 'email',
    operator: 'ends_with',
    values: ['@Example.com'],
    cases: [
      ['jane@example.COM', true],
      ['jane@example.com.evil', false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'email',
    operator: 'ends_with',
    values: ['@Example.com'],
    case_sensitive: true,
    cases: [
      ['jane@Example.com', true],
      ['jane@example.com', false],
    ],
  },
  {
    property: 'address.country',
    operator: 'is_empty',
    cases: [
      ['', true],
      [null, true],
      [MISSING, true],
      [PARENT_NULL, true],
      ['US', false],
      [' ', false],
      [7, false],
    ],
  },
  {
    property: 'address.country',
    operator: 'is_not_empty',
    cases: [
      ['', false],
      [null, false],
      [MISSING, false],
      [PARENT_NULL, false],
      ['US', true],
      [7, true],
    ],
  },
  {
    property: 'address.country',
    operator: 'is',
    values: ['us'],
    cases: [
      ['US', true],
      [PARENT_NULL, false],
      [MISSING, false],
    ],
  },
  {
    property: 'address.country',
    operator: 'is_not',
    values: ['us'],
    cases: [
      ['US', false],
      ['DE', true],
      [PARENT_NULL, true],
    ],
  },
  {
    property: 'metadata["signup.source"]',
    operator: 'is',
    values: ['ads'],
    cases: [
      ['ads', true],
      ['organic', false],
      [MISSING, false],
    ],
  },
  {
    property: "metadata['account manager']",
    operator: 'contains',
    values: ['ann'],
    cases: [
      ['Anna', true],
      ['Bob', false],
    ],
  },
  {
    // an expandable ID: a plain string, or the expanded object's id
    property: 'default_source',
    operator: 'is',
    values: ['card_123'],
    cases: [
      ['card_123', true],
      [{ id: 'card_123', object: 'card' }, true],
      [{ id: 'card_999', object: 'card' }, false],
      [null, false],
    ],
  },
  {
    property: 'tax_exempt',
    operator: 'is',
    values: ['Exempt'],
    cases: [
      ['exempt', true],
      ['none', false],
      [null, false],
    ],
  },
  ...presence('email', 'jane@example.com'),
  ...presence('address.country', 'US'),
  {
    property: 'address.country',
    operator: 'exists',
    cases: [[PARENT_NULL, false]],
  },
  {
    property: 'address.country',
    operator: 'is_null',
    cases: [[PARENT_NULL, true]],
  },

  // ---------------------------------------------------------------- number
  {
    property: 'balance',
    operator: 'is',
    values: [0],
    cases: [
      [0, true],
      [1, false],
      [null, false],
      [MISSING, false],
      ['0', false],
    ],
  },
  {
    property: 'balance',
    operator: 'is',
    values: ['-10'],
    cases: [
      [-10, true],
      [10, false],
    ],
  },
  {
    property: 'balance',
    operator: 'is_not',
    values: [0],
    cases: [
      [0, false],
      [5, true],
      [null, true],
      [MISSING, true],
    ],
  },
  {
    property: 'balance',
    operator: 'is_one_of',
    values: [1, '2', 3.5],
    cases: [
      [1, true],
      [2, true],
      [3.5, true],
      [4, false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'balance',
    operator: 'is_not_one_of',
    values: [1, 2],
    cases: [
      [1, false],
      [3, true],
      [null, true],
      [MISSING, true],
    ],
  },
  {
    property: 'balance',
    operator: 'less_than',
    values: [0],
    cases: [
      [-1, true],
      [0, false],
      [1, false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'balance',
    operator: 'less_than_or_equal',
    values: ['0'],
    cases: [
      [-1, true],
      [0, true],
      [1, false],
      [null, false],
    ],
  },
  {
    property: 'balance',
    operator: 'greater_than',
    values: [100],
    cases: [
      [101, true],
      [100, false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'balance',
    operator: 'greater_than_or_equal',
    values: [100],
    cases: [
      [100, true],
      [99, false],
      [null, false],
    ],
  },
  {
    property: 'balance',
    operator: 'is_between',
    values: [-10, 10],
    cases: [
      [-10, true],
      [0, true],
      [10, true],
      [-11, false],
      [11, false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'balance',
    operator: 'is_between',
    values: [5, 5],
    cases: [
      [5, true],
      [6, false],
    ],
  },
  {
    property: 'balance',
    operator: 'is_not_between',
    values: [-10, 10],
    cases: [
      [-10, false],
      [10, false],
      [11, true],
      [-11, true],
      [null, true],
      [MISSING, true],
    ],
  },
  ...presence('balance', 0),
  {
    property: 'invoice_credit_balance.usd',
    operator: 'greater_than',
    values: [0],
    cases: [
      [500, true],
      [0, false],
      [PARENT_NULL, false],
    ],
  },

  // ---------------------------------------------------------------- timestamp
  {
    property: 'created',
    operator: 'is',
    values: ['2024-01-31'],
    cases: [
      [JAN31, true],
      [JAN31_END, true],
      [JAN31 - 1, false],
      [JAN31_END + 1, false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'created',
    operator: 'is',
    values: [JAN31 + 3600],
    cases: [
      [JAN31 + 3600, true],
      [JAN31 + 3601, false],
    ],
  },
  {
    property: 'created',
    operator: 'is',
    values: ['2024-01-31T10:00:00+02:00'],
    cases: [
      [JAN31 + 8 * 3600, true],
      [JAN31 + 10 * 3600, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_not',
    values: ['2024-01-31'],
    cases: [
      [JAN31, false],
      [JAN31_END, false],
      [JAN31_END + 1, true],
      [null, true],
      [MISSING, true],
    ],
  },
  {
    property: 'created',
    operator: 'less_than',
    values: ['2024-01-31'],
    cases: [
      [JAN31 - 1, true],
      [JAN31, false],
      [null, false],
    ],
  },
  {
    property: 'created',
    operator: 'less_than_or_equal',
    values: ['2024-01-31'],
    cases: [
      [JAN31_END, true],
      [JAN31_END + 1, false],
      [MISSING, false],
    ],
  },
  {
    property: 'created',
    operator: 'greater_than',
    values: ['2024-01-31T10:00:00Z'],
    cases: [
      [JAN31 + 10 * 3600 + 1, true],
      [JAN31 + 10 * 3600, false],
      [null, false],
    ],
  },
  {
    property: 'created',
    operator: 'greater_than_or_equal',
    values: [JAN31],
    cases: [
      [JAN31, true],
      [JAN31 - 1, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_between',
    values: ['2024-01-01', '2024-01-31'],
    cases: [
      [at('2024-01-01T00:00:00Z'), true],
      [JAN31_END, true],
      [at('2023-12-31T23:59:59Z'), false],
      [JAN31_END + 1, false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_between',
    values: ['30 days ago', 'now'],
    cases: [
      [DAYS_30_AGO, true],
      [NOW_S, true],
      [DAYS_30_AGO - 1, false],
      [NOW_S + 1, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_not_between',
    values: ['2024-01-01', '2024-01-31'],
    cases: [
      [JAN31, false],
      [JAN31_END + 1, true],
      [null, true],
      [MISSING, true],
    ],
  },
  {
    property: 'created',
    operator: 'is_before',
    values: ['30 days ago'],
    cases: [
      [DAYS_30_AGO - 1, true],
      [DAYS_30_AGO, false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_before',
    values: ['2 weeks ago'],
    cases: [
      [WEEKS_2_AGO - 1, true],
      [WEEKS_2_AGO, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_after',
    values: ['yesterday'],
    cases: [
      [TODAY, true],
      [TODAY - 1, false],
      [null, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_after',
    values: ['6 months ago'],
    cases: [
      [MONTHS_6_AGO + 1, true],
      [MONTHS_6_AGO, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_on_or_before',
    values: ['today'],
    cases: [
      [TODAY + DAY - 1, true],
      [TODAY + DAY, false],
      [MISSING, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_on_or_after',
    values: ['1 year ago'],
    cases: [
      [YEAR_1_AGO, true],
      [YEAR_1_AGO - 1, false],
      [null, false],
    ],
  },
  {
    property: 'created',
    operator: 'is_on_or_after',
    values: ['yesterday'],
    cases: [
      [YESTERDAY, true],
      [YESTERDAY - 1, false],
    ],
  },
  ...presence('created', JAN31),
  {
    property: 'discount.end',
    operator: 'is_before',
    values: ['now'],
    cases: [
      [NOW_S - 1, true],
      [NOW_S, false],
      [PARENT_NULL, false],
    ],
  },

  // comparisons are false on null and on a missing path, whatever the bound
  ...(['less_than', 'less_than_or_equal', 'greater_than', 'greater_than_or_equal'] as const).map(
    (operator): Row => ({
      property: 'balance',
      operator,
      values: [0],
      cases: [
        [null, false],
        [MISSING, false],
      ],
    }),
  ),
  ...(
    [
      'less_than',
      'less_than_or_equal',
      'greater_than',
      'greater_than_or_equal',
      'is_before',
      'is_after',
      'is_on_or_before',
      'is_on_or_after',
    ] as const
  ).map((operator): Row => ({
    property: 'created',
    operator,
    values: ['2024-01-31'],
    cases: [
      [null, false],
      [MISSING, false],
    ],
  })),

  // ---------------------------------------------------------------- boolean
  {
    property: 'delinquent',
    operator: 'is',
    values: [true],
    cases: [
      [true, true],
      [false, false],
      [null, false],
      [MISSING, false],
      ['true', false],
    ],
  },
  {
    property: 'delinquent',
    operator: 'is',
    values: ['False'],
    cases: [
      [false, true],
      [true, false],
      [null, false],
    ],
  },
  {
    property: 'delinquent',
    operator: 'is_not',
    values: [true],
    cases: [
      [true, false],
      [false, true],
      [null, true],
      [MISSING, true],
    ],
  },
  {
    property: 'delinquent',
    operator: 'is_true',
    cases: [
      [true, true],
      [false, false],
      [null, false],
      [MISSING, false],
    ],
  },
  {
    property: 'delinquent',
    operator: 'is_false',
    cases: [
      [false, true],
      [true, false],
      [null, false],
      [MISSING, false],
    ],
  },
  ...presence('delinquent', false),

  // ---------------------------------------------------------------- array
  {
    property: 'preferred_locales',
    operator: 'contains',
    values: ['EN'],
    cases: [
      [['fr', 'en'], true],
      [['fr'], false],
      [['english'], false],
      [[], false],
      [null, false],
      [MISSING, false],
      ['en', false],
    ],
  },
  {
    property: 'preferred_locales',
    operator: 'contains',
    values: ['EN'],
    case_sensitive: true,
    cases: [
      [['EN'], true],
      [['en'], false],
    ],
  },
  {
    property: 'preferred_locales',
    operator: 'does_not_contain',
    values: ['en'],
    cases: [
      [['fr', 'EN'], false],
      [['fr'], true],
      [[], true],
      [null, true],
      [MISSING, true],
    ],
  },
  {
    property: 'preferred_locales',
    operator: 'does_not_contain',
    values: ['en'],
    case_sensitive: true,
    cases: [
      [['EN'], true],
      [['en'], false],
    ],
  },
  {
    property: 'preferred_locales',
    operator: 'is_empty',
    cases: [
      [[], true],
      [null, true],
      [MISSING, true],
      [['en'], false],
    ],
  },
  {
    property: 'preferred_locales',
    operator: 'is_not_empty',
    cases: [
      [[], false],
      [null, false],
      [MISSING, false],
      [['en'], true],
    ],
  },
  ...presence('preferred_locales', []),
  {
    property: 'invoice_settings.custom_fields',
    operator: 'is_not_empty',
    cases: [
      [[{ name: 'PO', value: '1' }], true],
      [[], false],
      [PARENT_NULL, false],
    ],
  },

  // ---------------------------------------------------------------- object
  {
    property: 'metadata',
    operator: 'is_empty',
    cases: [
      [{}, true],
      [null, true],
      [MISSING, true],
      [{ plan: 'pro' }, false],
    ],
  },
  {
    property: 'address',
    operator: 'is_not_empty',
    cases: [
      [{}, false],
      [null, false],
      [MISSING, false],
      [{ country: 'US' }, true],
    ],
  },
  ...presence('metadata', {}),
  ...presence('shipping.address', { city: 'Berlin' }),
];

describe('every operator on every type it accepts', () => {
  for (const row of ROWS) {
    const condition = {
      property: row.property,
      operator: row.operator,
      ...(row.values ? { values: row.values } : {}),
      ...(row.case_sensitive ? { case_sensitive: true } : {}),
    };
    const title = `${row.property} ${row.operator} ${row.values ? JSON.stringify(row.values) : ''}${row.case_sensitive ? ' (case-sensitive)' : ''}`;
    it(title, () => {
      const filter = compile({ logical: 'all', conditions: [condition] });
      for (const [value, expected] of row.cases) {
        expect(
          filter.matches(customerWith(row.property, value)),
          `${describeCase(value)} -> ${expected}`,
        ).toBe(expected);
      }
    });
  }

  it('covers every (operator, type) pair the table allows', () => {
    const covered = new Set(
      ROWS.map((row) => `${row.operator}/${resolvePropertyType(row.property)}`),
    );
    const missing: string[] = [];
    for (const op of OPERATORS) {
      for (const type of op.types) {
        if (!covered.has(`${op.id}/${type}`)) missing.push(`${op.id}/${type}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('covers null and a missing path for every (operator, type) pair', () => {
    const gaps: string[] = [];
    for (const op of OPERATORS) {
      for (const type of op.types) {
        const rows = ROWS.filter(
          (r) => r.operator === op.id && resolvePropertyType(r.property) === type,
        );
        const values = rows.flatMap((r) => r.cases.map(([v]) => v));
        if (!values.includes(null)) gaps.push(`${op.id}/${type}: null`);
        if (!values.includes(MISSING)) gaps.push(`${op.id}/${type}: missing`);
      }
    }
    expect(gaps).toEqual([]);
  });
});

describe('negative operators are exact complements', () => {
  const pairs: Array<[OperatorId, OperatorId]> = [
    ['is', 'is_not'],
    ['is_one_of', 'is_not_one_of'],
    ['contains', 'does_not_contain'],
    ['is_between', 'is_not_between'],
    ['is_empty', 'is_not_empty'],
    ['is_null', 'is_not_null'],
    ['exists', 'does_not_exist'],
  ];
  const samples: Record<PropertyType, { property: string; values: unknown[]; inputs: unknown[] }> =
    {
      string: {
        property: 'metadata.plan',
        values: ['pro'],
        inputs: ['pro', 'PRO', 'x', '', null, MISSING, PARENT_NULL, 3],
      },
      number: { property: 'balance', values: [1], inputs: [1, 2, null, MISSING, '1'] },
      timestamp: { property: 'created', values: ['2024-01-31'], inputs: [JAN31, 0, null, MISSING] },
      boolean: { property: 'delinquent', values: [true], inputs: [true, false, null, MISSING] },
      array: { property: 'preferred_locales', values: ['en'], inputs: [['en'], [], null, MISSING] },
      object: { property: 'metadata', values: [], inputs: [{}, { a: '1' }, null, MISSING] },
    };
  for (const [positive, negative] of pairs) {
    for (const type of OPERATORS.find((o) => o.id === positive)?.types ?? []) {
      it(`${negative} = not ${positive} on ${type}`, () => {
        const sample = samples[type];
        const arity = OPERATORS.find((o) => o.id === positive)?.values;
        const values =
          arity === 'none'
            ? []
            : arity === 'two'
              ? [sample.values[0], sample.values[0]]
              : sample.values;
        const make = (operator: OperatorId) =>
          compile({ conditions: [{ property: sample.property, operator, values }] });
        const p = make(positive);
        const n = make(negative);
        for (const input of sample.inputs) {
          const customer = customerWith(sample.property, input);
          expect(n.matches(customer), describeCase(input)).toBe(!p.matches(customer));
        }
      });
    }
  }
});
