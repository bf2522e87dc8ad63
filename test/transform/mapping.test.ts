import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../connector/errors';
import { compileCustomerModel, type CustomerModel } from '../../connector/model';
import { createTransformer, type TransformOutcome } from '../../connector/transform';
import { mappingColumnSchemas } from '../../connector/transform/mapping';
import { namesIn } from '../../connector/words';
import { bareStripeCustomer, manyCustomers, stripeCustomer } from './fixtures';

const NAME = 'eu_pro';
const WHERE = 'pipelines[0] ("eu_pro")';
const AT = ['pipelines', 0, 'transformation'] as const;
const PLACE = { at: AT, names: namesIn({ pipelines: [{ name: NAME }] }) };

async function mapOne(
  from: string,
  customer: Record<string, unknown> = stripeCustomer(),
): Promise<unknown> {
  const transformer = await createTransformer(
    { type: 'mapping', mappings: [{ to: 'out', from }] },
    undefined,
    PLACE,
  );
  const [outcome] = await transformer.transformBatch([customer]);
  if (outcome?.kind !== 'record') throw new Error(`expected a record: ${JSON.stringify(outcome)}`);
  return outcome.record.out;
}

/** Maps `from` into the model's `seats` column and converts the record with the model. */
async function seatsOf(from: string, customer: Record<string, unknown>): Promise<unknown> {
  const transformer = await createTransformer(
    { type: 'mapping', mappings: [{ to: 'seats', from }] },
    seatsModel,
    PLACE,
  );
  const [outcome] = await transformer.transformBatch([customer]);
  if (outcome?.kind !== 'record') throw new Error(`expected a record: ${JSON.stringify(outcome)}`);
  const converted = seatsModel.convert(outcome.record);
  if (!converted.ok) throw new Error(converted.error);
  return converted.record.seats;
}

const seatsModel = compileCustomerModel([{ name: 'seats', type: 'integer' }]);

async function mapError(from: string, customer = stripeCustomer()): Promise<string> {
  const transformer = await createTransformer(
    { type: 'mapping', mappings: [{ to: 'out', from }] },
    undefined,
    PLACE,
  );
  const [outcome] = await transformer.transformBatch([customer]);
  if (outcome?.kind !== 'error') throw new Error(`expected an error: ${JSON.stringify(outcome)}`);
  return outcome.message;
}

