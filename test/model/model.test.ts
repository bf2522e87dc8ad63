import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../connector/errors';
import { compileCustomerModel, type CustomerModel } from '../../connector/model';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const one = (property: Record<string, unknown>): CustomerModel =>
  compileCustomerModel([{ name: 'v', ...property }]);

/** Converts `value` with a single-property model `{ name: 'v', ...type }`. */
function conv(type: Record<string, unknown>, value: unknown): unknown {
  const result = one(type).convert({ v: value });
  if (!result.ok) throw new Error(result.error);
  return result.record.v;
}
function convError(type: Record<string, unknown>, value: unknown): string {
  const result = one(type).convert({ v: value });
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.record)}`);
  return result.error;
}

describe('customer_model config', () => {
  it('compiles every type', () => {
    const model = compileCustomerModel([
      { name: 'email', type: 'string', description: 'E-mail' },
      { name: 'n', type: 'integer', nullable: false },
      { name: 'x', type: 'number' },
      { name: 'amount', type: 'decimal', precision: 10, scale: 2 },
      { name: 'b', type: 'boolean' },
      { name: 'created_at', type: 'datetime' },
      { name: 'd', type: 'date' },
      { name: 't', type: 'time' },
      { name: 'y', type: 'year' },
      { name: 'u', type: 'uuid' },
      { name: 'ip', type: 'ip' },
      { name: 'j', type: 'json' },
      { name: 'tags', type: 'array', items: { type: 'string' } },
      { name: 'addr', type: 'object', properties: [{ name: 'city', type: 'string' }] },
      { name: 'free', type: 'object' },
      { name: 'meta', type: 'map', values: { type: 'string' } },
    ]);
    expect(model.names).toEqual([
      'email',
      'n',
      'x',
      'amount',
      'b',
      'created_at',
      'd',
      't',
      'y',
      'u',
      'ip',
      'j',
      'tags',
      'addr',
      'free',
      'meta',
    ]);
    expect(model.property('n')?.nullable).toBe(false);
    expect(model.property('email')?.nullable).toBe(true);
    expect(model.jsonSchema).toEqual({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: true,
      properties: {
        email: { type: ['null', 'string'], description: 'E-mail' },
        n: { type: 'integer' },
        x: { type: ['null', 'number'] },
        amount: { type: ['null', 'number'] },
        b: { type: ['null', 'boolean'] },
        created_at: {
          type: ['null', 'string'],
          format: 'date-time',
          airbyte_type: 'timestamp_with_timezone',
        },
        d: { type: ['null', 'string'], format: 'date' },
        t: { type: ['null', 'string'], format: 'time', airbyte_type: 'time_without_timezone' },
        y: { type: ['null', 'integer'] },
        u: { type: ['null', 'string'], format: 'uuid' },
        ip: { type: ['null', 'string'] },
        j: {},
        tags: { type: ['null', 'array'], items: { type: 'string' } },
        addr: {
          type: ['null', 'object'],
          properties: { city: { type: ['null', 'string'] } },
          additionalProperties: false,
        },
        free: { type: ['null', 'object'] },
        meta: { type: ['null', 'object'], additionalProperties: { type: 'string' } },
      },
    });
    expect(JSON.stringify(model.jsonSchema)).not.toMatch(/\$ref|anyOf|oneOf/);
  });

  it('produces a schema that a strict draft-07 validator accepts', () => {
    const model = compileCustomerModel([
      {
        name: 'a',
        type: 'array',
        items: { type: 'map', values: { type: 'decimal', precision: 5, scale: 1 } },
      },
      { name: 'dt', type: 'datetime' },
    ]);
    const ajv = new Ajv({ strict: true });
    addFormats(ajv);
    ajv.addKeyword('airbyte_type');
    expect(() => ajv.compile(model.jsonSchema)).not.toThrow();
  });

  it.each([
    [
      [{ name: '2fa', type: 'string' }],
      'customer_model[0].name: "2fa" is not a valid column name',
      '"_2fa"',
    ],
    [[{ name: 'first name', type: 'string' }], 'customer_model[0].name', '"first_name"'],
    [[{ name: 'a'.repeat(64), type: 'string' }], 'at most 63 characters', ''],
    [[{ name: '_stripe_id', type: 'string' }], 'reserved', 'stripe_id'],
    [[{ name: '_ab_cdc_deleted_at', type: 'string' }], 'reserved', ''],
    [[{ name: '_airbyte_raw_id', type: 'string' }], 'reserved', ''],
    [[{ type: 'string' }], 'customer_model[0].name: is required', ''],
    [
      [
        { name: 'x', type: 'string' },
        { name: 'X', type: 'integer' },
      ],
      'customer_model[1].name: "X" is already used by customer_model[0]',
      'case-insensitively',
    ],
    [
      [{ name: 'x', type: 'strng' }],
      'customer_model[0].type: "strng" is not a type (did you mean "string"?)',
      'Use one of string, integer',
    ],
    [[{ name: 'x' }], 'customer_model[0].type: missing (required)', ''],
    [
      [{ name: 'x', type: 'string', nulable: true }],
      'customer_model[0].nulable: unknown key "nulable" (did you mean "nullable"?)',
      '',
    ],
    [
      [{ name: 'x', type: 'string', precision: 3 }],
      'customer_model[0].precision: "precision" only applies to type "decimal", not "string"',
      '',
    ],
    [
      [{ name: 'x', type: 'string', nullable: 'yes' }],
      'customer_model[0].nullable: must be true or false',
      '',
    ],
    [
      [{ name: 'x', type: 'decimal' }],
      'customer_model[0].precision: a decimal needs "precision"',
      '',
    ],
    [[{ name: 'x', type: 'decimal', precision: 20 }], 'from 1 to 15', 'use type "string"'],
    [[{ name: 'x', type: 'decimal', precision: 5, scale: 6 }], 'customer_model[0].scale', ''],
    [[{ name: 'x', type: 'array' }], 'customer_model[0].items: an array needs "items"', ''],
    [
      [{ name: 'x', type: 'array', items: { type: 'nope' } }],
      'customer_model[0].items.type: "nope" is not a type',
      '',
    ],
    [[{ name: 'x', type: 'map' }], 'customer_model[0].values', ''],
    [
      [
        {
          name: 'x',
          type: 'object',
          properties: [
            { name: 'ok', type: 'string' },
            { name: 'b-ad', type: 'string' },
          ],
        },
      ],
      'customer_model[0].properties[1].name: "b-ad"',
      '"b_ad"',
    ],
    [
      [{ name: 'x', type: 'object', properties: [] }],
      'customer_model[0].properties: no property listed. List at least one.',
      '',
    ],
    [[], 'customer_model: no property listed. List at least one.', ''],
    [{ email: 'string' }, 'customer_model: must be a list of properties', ''],
    [['email'], 'customer_model[0]: each property must be an object', ''],
  ])('rejects %j', (config, message, fix) => {
    const error = configError(() => compileCustomerModel(config));
    expect(error.message).toContain(message);
    expect(error.message).toContain(fix);
  });

  it.each([
    [[{ name: 'x', type: 'strng' }], ['customer_model', 0, 'type']],
    [[{ name: 'x', type: 'decimal', precision: 20 }], ['customer_model', 0, 'precision']],
    [
      [{ name: 'x', type: 'array', items: { type: 'map', values: { type: 'nope' } } }],
      ['customer_model', 0, 'items', 'values', 'type'],
    ],
    [
      [
        {
          name: 'x',
          type: 'object',
          properties: [
            { name: 'a', type: 'string' },
            { name: 'A', type: 'string' },
          ],
        },
      ],
      ['customer_model', 0, 'properties', 1, 'name'],
    ],
  ])('places the problem of %j at its key', (config, at) => {
    const error = configError(() => compileCustomerModel(config)) as ConfigError;
    expect(error.at).toEqual(at);
    expect(error.issues).toHaveLength(1);
  });

  it('names the other row of a clash as a field, so each shell can word it', () => {
    const error = configError(() =>
      compileCustomerModel([
        { name: 'x', type: 'string' },
        { name: 'X', type: 'string' },
      ]),
    ) as ConfigError;
    expect(error.problem).toEqual([
      '"X" is already used by ',
      { kind: 'field', at: ['customer_model', 0] },
      ' (column names are compared case-insensitively, as warehouses do)',
    ]);
    expect(error.fix).toEqual(['rename one of them']);
  });
});

describe('conversions', () => {
  it('string', () => {
    expect(conv({ type: 'string' }, 'x')).toBe('x');
    expect(conv({ type: 'string' }, 12.5)).toBe('12.5');
    expect(conv({ type: 'string' }, true)).toBe('true');
    expect(conv({ type: 'string' }, null)).toBeNull();
    expect(convError({ type: 'string' }, { a: 1 })).toBe(
      'v: expected a string, got an object (use type "json" or "object"/"array" for structured values)',
    );
    expect(convError({ type: 'string' }, [1])).toContain('got an array');
  });

  it('integer', () => {
    expect(conv({ type: 'integer' }, 42)).toBe(42);
    expect(conv({ type: 'integer' }, '42')).toBe(42);
    expect(conv({ type: 'integer' }, ' -7 ')).toBe(-7);
    expect(conv({ type: 'integer' }, '42.0')).toBe(42);
    expect(convError({ type: 'integer' }, 4.5)).toBe(
      'v: expected an integer, got a number (it has a fraction; use type "number" or "decimal")',
    );
    expect(convError({ type: 'integer' }, 'abc')).toBe('v: expected an integer, got a string');
    expect(convError({ type: 'integer' }, 2 ** 60)).toContain('beyond +/-2^53');
    expect(convError({ type: 'integer' }, true)).toBe('v: expected an integer, got a boolean');
  });

  it('number', () => {
    expect(conv({ type: 'number' }, 1.5)).toBe(1.5);
    expect(conv({ type: 'number' }, '1e3')).toBe(1000);
    expect(conv({ type: 'number' }, '-.5')).toBe(-0.5);
    expect(convError({ type: 'number' }, 'NaN')).toBe('v: expected a number, got a string');
    expect(convError({ type: 'number' }, Infinity)).toBe(
      'v: expected a number, got an infinite number',
    );
  });

  it('decimal rounds on the digits and checks the precision', () => {
    const d = { type: 'decimal', precision: 6, scale: 2 };
    expect(conv(d, 1.005)).toBe(1.01);
    expect(conv(d, '2.675')).toBe(2.68);
    expect(conv(d, -2.675)).toBe(-2.68);
    expect(conv(d, '1234.5')).toBe(1234.5);
    expect(conv(d, 9999.994)).toBe(9999.99);
    expect(conv(d, '1e-7')).toBe(0);
    expect(conv(d, '-0.001')).toBe(0);
    expect(conv(d, 1.5e3)).toBe(1500);
    expect(convError(d, 9999.995)).toBe(
      'v: expected a decimal(6,2), got a number (has 5 digits before the decimal point; decimal(6,2) allows 4)',
    );
    expect(convError(d, '12a')).toContain('not a decimal number');
    expect(conv({ type: 'decimal', precision: 3 }, 12.5)).toBe(13);
  });

  it('decimal rounding agrees with exact rounding (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -99_999_999, max: 99_999_999 }),
        fc.integer({ min: 0, max: 3 }),
        (units, scale) => {
          // units are in 1/1000ths: round to `scale` digits with integer arithmetic.
          const value = units / 1000;
          const factor = 10 ** (3 - scale);
          const rounded = Math.sign(units) * Math.floor((Math.abs(units) + factor / 2) / factor);
          const expected = rounded / 10 ** scale;
          const result = one({ type: 'decimal', precision: 15, scale }).convert({
            v: value.toFixed(3),
          });
          return result.ok && Object.is(result.record.v, expected === 0 ? 0 : expected);
        },
      ),
    );
  });

  it('boolean', () => {
    expect(conv({ type: 'boolean' }, true)).toBe(true);
    expect(conv({ type: 'boolean' }, 'TRUE')).toBe(true);
    expect(conv({ type: 'boolean' }, 'no')).toBe(false);
    expect(conv({ type: 'boolean' }, 0)).toBe(false);
    expect(convError({ type: 'boolean' }, 'maybe')).toContain('v: expected a boolean');
    expect(convError({ type: 'boolean' }, 2)).toContain('got an integer');
  });

  it('datetime from Stripe timestamps and ISO strings', () => {
    const t = { type: 'datetime' };
    expect(conv(t, 1234567890)).toBe('2009-02-13T23:31:30Z');
    expect(conv(t, 1234567890.5)).toBe('2009-02-13T23:31:30.500Z');
    expect(conv(t, '1234567890')).toBe('2009-02-13T23:31:30Z');
    expect(conv(t, '2024-02-29T10:00:00+02:00')).toBe('2024-02-29T08:00:00Z');
    expect(conv(t, '2024-02-29 10:00:00.123456Z')).toBe('2024-02-29T10:00:00.123Z');
    expect(conv(t, '2024-02-29T10:00:00')).toBe('2024-02-29T10:00:00Z');
    expect(conv(t, '2024-03-01')).toBe('2024-03-01T00:00:00Z');
    expect(conv(t, 0)).toBe('1970-01-01T00:00:00Z');
    expect(convError(t, '2023-02-29T00:00:00Z')).toContain('v: expected a date-time');
    expect(convError(t, 'yesterday')).toContain('got a string');
    expect(convError(t, 1e15)).toContain('years 1-9999');
    expect(convError(t, true)).toContain('got a boolean');
  });

  it('date, time and year', () => {
    expect(conv({ type: 'date' }, 1234567890)).toBe('2009-02-13');
    expect(conv({ type: 'date' }, '2024-01-02')).toBe('2024-01-02');
    expect(conv({ type: 'date' }, '2024-01-02T23:30:00-05:00')).toBe('2024-01-03');
    expect(convError({ type: 'date' }, '2024-13-01')).toContain('expected a date');
    expect(conv({ type: 'time' }, 1234567890)).toBe('23:31:30');
    expect(conv({ type: 'time' }, '09:15')).toBe('09:15:00');
    expect(conv({ type: 'time' }, '09:15:30.25')).toBe('09:15:30.250');
    expect(conv({ type: 'time' }, '01:00:00+02:00')).toBe('23:00:00');
    expect(conv({ type: 'time' }, '2024-01-02T03:04:05Z')).toBe('03:04:05');
    expect(convError({ type: 'time' }, '25:00')).toContain('expected a time');
    expect(conv({ type: 'year' }, 2024)).toBe(2024);
    expect(conv({ type: 'year' }, '1999')).toBe(1999);
    expect(conv({ type: 'year' }, 1234567890)).toBe(2009);
    expect(conv({ type: 'year' }, '2024-06-30')).toBe(2024);
    expect(conv({ type: 'year' }, '2024-12-31T23:00:00-05:00')).toBe(2025);
    expect(convError({ type: 'year' }, 'MMXXIV')).toContain('expected a year');
  });

  it('year: small numbers are years, numbers from 10000 on are Unix seconds, the rest is refused', () => {
    const t = { type: 'year' };
    expect(conv(t, 1)).toBe(1);
    expect(conv(t, 9999)).toBe(9999);
    expect(conv(t, '0999')).toBe(999);
    expect(conv(t, 10_000)).toBe(1970); // 1970-01-01T02:46:40Z: the first Unix seconds accepted
    expect(conv(t, 1_706_659_200.5)).toBe(2024);
    // Each of these used to fall through to Unix seconds and become 1970.
    expect(convError(t, 2024.5)).toBe(
      'v: expected a year (1-9999, Unix seconds of 10000 or more, or an ISO 8601 date), got a number (it has a fraction; a year is a whole number 1-9999)',
    );
    expect(convError(t, 0)).toContain('(years start at 1, and Unix seconds are numbers of 10000');
    expect(convError(t, -5)).toContain('years start at 1');
    expect(convError(t, -1_706_659_200)).toContain('years start at 1');
    expect(convError(t, '0')).toContain('got a string (years start at 1)');
    expect(convError(t, '10000')).toContain(
      'got a string (text of 5 or more digits is not a year (1-9999); give Unix seconds as a number',
    );
    expect(convError(t, '99999')).toContain('text of 5 or more digits is not a year');
    expect(convError(t, '2024.5')).toContain('numeric text must be a whole year 1-9999');
    expect(convError(t, '0000-01-01')).toContain('expected a year');
    expect(convError(t, 1e15)).toContain('beyond the year 9999');
  });

  it('uuid and ip', () => {
    expect(conv({ type: 'uuid' }, '123E4567-E89B-12D3-A456-426614174000')).toBe(
      '123e4567-e89b-12d3-a456-426614174000',
    );
    expect(convError({ type: 'uuid' }, 'cus_123')).toContain('v: expected a UUID');
    expect(conv({ type: 'ip' }, '192.168.0.1')).toBe('192.168.0.1');
    expect(conv({ type: 'ip' }, '2001:db8::1')).toBe('2001:db8::1');
    expect(convError({ type: 'ip' }, '999.1.1.1')).toBe(
      'v: expected an IPv4 or IPv6 address, got a string',
    );
  });

  it('json keeps any value as is', () => {
    for (const value of [1, 'x', true, [1, { a: null }], { deep: { er: [1] } }]) {
      expect(conv({ type: 'json' }, value)).toEqual(value);
    }
    expect(conv({ type: 'json' }, '{"a":1}')).toBe('{"a":1}');
  });

  it('arrays, objects and maps convert their contents', () => {
    expect(conv({ type: 'array', items: { type: 'integer' } }, ['1', 2])).toEqual([1, 2]);
    expect(convError({ type: 'array', items: { type: 'integer' } }, [1, 'x'])).toBe(
      'v[1]: expected an integer, got a string',
    );
    expect(convError({ type: 'array', items: { type: 'integer' } }, [1, null])).toBe(
      'v[1]: is not nullable but got null',
    );
    expect(conv({ type: 'array', items: { type: 'integer', nullable: true } }, [null])).toEqual([
      null,
    ]);
    expect(convError({ type: 'array', items: { type: 'string' } }, 'fr')).toBe(
      'v: expected an array, got a string',
    );
    const obj = {
      type: 'object',
      properties: [
        { name: 'city', type: 'string' },
        { name: 'zip', type: 'integer' },
      ],
    };
    expect(conv(obj, { city: 'Paris', zip: '75001' })).toEqual({ city: 'Paris', zip: 75001 });
    expect(conv(obj, { city: 'Paris' })).toEqual({ city: 'Paris', zip: null });
    expect(convError(obj, { city: 'Paris', country: 'FR' })).toBe(
      'v: unknown property "country" (the model lists city, zip)',
    );
    expect(convError(obj, { zip: 'x' })).toBe('v.zip: expected an integer, got a string');
    expect(conv({ type: 'object' }, { anything: [1] })).toEqual({ anything: [1] });
    expect(convError({ type: 'object' }, [1])).toBe('v: expected an object, got an array');
    const map = { type: 'map', values: { type: 'integer' } };
    expect(conv(map, { eur: '10', usd: 5 })).toEqual({ eur: 10, usd: 5 });
    expect(convError(map, { 'signup.source': 'x' })).toBe(
      'v["signup.source"]: expected an integer, got a string',
    );
    const proto = conv(
      { type: 'map', values: { type: 'string' } },
      JSON.parse('{"__proto__":"x"}'),
    ) as object;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });

  it('records: missing -> null, unknown and non-nullable errors, all named', () => {
    const model = compileCustomerModel([
      { name: 'id', type: 'string', nullable: false },
      { name: 'email', type: 'string' },
      { name: 'balance', type: 'integer' },
    ]);
    expect(model.convert({ id: 'cus_1' })).toEqual({
      ok: true,
      record: { id: 'cus_1', email: null, balance: null },
    });
    const result = model.convert({
      email: { secret: 'jenny@example.com' },
      balance: 'lots',
      extra: 1,
      other: 2,
    });
    expect(result.ok).toBe(false);
    const error = (result as { error: string }).error;
    expect(error).toBe(
      'unknown properties "extra", "other": the Customer Model has no such columns (add them to the Customer Model or stop returning them); ' +
        'id: is not nullable but got no value; email: expected a string, got an object (use type "json" or "object"/"array" for structured values); ' +
        'balance: expected an integer, got a string',
    );
    expect(error).not.toContain('jenny@example.com');
    expect(model.convert([] as unknown as Record<string, unknown>)).toEqual({
      ok: false,
      error: 'expected the record to be an object, got an array',
    });
  });

  it('converted records always satisfy the model schema (property)', () => {
    const model = compileCustomerModel([
      { name: 's', type: 'string' },
      { name: 'i', type: 'integer' },
      { name: 'd', type: 'decimal', precision: 8, scale: 3 },
      { name: 'dt', type: 'datetime' },
      { name: 'dd', type: 'date' },
      { name: 'tt', type: 'time' },
    ]);
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    ajv.addFormat('time', /^\d{2}:\d{2}:\d{2}(?:\.\d+)?$/);
    const validate = ajv.compile(model.jsonSchema);
    fc.assert(
      fc.property(
        fc.record({
          s: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
          i: fc.oneof(fc.integer(), fc.integer().map(String), fc.constant(null)),
          d: fc.double({ min: -99999, max: 99999, noNaN: true }),
          dt: fc.integer({ min: 0, max: 4_000_000_000 }),
          dd: fc.integer({ min: -1_000_000_000, max: 4_000_000_000 }),
          tt: fc.integer({ min: 0, max: 4_000_000_000 }),
        }),
        (raw) => {
          const result = model.convert(raw);
          return result.ok && validate(result.record) === true;
        },
      ),
    );
  });

  it('convertValue checks one property', () => {
    const model = compileCustomerModel([{ name: 'n', type: 'integer', nullable: false }]);
    expect(model.convertValue('n', '3')).toEqual({ ok: true, value: 3 });
    expect(model.convertValue('n', null)).toEqual({
      ok: false,
      error: 'n: is not nullable but got null',
    });
    expect(model.convertValue('zzz', 1)).toEqual({
      ok: false,
      error: 'zzz: not a property of the Customer Model',
    });
  });
});
