/**
 * Code with a Customer Model returns exactly the model's columns: a column it leaves out is an
 * error naming it, as a key the model lacks is (both are the code and the model disagreeing),
 * handled by `on_error` like any failed customer. A mapping is not affected: its unmapped
 * columns are null by design. In process against a scripted Stripe, JavaScript and Python.
 */
import { describe, expect, it } from 'vitest';
import { DataError } from '../../connector';
import { columnMismatch } from '../../connector/transform/code-results';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from '../engine/harness';

const MODEL = [
  { name: 'email', type: 'string' },
  { name: 'phone', type: 'string' },
  { name: 'country', type: 'string' },
];

function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  stripe.advance(-3_600);
  stripe.create({ id: 'cus_a', email: 'a@example.com', phone: '+1' }, { silent: true });
  stripe.create({ id: 'cus_b', email: 'b@example.com' }, { silent: true });
  stripe.advance(3_600);
  return stripe;
}

const LANGUAGES = {
  javascript: (returned: string) => `function transform(c) { return ${returned}; }`,
  python: (returned: string) => `def transform(c):\n    return ${returned}`,
} as const;

async function run(
  type: keyof typeof LANGUAGES,
  returned: string,
  onError: 'fail' | 'skip',
  model: unknown[] | 'none' = MODEL,
) {
  return runEngine(
    account(),
    configWith({
      ...(model === 'none' ? {} : { customer_model: model }),
      pipelines: [
        {
          name: 'customers',
          transformation: { type, source: LANGUAGES[type](returned) },
          on_error: onError,
        },
      ],
    }),
    { syncMode: 'full_refresh' },
  );
}

describe('code with a Customer Model', () => {
  for (const type of ['javascript', 'python'] as const) {
    const fewer = type === 'python' ? `{'email': c['email']}` : '{ email: c.email }';
    it(`${type}: leaving columns out stops the run, naming them`, async () => {
      const result = await run(type, fewer, 'fail');
      expect(result.failure).toBeInstanceOf(DataError);
      expect(result.failure?.message).toContain(
        'transformation failed: it returned no "phone", "country" (return every column of the Customer Model, null for no value, or remove them from the Customer Model)',
      );
      expect(result.items).toEqual([]);
    });
  }

  it('skips such customers with the reason under on_error: skip; null is a value', async () => {
    const result = await run(
      'javascript',
      `c.phone ? { email: c.email, phone: c.phone, country: null } : { email: c.email }`,
      'skip',
    );
    expect(result.failure).toBeUndefined();
    expect(result.items.map((item) => item.record)).toMatchObject([
      { email: 'a@example.com', phone: '+1', country: null },
    ]);
    expect(result.skipped).toEqual([
      {
        id: 'cus_b',
        cause: 'error',
        reason:
          'transformation failed: it returned no "phone", "country" (return every column of the Customer Model, null for no value, or remove them from the Customer Model)',
      },
    ]);
  });

  it('names a missing and an extra column in one message, the same way', async () => {
    const result = await run('javascript', '{ email: c.email, phone: null, plan: "x" }', 'fail');
    expect(result.failure?.message).toContain(
      'it returned no "country" (return every column of the Customer Model, null for no value, or remove it from the Customer Model); it returned "plan", which is not a column of the Customer Model (add it to the Customer Model or stop returning it)',
    );
  });

  it('leaves code without a model, and a mapping’s unmapped columns, as they were', async () => {
    const fewer = await run('javascript', '{ email: c.email }', 'fail');
    expect(fewer.failure).toBeInstanceOf(DataError);
    const withoutModel = await run('javascript', '{ email: c.email }', 'fail', 'none');
    expect(withoutModel.failure).toBeUndefined();
    expect(withoutModel.items).toHaveLength(2);
    const mapped = await runEngine(
      account(),
      configWith({
        customer_model: MODEL,
        pipelines: [
          {
            name: 'customers',
            transformation: { type: 'mapping', mappings: [{ to: 'email', from: 'email' }] },
          },
        ],
      }),
      { syncMode: 'full_refresh' },
    );
    expect(mapped.failure).toBeUndefined();
    expect(mapped.items.map((item) => [item.record.email, item.record.country])).toEqual([
      ['b@example.com', null],
      ['a@example.com', null],
    ]);
  });
});

describe('columnMismatch', () => {
  it('is undefined for exactly the columns, in any order', () => {
    expect(columnMismatch({ b: 1, a: null }, ['a', 'b'])).toBeUndefined();
  });

  it('lists at most ten names, then how many more', () => {
    const columns = Array.from({ length: 12 }, (_, i) => `c${i}`);
    expect(columnMismatch({}, columns)).toMatch(
      /^it returned no "c0", .*"c9", and 2 more \(return every column/,
    );
  });

  it('counts a key that is present but inherited as missing', () => {
    expect(columnMismatch(Object.create({ a: 1 }) as Record<string, unknown>, ['a'])).toMatch(
      /returned no "a"/,
    );
  });
});
