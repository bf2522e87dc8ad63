/** Every kind of config mistake, with the message the user sees. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../connector/errors.js';
import { compileFilter, resolvePropertyType } from '../../connector/filter/index.js';
import { NOW } from './helpers.js';

function errorOf(spec: unknown): ConfigError {
  try {
    compileFilter(spec, { now: NOW });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).kind).toBe('config');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const one = (condition: unknown) => ({ logical: 'all', conditions: [condition] });
const STRING_OPS =
  'is, is_not, is_one_of, is_not_one_of, contains, does_not_contain, starts_with, ends_with, is_empty, is_not_empty, is_null, is_not_null, exists, does_not_exist';
const NUMBER_OPS =
  'is, is_not, is_one_of, is_not_one_of, is_null, is_not_null, exists, does_not_exist, less_than, less_than_or_equal, greater_than, greater_than_or_equal, is_between, is_not_between';
const DATE_HELP =
  'Use an ISO 8601 date ("2024-01-31") or datetime ("2024-01-31T10:00:00Z"), unix seconds (1706659200), or a relative date ("now", "today", "yesterday", "30 days ago", "2 weeks ago", "6 months ago", "1 year ago").';

describe('validation messages name the place, the problem and the fix', () => {
  const cases: Array<[string, unknown, string]> = [
    [
      'unknown operator (alias)',
      one({ property: 'email', operator: 'equals', values: ['a@b.co'] }),
      `filter.conditions[0].operator: unknown operator "equals". Did you mean "is"? Operators for string properties: ${STRING_OPS}.`,
    ],
    [
      'unknown operator (spelling)',
      one({ property: 'email', operator: 'Does Not Contian', values: ['a@b.co'] }),
      `filter.conditions[0].operator: unknown operator "Does Not Contian". Did you mean "does_not_contain"? Operators for string properties: ${STRING_OPS}.`,
    ],
    [
      'operator not fitting the type, nested position',
      {
        logical: 'any',
        conditions: [
          { property: 'email', operator: 'is', values: ['x@y.z'] },
          {
            logical: 'all',
            conditions: [{ property: 'balance', operator: 'contains', values: ['1'] }],
          },
        ],
      },
      `filter.conditions[1].conditions[0].operator: operator "contains" does not apply to number property "balance". Operators for number properties: ${NUMBER_OPS}.`,
    ],
    [
      'date operator on a number',
      one({ property: 'balance', operator: 'is_before', values: [1] }),
      `filter.conditions[0].operator: operator "is_before" does not apply to number property "balance". Operators for number properties: ${NUMBER_OPS}. is_before/is_after only apply to timestamps (created, discount.start, discount.end); for numbers use less_than/greater_than.`,
    ],
    [
      'boolean operator on text',
      one({ property: 'email', operator: 'is_true' }),
      `filter.conditions[0].operator: operator "is_true" does not apply to string property "email". Operators for string properties: ${STRING_OPS}.`,
    ],
    [
      'contains on a list of objects',
      one({ property: 'invoice_settings.custom_fields', operator: 'contains', values: ['PO'] }),
      'filter.conditions[0].operator: operator "contains" needs a list of text, but "invoice_settings.custom_fields" is a list of objects. Use is_empty, is_not_empty, exists or is_null on it.',
    ],
    [
      'no value for a one-value operator',
      one({ property: 'email', operator: 'is' }),
      'filter.conditions[0].values: operator "is" needs exactly 1 value, got 0 values. Example: "values": ["pro"].',
    ],
    [
      'two values for is',
      one({ property: 'metadata.plan', operator: 'is', values: ['pro', 'team'] }),
      'filter.conditions[0].values: operator "is" needs exactly 1 value, got 2 values. Example: "values": ["pro"]. To match any of several values use is_one_of.',
    ],
    [
      'values for a no-value operator',
      one({ property: 'email', operator: 'is_empty', values: ['x'] }),
      'filter.conditions[0].values: operator "is_empty" takes no values, got 1 value. Remove "values" (or leave it empty).',
    ],
    [
      'one value for between',
      one({ property: 'balance', operator: 'is_between', values: [1] }),
      'filter.conditions[0].values: operator "is_between" needs exactly 2 values [low, high] (both included), got 1 value. Example: "values": [0, 100].',
    ],
    [
      'empty is_one_of',
      one({ property: 'metadata.plan', operator: 'is_one_of', values: [] }),
      'filter.conditions[0].values: operator "is_one_of" needs at least 1 value, got 0 values. Example: "values": ["pro", "team"].',
    ],
    [
      'between bounds reversed',
      one({ property: 'created', operator: 'is_between', values: ['2024-02-01', '2024-01-01'] }),
      'filter.conditions[0].values: operator "is_between" needs values in the order [low, high], got ["2024-02-01", "2024-01-01"] where low is after high. Swap them.',
    ],
    [
      'malformed date',
      one({ property: 'created', operator: 'is_after', values: ['2024-02-30'] }),
      `filter.conditions[0].values[0]: not a valid date for "created": "2024-02-30" is not a calendar date. ${DATE_HELP}`,
    ],
    [
      'unreadable date',
      one({ property: 'created', operator: 'is_after', values: ['last tuesday'] }),
      `filter.conditions[0].values[0]: not a valid date for "created": "last tuesday" is not a date this filter understands. ${DATE_HELP}`,
    ],
    [
      'milliseconds instead of seconds',
      one({ property: 'created', operator: 'is_after', values: [1706659200000] }),
      `filter.conditions[0].values[0]: not a valid date for "created": 1706659200000 looks like milliseconds; timestamps are unix seconds (divide by 1000: 1706659200). ${DATE_HELP}`,
    ],
    [
      'a year as text, not unix seconds',
      one({ property: 'created', operator: 'is_after', values: ['2024'] }),
      `filter.conditions[0].values[0]: not a valid date for "created": "2024" is too short for unix seconds (they have at least 5 digits) and is not read as a year: write a date like "2024-01-01", or unix seconds like 1706659200. ${DATE_HELP}`,
    ],
    [
      'bad logical',
      { logical: 'or', conditions: [] },
      'filter.logical: logical "or" is not valid. Did you mean "any"? Use "all" (every condition must match) or "any" (at least one must match).',
    ],
    [
      'bad logical in a nested group',
      { conditions: [{ logical: 'every', conditions: [] }] },
      'filter.conditions[0].logical: logical "every" is not valid. Did you mean "all"? Use "all" (every condition must match) or "any" (at least one must match).',
    ],
    [
      'not a number',
      one({ property: 'balance', operator: 'greater_than', values: ['ten'] }),
      'filter.conditions[0].values[0]: must be a number for number property "balance", got "ten".',
    ],
    [
      'not a boolean',
      one({ property: 'delinquent', operator: 'is', values: ['yes'] }),
      'filter.conditions[0].values[0]: must be true or false for boolean property "delinquent", got "yes". Or use is_true / is_false without values.',
    ],
    [
      'enum value',
      one({ property: 'tax_exempt', operator: 'is', values: ['exmpt'] }),
      'filter.conditions[0].values[0]: "exmpt" is not a possible value of "tax_exempt". Did you mean "exempt"? Possible values: none, exempt, reverse.',
    ],
    [
      'empty text value',
      one({ property: 'email', operator: 'is', values: [''] }),
      'filter.conditions[0].values[0]: empty text. To match empty or missing values use is_empty (or is_not_empty for the opposite).',
    ],
    [
      'null value',
      one({ property: 'email', operator: 'is', values: [null] }),
      'filter.conditions[0].values[0]: must be text for text property "email", got null. To match missing values use is_null / is_empty.',
    ],
    [
      'values not a list',
      one({ property: 'email', operator: 'is', values: 'a@b.co' }),
      'filter.conditions[0].values: "values" must be a list, got a string. Wrap it in brackets: "values": ["a@b.co"].',
    ],
    [
      'unknown nested field with suggestion',
      one({ property: 'address.contry', operator: 'is', values: ['US'] }),
      'filter.conditions[0].property: property "address.contry" is not valid: "address" has no field "contry". Did you mean "address.country"? Fields of address: city, country, line1, line2, postal_code, state.',
    ],
    [
      'field of a text property',
      one({ property: 'email.domain', operator: 'is', values: ['x'] }),
      'filter.conditions[0].property: property "email.domain" is not valid: "email" is a string and has no fields. Filter on "email" itself.',
    ],
    [
      'dotted metadata key without quotes',
      one({ property: 'metadata.signup.source', operator: 'is', values: ['ads'] }),
      'filter.conditions[0].property: property "metadata.signup.source" is not valid: "metadata.signup" is a string and has no fields. If the key contains dots, quote it: metadata["signup.source"].',
    ],
    [
      'metadata key with a space, unquoted',
      one({ property: 'metadata.account manager', operator: 'exists' }),
      'filter.conditions[0].property: property "metadata.account manager" is not valid: unexpected space at position 17 of "metadata.account manager"; quote keys that contain spaces: metadata["account manager"].',
    ],
    [
      'untyped object',
      one({ property: 'cash_balance.available', operator: 'exists' }),
      'filter.conditions[0].property: property "cash_balance.available" is not valid: "cash_balance" has no typed sub-fields in the schema, so "cash_balance.available" can\'t be checked; filter on "cash_balance" itself (exists, is_empty, ...).',
    ],
    [
      'unknown condition key',
      one({ property: 'email', operator: 'is', value: 'a@b.co' }),
      // the unknown key first, then the consequence (no values)
      'filter has 2 problems:\n- filter.conditions[0].value: unknown key "value". Did you mean "values"? A condition has: property, operator, values, case_sensitive.\n- filter.conditions[0].values: operator "is" needs exactly 1 value, got 0 values. Example: "values": ["pro"].',
    ],
    [
      'unknown group key',
      { logic: 'all', conditions: [] },
      'filter.logic: unknown key "logic". Did you mean "logical"? A group has: logical, conditions.',
    ],
    [
      'case_sensitive not a boolean',
      one({ property: 'email', operator: 'is', values: ['a@b.co'], case_sensitive: 'yes' }),
      'filter.conditions[0].case_sensitive: "case_sensitive" must be true or false, got "yes".',
    ],
    [
      'missing property',
      one({ operator: 'is', values: ['x'] }),
      'filter.conditions[0].property: "property" is missing. Name a customer field, e.g. "email", "address.country", "metadata.plan", "created".',
    ],
    [
      'missing operator',
      one({ property: 'email', values: ['x'] }),
      `filter.conditions[0].operator: "operator" is missing. Operators for string properties: ${STRING_OPS}.`,
    ],
    [
      'condition mixed with group keys',
      one({ property: 'email', operator: 'is', values: ['a'], conditions: [] }),
      'filter.conditions[0]: mixes condition keys (property, operator, values) with group keys (logical, conditions). Put the condition inside the group\'s "conditions" list.',
    ],
    [
      'condition that is not an object',
      one('email is a'),
      'filter.conditions[0]: expected a condition {"property", "operator", "values"} or a group {"logical", "conditions"}, got a string.',
    ],
    [
      'empty condition',
      one({}),
      'filter.conditions[0]: an empty object. Give a condition {"property": "email", "operator": "is", "values": ["a@b.com"]} or remove it.',
    ],
    [
      'conditions not a list',
      { conditions: { property: 'email' } },
      'filter.conditions: "conditions" must be a list, got an object. Expected {"logical": "all" | "any", "conditions": [{"property": "...", "operator": "...", "values": [...]}, ...]}.',
    ],
    [
      'a bare list of conditions',
      [{ property: 'email', operator: 'is', values: ['a'] }],
      'filter: must be an object, got a list. Wrap the conditions: {"logical": "all", "conditions": [...]}.',
    ],
    [
      'a number',
      42,
      'filter: must be an object, got a number. Expected {"logical": "all" | "any", "conditions": [{"property": "...", "operator": "...", "values": [...]}, ...]}.',
    ],
  ];

  for (const [name, spec, message] of cases) {
    it(name, () => {
      expect(errorOf(spec).message).toBe(message);
    });
  }

  it('unknown top-level field: suggests close names and fields of that name deeper down', () => {
    const typo = errorOf(one({ property: 'emial', operator: 'is', values: ['a'] })).message;
    expect(typo).toContain(
      'filter.conditions[0].property: property "emial" is not valid: the Stripe customer has no field "emial". Did you mean "email"? Customer fields: id, object, address, balance,',
    );
    const leaf = errorOf(one({ property: 'country', operator: 'is', values: ['US'] })).message;
    expect(leaf).toContain('Did you mean "address.country" or "shipping.address.country"?');
  });

  it('a filter given as malformed JSON text', () => {
    expect(errorOf('{not json').message).toMatch(
      /^filter: not valid JSON \(.+\)\. Expected \{"logical"/,
    );
  });

  it('collects every problem, each placed at the key it is about', () => {
    const error = errorOf({
      logical: 'and',
      conditions: [
        { property: 'emial', operator: 'is', values: ['a'] },
        { property: 'balance', operator: 'gt', values: [1] },
        {
          logical: 'any',
          conditions: [{ property: 'created', operator: 'is_after', values: ['soon'] }],
        },
      ],
    });
    expect(error.at).toEqual(['filter']);
    expect(error.issues.map((issue) => issue.at)).toEqual([
      ['filter', 'logical'],
      ['filter', 'conditions', 0, 'property'],
      ['filter', 'conditions', 1, 'operator'],
      ['filter', 'conditions', 2, 'conditions', 0, 'values', 0],
    ]);
    expect(error.message.split('\n')[0]).toBe('filter has 4 problems:');
    expect(error.issues[2]?.problem).toEqual(['unknown operator "gt"']);
    expect(error.issues[2]?.fix?.slice(0, 3)).toEqual([
      'Did you mean ',
      { kind: 'operator', id: 'greater_than', quoted: true },
      '? Operators for ',
    ]);
  });

  it('places every problem under where the filter sits in the config', () => {
    try {
      compileFilter(one({ property: 'email', operator: 'is_true' }), {
        at: ['pipelines', 2, 'filter'],
        now: NOW,
      });
    } catch (error) {
      expect((error as ConfigError).at).toEqual([
        'pipelines',
        2,
        'filter',
        'conditions',
        0,
        'operator',
      ]);
      expect((error as Error).message).toMatch(
        /^pipelines\[2\]\.filter\.conditions\[0\]\.operator: operator "is_true" does not apply/,
      );
      return;
    }
    throw new Error('expected a ConfigError');
  });

  it('validates context (a programming error, not a config error)', () => {
    expect(() => compileFilter({}, { now: new Date('nope') })).toThrow(TypeError);
  });
});

describe('operators written like their labels', () => {
  const customer = { id: 'cus_1', email: 'a@b.co', address: { country: 'US' }, balance: 5 };
  const cases: Array<[string, string, string, unknown[], boolean]> = [
    ['email', 'is not', 'is_not', ['x@y.z'], true],
    ['email', 'IS', 'is', ['A@B.CO'], true],
    ['address.country', 'Is One Of', 'is_one_of', ['us', 'de'], true],
    ['balance', 'greater-than', 'greater_than', [10], false],
    ['email', ' Is  Not  Empty ', 'is_not_empty', [], true],
    ['balance', 'Less Than Or_Equal', 'less_than_or_equal', [5], true],
  ];
  for (const [property, spelled, id, values, expected] of cases) {
    it(`${JSON.stringify(spelled)} is ${id}`, () => {
      const asWritten = compileFilter(one({ property, operator: spelled, values }), { now: NOW });
      const asId = compileFilter(one({ property, operator: id, values }), { now: NOW });
      expect(asWritten.matches(customer)).toBe(expected);
      expect(asId.matches(customer)).toBe(expected);
      expect(asWritten.pushDown).toEqual(asId.pushDown);
    });
  }

  it('names the operator by its id in later errors, and still refuses unknown ones', () => {
    expect(errorOf(one({ property: 'email', operator: 'Is True' })).message).toBe(
      `filter.conditions[0].operator: operator "is_true" does not apply to string property "email". Operators for string properties: ${STRING_OPS}.`,
    );
    expect(errorOf(one({ property: 'email', operator: 'in', values: ['a'] })).message).toBe(
      `filter.conditions[0].operator: unknown operator "in". Did you mean "is_one_of"? Operators for string properties: ${STRING_OPS}.`,
    );
  });
});

describe('resolvePropertyType', () => {
  it('derives types from the schema', () => {
    expect(resolvePropertyType('email')).toBe('string');
    expect(resolvePropertyType('address.country')).toBe('string');
    expect(resolvePropertyType('shipping.address.city')).toBe('string');
    expect(resolvePropertyType('metadata.plan')).toBe('string');
    expect(resolvePropertyType('metadata["signup.source"]')).toBe('string');
    expect(resolvePropertyType(['metadata', 'account manager'])).toBe('string');
    expect(resolvePropertyType('balance')).toBe('number');
    expect(resolvePropertyType('invoice_credit_balance.eur')).toBe('number');
    expect(resolvePropertyType('created')).toBe('timestamp');
    expect(resolvePropertyType('discount.start')).toBe('timestamp');
    expect(resolvePropertyType('discount.end')).toBe('timestamp');
    expect(resolvePropertyType('delinquent')).toBe('boolean');
    expect(resolvePropertyType('preferred_locales')).toBe('array');
    expect(resolvePropertyType('metadata')).toBe('object');
    expect(resolvePropertyType('default_source')).toBe('string');
    expect(resolvePropertyType('["email"]')).toBe('string');
  });

  it('throws ConfigError for unknown paths', () => {
    expect(() => resolvePropertyType('emial')).toThrow(ConfigError);
    expect(() => resolvePropertyType('emial')).toThrow(
      /^Unknown filter property "emial": the Stripe customer has no field "emial"\. Did you mean "email"\?/,
    );
    expect(() => resolvePropertyType('preferred_locales.0')).toThrow(
      'Unknown filter property "preferred_locales.0": "preferred_locales" is a list and has no fields; filter the list itself (contains, is_empty, ...).',
    );
  });
});

describe('hostile or odd input', () => {
  it('inherited object keys are not mistaken for aliases or fields', () => {
    const op = errorOf(one({ property: 'email', operator: 'constructor', values: ['a'] })).message;
    expect(op).toMatch(/^filter\.conditions\[0\]\.operator: unknown operator "constructor"\. /);
    expect(op).not.toContain('function');
    const logical = errorOf({ logical: 'toString', conditions: [] }).message;
    expect(logical).toBe(
      'filter.logical: logical "toString" is not valid. Use "all" (every condition must match) or "any" (at least one must match).',
    );
    expect(errorOf(one({ property: 'toString', operator: 'exists' })).message).toContain(
      'the Stripe customer has no field "toString"',
    );
    expect(errorOf(one({ property: 'address.__proto__', operator: 'exists' })).message).toContain(
      '"address" has no field "__proto__"',
    );
  });

  it('a metadata key named __proto__ or constructor is an ordinary key', () => {
    const filter = compileFilter(
      one({ property: 'metadata.__proto__', operator: 'is', values: ['x'] }),
      { now: NOW },
    );
    expect(filter.matches(JSON.parse('{"metadata":{"__proto__":"x"}}'))).toBe(true);
    expect(filter.matches({ metadata: {} })).toBe(false);
    const ctor = compileFilter(one({ property: 'metadata.constructor', operator: 'exists' }), {
      now: NOW,
    });
    expect(ctor.matches({ metadata: {} })).toBe(false);
    expect(ctor.matches({ metadata: { constructor: 'y' } })).toBe(true);
  });
});