async function configError(spec: unknown, model?: CustomerModel): Promise<string> {
  try {
    await createTransformer(spec, model, PLACE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}
const fromError = (from: string, model?: CustomerModel, to = 'out') =>
  configError({ type: 'mapping', mappings: [{ to, from }] }, model);

describe('paths and constants', () => {
  it.each([
    ['email', ' Jenny.Rosen@Example.com '],
    ['address.city', 'Paris'],
    ['metadata.plan', 'pro'],
    ['metadata["signup.source"]', 'ads'],
    ["metadata['signup.source']", 'ads'],
    ['metadata.missing', null],
    ['preferred_locales[1]', 'en'],
    ['preferred_locales[5]', null],
    ['invoice_settings.custom_fields[0].value', 'FR123'],
    ['discount.source.type', 'coupon'],
    ['shipping.address.city', null],
    ['cash_balance.available.eur', null],
    ['$.address.country', 'FR'],
    ["$['metadata']['signup.source']", 'ads'],
    ['$.invoice_settings.custom_fields[*].name', 'VAT'],
    ['$..custom_fields[?(@.name === "PO")].value', '42'],
    ['$.preferred_locales', ['fr', 'en']],
    ['$.nothing_here_at_all[*]', null],
    ["'constant'", 'constant'],
    ['"double \\"quoted\\""', 'double "quoted"'],
    ['42', 42],
    ['-1.5', -1.5],
    ['true', true],
    ['false', false],
    ['null', null],
  ])('%s', async (from, expected) => {
    expect(await mapOne(from)).toEqual(expected);
  });

  it('reads only own properties (no prototype lookups)', async () => {
    expect(await mapOne('metadata["constructor"]')).toBeNull();
    expect(await mapOne('metadata["__proto__"]')).toBeNull();
    expect(await mapOne('metadata["toString"]')).toBeNull();
  });

  it('null along the way gives null', async () => {
    const bare = bareStripeCustomer();
    expect(await mapOne('invoice_settings.custom_fields[0].name', bare)).toBeNull();
    expect(await mapOne('address.city', { ...bare, address: null })).toBeNull();
    expect(await mapOne('discount.source.coupon', bare)).toBeNull();
    expect(await mapOne('map(invoice_settings.custom_fields, item.name)', bare)).toBeNull();
  });
});

describe('functions', () => {
  it.each([
    ['coalesce(name, concat(metadata.first, " ", metadata.last))', 'Jenny Rosen'],
    ['coalesce(null, null)', null],
    ['coalesce(email, "x")', ' Jenny.Rosen@Example.com '],
    ['lower(trim(email))', 'jenny.rosen@example.com'],
    ['upper(address.city)', 'PARIS'],
    ['initcap("hello wORLD-foo")', 'Hello World-Foo'],
    ['ltrim(email)', 'Jenny.Rosen@Example.com '],
    ['rtrim(email)', ' Jenny.Rosen@Example.com'],
    ['trim(name)', null],
    ['substring("Stripe", 2, 3)', 'tri'],
    ['substring("Stripe", 3)', 'ripe'],
    ['substring("Stripe", 0, 2)', 'S'],
    ['substring("Stripe", 10)', ''],
    ['substring("héllo👋x", 5, 2)', 'o👋'],
    ['len(preferred_locales)', 2],
    ['len("👋ab")', 3],
    ['len(name)', null],
    ['concat("a", 1, true, null, "b")', 'a1trueb'],
    ['split(metadata["signup.source"], "")', ['a', 'd', 's']],
    ['split("a,b,,c", ",")', ['a', 'b', '', 'c']],
    ['replace("a.b.c", ".", "-")', 'a-b-c'],
    ['replace(phone, " ", "")', '+33123456789'],
    ['json_parse(metadata.prefs)', { theme: 'dark', beta: true }],
    ['array(email, address.city, 1)', [' Jenny.Rosen@Example.com ', 'Paris', 1]],
    ['array()', []],
    ['map(preferred_locales, upper(item))', ['FR', 'EN']],
    ['map(preferred_locales, concat(_, "-", address.country))', ['fr-FR', 'en-FR']],
    ['map(invoice_settings.custom_fields, item.name)', ['VAT', 'PO']],
    ['map(array(array(1, 2), array(3)), len(item))', [2, 1]],
    ['map(array("a b", "c"), map(split(item, " "), upper(item)))', [['A', 'B'], ['C']]],
    ['if(delinquent, "late", "ok")', 'ok'],
    ['if(eq(metadata.plan, "pro"), "P")', 'P'],
    ['if(eq(metadata.plan, "free"), "P")', null],
    ['if(preferred_locales, "has", "none")', 'has'],
    ['eq(balance, 0)', true],
    ['eq(balance, "0")', false],
    ['ne(currency, "usd")', true],
    ['eq(array(1, "a"), array(1, "a"))', true],
    ['and(eq(currency, "eur"), not(delinquent))', true],
    ['or(delinquent, livemode)', false],
    ['not(name)', true],
  ])('%s', async (from, expected) => {
    expect(await mapOne(from)).toEqual(expected);
  });

  it('initcap follows SQL (words start after non-alphanumerics, apostrophes stay inside words)', async () => {
    expect(await mapOne('initcap("o\'neil mcdonald-smith 3rd")')).toBe("O'neil Mcdonald-Smith 3rd");
  });

  it('reports run-time errors per customer, naming the mapping', async () => {
    expect(await mapError('json_parse(metadata.plan)')).toMatch(
      /^mappings\[0\] \(to "out"\): json_parse\(\) got text that is not JSON/,
    );
    expect(await mapError('lower(json_parse(metadata.prefs))')).toBe(
      'mappings[0] (to "out"): lower() expects text, got an object',
    );
    expect(await mapError('map(json_parse(metadata.prefs), item)')).toBe(
      'mappings[0] (to "out"): map() expects an array, got an object',
    );
    expect(await mapError('substring(email, "x")')).toBe(
      'mappings[0] (to "out"): substring() expects start to be a whole number, got a string',
    );
  });
});

describe('compile-time errors name the field, the column and the fix', () => {
  it.each([
    [
      'emial',
      'mappings[0].from: at column 1: the customer has no field "emial" (did you mean "email"?)',
    ],
    [
      'address.cty',
      'mappings[0].from: at column 1: address has no field "cty" (did you mean "city"?); its fields are city, country, line1',
    ],
    [
      'lower(adress.city)',
      'column 7: the customer has no field "adress" (did you mean "address"?)',
    ],
    [
      'lowr(email)',
      'column 1: unknown function "lowr" (did you mean "lower"?); the functions are coalesce, if, eq',
    ],
    ['lower(email, name)', 'column 1: lower() takes 1 argument, got 2: lower(text)'],
    ['substring(email)', 'substring() takes 2 to 3 arguments, got 1'],
    ['coalesce()', 'coalesce() takes at least 1 argument, got 0'],
    ['lower(address)', 'column 7: lower() expects text as argument 1, but it gives an object'],
    [
      'concat("a", preferred_locales)',
      'column 13: concat() expects text as argument 2, but it gives an array',
    ],
    ['map(email, item)', 'column 5: map() expects an array as argument 1, but it gives text'],
    [
      'preferred_locales.first',
      'preferred_locales is an array: use preferred_locales[0].first for one element, or map(preferred_locales, item.first) for all',
    ],
    ['email.domain', 'email is text; it has no field "domain"'],
    [
      'address[0]',
      'address is an object, not an array, so it has no element [0]; for a key use address["0"]',
    ],
    ['item.name', '"item" only means the current element inside map(array, ...)'],
    ['map(preferred_locales, item.x)', 'item is text; it has no field "x"'],
    ['lower(email', 'column 12: the call of lower( is not closed: add ")"'],
    ['"open', 'column 1: text is not closed: add the closing "'],
    ['email name', 'column 7: unexpected "name" after a complete expression'],
    [
      'email, name',
      'column 6: unexpected "," after a complete expression (a "," only separates function arguments)',
    ],
    ['metadata.2fa', 'quote field names that start with a digit, e.g. metadata["2fa"]'],
    ['preferred_locales.0', 'use [0] for an array element'],
    ['email + 1', 'column 7: unexpected "+"'],
    ['', 'column 1: the expression is empty'],
    ['$.address[', 'the JSONPath is not closed'],
    ['$.address.cty', 'address has no field "cty" (did you mean "city"?)'],
    ['json_parse("{bad")', 'mappings[0].from: json_parse() got text that is not JSON'],
    ["'it\\'s' 'x'", 'column 9: unexpected text "x" after a complete expression'],
    ['json_parse(metadata.prefs).theme', 'column 27: unexpected "." after a complete expression'],
  ])('%s', async (from, message) => {
    const error = await fromError(from);
    expect(error).toContain(`${WHERE}.transformation.`);
    expect(error).toContain(message);
  });

  it('checks the spec shape', async () => {
    expect(await configError({ type: 'mapping' })).toBe(
      `${WHERE}.transformation.mappings: no column to fill. List the columns to fill, e.g. [{ "to": "email", "from": "lower(email)" }].`,
    );
    expect(await configError({ type: 'mapping', mapings: [] })).toContain(
      'transformation.mapings: unknown key "mapings" for a mapping transformation (did you mean "mappings"?)',
    );
    expect(
      await configError({ type: 'mapping', mappings: [{ to: 'a', from: 'email', as: 1 }] }),
    ).toContain('transformation.mappings[0].as: unknown key "as"');
    expect(await configError({ type: 'mapping', mappings: [{ to: 'a', from: 1 }] })).toContain(
      'mappings[0].from: no expression given. Give an expression as text',
    );
    expect(
      await configError({ type: 'mapping', mappings: [{ to: 'a b', from: 'email' }] }),
    ).toContain('mappings[0].to: "a b" is not a valid column name');
    expect(
      await configError({
        type: 'mapping',
        mappings: [
          { to: 'a', from: 'email' },
          { to: 'a', from: 'name' },
        ],
      }),
    ).toContain(
      'mappings[1].to: "a" is already filled by pipelines[0] ("eu_pro").transformation.mappings[0]',
    );
    expect(
      await configError({
        type: 'mapping',
        mappings: [
          { to: 'Email', from: 'email' },
          { to: 'email', from: 'lower(email)' },
        ],
      }),
    ).toBe(
      `${WHERE}.transformation.mappings[1].to: "email" is already filled by ${WHERE}.transformation.mappings[0] (as "Email"; column names are compared case-insensitively, as warehouses do). Keep one of them.`,
    );
    expect(await configError({ type: 'mappings' })).toBe(
      `${WHERE}.transformation.type: "mappings" is not a transformation type (did you mean "mapping"?). Use one of "mapping", "javascript", "python".`,
    );
    expect(await configError('mapping')).toContain(
      `${WHERE}.transformation: must be an object with a "type"`,
    );
  });
});

describe('with a Customer Model', () => {
  const model = compileCustomerModel([
    { name: 'email', type: 'string' },
    { name: 'city', type: 'string' },
    { name: 'plan', type: 'string' },
    { name: 'seats', type: 'integer' },
    { name: 'signed_up', type: 'datetime' },
    { name: 'locales', type: 'array', items: { type: 'string' } },
    { name: 'unmapped', type: 'boolean' },
  ]);

  it('fills model columns in model order, unmapped ones null; the pipeline converts', async () => {
    const transformer = await createTransformer(
      {
        type: 'mapping',
        mappings: [
          { to: 'locales', from: 'map(preferred_locales, upper(item))' },
          { to: 'email', from: 'lower(trim(email))' },
          { to: 'city', from: 'address.city' },
          { to: 'plan', from: 'metadata.plan' },
          { to: 'seats', from: 'metadata.seats' },
          { to: 'signed_up', from: 'created' },
        ],
      },
      model,
      PLACE,
    );
    const [outcome] = await transformer.transformBatch([stripeCustomer()]);
    expect(outcome).toEqual({
      kind: 'record',
      record: {
        email: 'jenny.rosen@example.com',
        city: 'Paris',
        plan: 'pro',
        seats: '12',
        signed_up: 1234567890,
        locales: ['FR', 'EN'],
        unmapped: null,
      },
    });
    expect(Object.keys((outcome as { record: object }).record)).toEqual(model.names);
    expect(model.convert((outcome as { record: Record<string, unknown> }).record)).toEqual({
      ok: true,
      record: {
        email: 'jenny.rosen@example.com',
        city: 'Paris',
        plan: 'pro',
        seats: 12,
        signed_up: '2009-02-13T23:31:30Z',
        locales: ['FR', 'EN'],
        unmapped: null,
      },
    });
  });

  it('rejects columns that are not in the model', async () => {
    expect(await fromError('email', model, 'emails')).toBe(
      `${WHERE}.transformation.mappings[0].to: "emails" is not a property of \`customer_model\` (did you mean "email"?); the properties are email, city, plan, seats, signed_up, locales, unmapped. Add it to \`customer_model\` or map another one.`,
    );
  });

  it('rejects results that can never fit the column type', async () => {
    expect(await fromError('address', model, 'seats')).toBe(
      `${WHERE}.transformation.mappings[0].from: column "seats" is integer but it gives an object, which cannot become an integer (the expression gives an object). Map a field of a matching type, or change the column's type in \`customer_model\`.`,
    );
    expect(await fromError('email', model, 'locales')).toContain(
      'column "locales" is array but it gives text',
    );
    expect(await fromError('array(address)', model, 'locales')).toContain(
      'its elements: it gives an object, which cannot become a string',
    );
    expect(await fromError('delinquent', model, 'signed_up')).toContain(
      'it gives a boolean, which cannot become a datetime',
    );
    // Possible at run time: text into integer, any value from a JSONPath. They load, and a
    // customer whose value fits converts.
    const customer = stripeCustomer({ metadata: { seats: '12' } });
    expect(await seatsOf('metadata.seats', customer)).toBe(12);
    expect(await seatsOf('$..seats', customer)).toBe(12);
  });

  it('checks constants against the column when loading', async () => {
    expect(await fromError("'many'", model, 'seats')).toBe(
      `${WHERE}.transformation.mappings[0].from: the constant does not fit column seats: expected an integer, got a string. Change the constant or the column's type.`,
    );
    expect(await seatsOf("'7'", stripeCustomer())).toBe(7);
  });

  it('requires a mapping for non-nullable properties', async () => {
    const strict = compileCustomerModel([
      { name: 'email', type: 'string', nullable: false },
      { name: 'city', type: 'string' },
    ]);
    expect(
      await configError(
        { type: 'mapping', mappings: [{ to: 'city', from: 'address.city' }] },
        strict,
      ),
    ).toBe(
      `${WHERE}.transformation.mappings: property "email" of \`customer_model\` is not nullable but no mapping fills it. Add { "to": "email", "from": "..." } or make it nullable.`,
    );
  });
});

describe('constants', () => {
  it('gives every record its own copy of an array or object constant', async () => {
    const transformer = await createTransformer(
      {
        type: 'mapping',
        mappings: [
          { to: 'tags', from: 'array("a", "b")' },
          { to: 'settings', from: `json_parse('{"tier": {"name": "pro"}, "seats": [1]}')` },
          { to: 'source', from: '"stripe"' },
        ],
      },
      undefined,
      PLACE,
    );
    const [first, second] = await transformer.transformBatch(manyCustomers(2));
    if (first?.kind !== 'record' || second?.kind !== 'record') throw new Error('expected records');
    // What an n8n step (or any consumer) may do to one item in place:
    (first.record.tags as string[]).push('c');
    const settings = first.record.settings as { tier: { name: string }; seats: number[] };
    settings.tier.name = 'changed';
    settings.seats.push(2);
    expect(second.record).toEqual({
      tags: ['a', 'b'],
      settings: { tier: { name: 'pro' }, seats: [1] },
      source: 'stripe',
    });
    const [third] = await transformer.transformBatch(manyCustomers(1));
    expect(third).toEqual({ kind: 'record', record: second.record });
    await transformer.close();
  });
});

describe('column schemas without a model (discover)', () => {
  it('types each column from its expression, nullable; {} where the type is a mix or unknown', () => {
    const columns = mappingColumnSchemas(
      {
        type: 'mapping',
        mappings: [
          { to: 'email', from: 'lower(email)' },
          { to: 'created_at', from: 'created' },
          { to: 'balance', from: 'balance' },
          { to: 'ratio', from: '0.5' },
          { to: 'vip', from: 'eq(metadata.plan, "pro")' },
          { to: 'full_name', from: 'concat(name, " ", phone)' },
          { to: 'locales', from: 'map(preferred_locales, upper(item))' },
          { to: 'parts', from: 'split(email, "@")' },
          { to: 'plan', from: 'metadata.plan' },
          { to: 'metadata', from: 'metadata' },
          { to: 'mixed', from: 'coalesce(email, balance)' },
          { to: 'anything', from: '$.invoice_settings.custom_fields[*].value' },
          { to: 'parsed', from: 'json_parse(metadata.settings)' },
        ],
      },
      AT,
    );
    expect(columns).toEqual({
      email: { type: ['null', 'string'] },
      created_at: { type: ['null', 'integer'] },
      balance: { type: ['null', 'integer'] },
      ratio: { type: ['null', 'number'] },
      vip: { type: ['null', 'boolean'] },
      full_name: { type: ['null', 'string'] },
      locales: { type: ['null', 'array'], items: { type: 'string' } },
      parts: { type: ['null', 'array'], items: { type: 'string' } },
      plan: { type: ['null', 'string'] },
      metadata: {
        type: ['null', 'object'],
        additionalProperties: { type: 'string' },
        description: 'Set of key-value pairs (strings) attached to the object.',
      },
      mixed: {},
      anything: {},
      parsed: {},
    });
    expect(Object.keys(columns)).toEqual([
      'email',
      'created_at',
      'balance',
      'ratio',
      'vip',
      'full_name',
      'locales',
      'parts',
      'plan',
      'metadata',
      'mixed',
      'anything',
      'parsed',
    ]);
  });

  it('throws the same config errors as loading the mapping', () => {
    expect(() =>
      mappingColumnSchemas({ type: 'mapping', mappings: [{ to: 'x', from: 'emial' }] }, AT),
    ).toThrow(ConfigError);
  });
});

describe('batches', () => {
  it('transforms 1,000 customers, one outcome each, in order', async () => {
    const transformer = await createTransformer(
      {
        type: 'mapping',
        mappings: [
          { to: 'id', from: 'id' },
          { to: 'email', from: 'upper(email)' },
          { to: 'seats', from: 'json_parse(metadata.seats)' },
        ],
      },
      undefined,
      PLACE,
    );
    const customers = manyCustomers(1000);
    const outcomes: TransformOutcome[] = await transformer.transformBatch(customers);
    expect(outcomes).toHaveLength(1000);
    outcomes.forEach((outcome, i) => {
      expect(outcome).toEqual({
        kind: 'record',
        record: { id: customers[i]?.id, email: `USER${i}@EXAMPLE.COM`, seats: i % 50 },
      });
    });
    await transformer.close();
  });
});
