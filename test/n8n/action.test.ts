/**
 * The Stripe Customers node, built and loaded by n8n, run by n8n-core's WorkflowExecute against
 * the Stripe emulator: filters, the Customer Model with its mapping, JavaScript/Python code,
 * limits, "only changed since last run" with its cursor in static data and its bounded preview
 * in manual runs, items in n8n's shape, reading options, and errors in the editor's words.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { listAllCustomers, sdkFor, settle, TEST_KEY } from '../support/stripe';
import { loadPackage, takeLogs, type LoadedPackage, type NodeRun } from './support/n8n';

let pkg: LoadedPackage;
let emulator: RunningEmulator;
let stripe: Stripe;
let everyone: Stripe.Customer[];

const names = (items: Array<{ name?: unknown }>) => items.map((item) => String(item.name)).sort();

const byId = (items: Array<Record<string, unknown>>, key = 'id') =>
  new Map(items.map((item) => [item[key] as string, item]));

/** The engine's bookkeeping fields, which n8n items must not carry. */
const AIRBYTE_FIELDS = [
  'updated',
  'is_deleted',
  '_ab_cdc_deleted_at',
  '_stripe_updated',
  '_stripe_is_deleted',
];

/** Unix seconds as the items' ISO date-times (no milliseconds, like the model's datetimes). */
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

beforeAll(async () => {
  [pkg, emulator] = await Promise.all([
    loadPackage(),
    startEmulator({
      customers: 150,
      seed: 11,
      restrictedKeys: {
        rk_test_events_only: ['events:read'],
        rk_test_customers_only: ['customers:read'],
      },
    }),
  ]);
  // Seeded customers are at least an hour old: only the tests' own changes are recent.
  emulator.advanceClock(3_600);
  stripe = sdkFor(emulator);
  await stripe.customers.create({
    email: 'ada@pro.example',
    name: 'Ada Lovelace',
    metadata: { plan: 'pro', 'signup.source': 'ads' },
    address: { country: 'GB', city: 'London' },
  });
  await stripe.customers.create({
    email: 'Grace@PRO.example',
    name: 'Grace Hopper',
    metadata: { plan: 'pro' },
    address: { country: 'US' },
  });
  await stripe.customers.create({ email: 'alan@free.example', name: 'Alan Turing' });
  everyone = await listAllCustomers(stripe);
  await pkg.setCredential({ apiKey: TEST_KEY, apiBaseUrl: emulator.url });
  await pkg.setCredential({ apiKey: 'sk_test_wrong', apiBaseUrl: emulator.url }, 'wrong-key');
  await pkg.setCredential(
    { apiKey: 'rk_test_events_only', apiBaseUrl: emulator.url },
    'no-customers',
  );
  await pkg.setCredential(
    { apiKey: 'rk_test_customers_only', apiBaseUrl: emulator.url },
    'no-events',
  );
});

afterAll(async () => {
  await emulator?.close();
  pkg?.remove();
});

describe('importing customers', () => {
  it('returns every customer as Stripe has it, in n8n’s shape, paired to the input', async () => {
    const run = await pkg.runAction({ parameters: { returnAll: true } });
    expect(run.error).toBeUndefined();
    expect(run.items).toHaveLength(everyone.length);
    const items = byId(run.items);
    for (const customer of everyone) {
      const item = items.get(customer.id)!;
      expect(item).toMatchObject({
        id: customer.id,
        email: customer.email,
        object: 'customer',
        created: customer.created,
        _stripe_change: 'listed',
        _stripe_event: null,
        _stripe_deleted: false,
      });
      // When the import's reading is as of: an ISO date-time, not unix seconds.
      expect(item._stripe_changed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      for (const field of AIRBYTE_FIELDS) expect(item).not.toHaveProperty(field);
    }
    expect(run.raw.every((item) => JSON.stringify(item.pairedItem) === '{"item":0}')).toBe(true);
  });

  it('stops at the limit', async () => {
    const run = await pkg.runAction({ parameters: { returnAll: false, limit: 7 } });
    expect(run.items).toHaveLength(7);
    const ids = new Set(everyone.map((customer) => customer.id));
    expect(run.items.every((item) => ids.has(item.id as string))).toBe(true);
  });

  it('filters with the conditions UI: property, operator, value; metadata keys; any/all', async () => {
    const all = await pkg.runAction({
      parameters: {
        returnAll: true,
        filterMode: 'conditions',
        filterLogical: 'all',
        filterConditions: {
          condition: [
            { property: 'email', operator: 'ends_with', value: '@pro.example' },
            { property: 'metadata.<key>', key: 'plan', operator: 'is', value: 'PRO' },
          ],
        },
      },
    });
    expect(all.error).toBeUndefined();
    expect(all.items.map((item) => item.name).sort()).toEqual(['Ada Lovelace', 'Grace Hopper']);

    const any = await pkg.runAction({
      parameters: {
        returnAll: true,
        filterMode: 'conditions',
        filterLogical: 'any',
        filterConditions: {
          condition: [
            {
              property: 'metadata.<key>',
              key: 'signup.source',
              operator: 'is_one_of',
              values: ['ads', 'partner'],
            },
            {
              property: 'email',
              operator: 'is',
              value: 'ALAN@free.example',
              caseSensitive: true,
            },
            { property: '__custom', path: 'address.country', operator: 'is', value: 'us' },
          ],
        },
      },
    });
    const expected = everyone.filter(
      (customer) =>
        ['ads', 'partner'].includes(customer.metadata['signup.source']?.toLowerCase() ?? '') ||
        customer.email === 'ALAN@free.example' ||
        customer.address?.country?.toLowerCase() === 'us',
    );
    expect(expected.length).toBeGreaterThan(2);
    expect(names(any.items)).toEqual(names(expected));
    expect(names(any.items)).toContain('Grace Hopper');
    expect(names(any.items)).not.toContain('Alan Turing');
  });

  it('filters timestamps with date values, like the engine does', async () => {
    const cutoff = everyone[Math.floor(everyone.length / 2)]!.created;
    const run = await pkg.runAction({
      parameters: {
        returnAll: true,
        filterMode: 'conditions',
        filterConditions: {
          condition: [
            {
              property: 'created',
              operator: 'is_between',
              low: new Date(cutoff * 1000).toISOString(),
              high: new Date(emulator.now() * 1000).toISOString(),
            },
          ],
        },
      },
    });
    const expected = everyone.filter((customer) => customer.created >= cutoff).map((c) => c.id);
    expect(run.items.map((item) => item.id).sort()).toEqual(expected.sort());
  });

  it('reads "Created On or After" in the workflow’s timezone', async () => {
    const cutoff = everyone[Math.floor(everyone.length / 2)]!.created;
    const expected = everyone.filter((customer) => customer.created >= cutoff).map((c) => c.id);
    // n8n's date picker gives wall-clock text without an offset, meant in the workflow's
    // timezone: Asia/Kolkata is UTC+05:30 all year.
    const kolkataWallClock = new Date((cutoff + 5.5 * 3600) * 1000).toISOString().slice(0, 19);
    const run = await pkg.runAction({
      parameters: { returnAll: true, options: { startDate: kolkataWallClock } },
      timezone: 'Asia/Kolkata',
    });
    expect(run.error).toBeUndefined();
    expect(run.items.map((item) => item.id).sort()).toEqual(expected.sort());

    // Text with an offset means that instant, whatever the workflow's timezone.
    const withOffset = await pkg.runAction({
      parameters: {
        returnAll: true,
        options: { startDate: new Date(cutoff * 1000).toISOString() },
      },
      timezone: 'America/New_York',
    });
    expect(withOffset.items.map((item) => item.id).sort()).toEqual(expected.sort());
  });

  it('accepts the filter JSON, nested groups included', async () => {
    const run = await pkg.runAction({
      parameters: {
        returnAll: true,
        filterMode: 'json',
        filterJson: JSON.stringify({
          logical: 'any',
          conditions: [
            { property: 'name', operator: 'starts_with', values: ['alan'] },
            {
              logical: 'all',
              conditions: [
                { property: 'address.country', operator: 'is', values: ['GB'] },
                { property: 'address.city', operator: 'is', values: ['london'] },
              ],
            },
          ],
        }),
      },
    });
    const expected = everyone.filter(
      (customer) =>
        customer.name?.toLowerCase().startsWith('alan') ||
        (customer.address?.country?.toLowerCase() === 'gb' &&
          customer.address.city?.toLowerCase() === 'london'),
    );
    expect(names(run.items)).toEqual(names(expected));
    expect(names(run.items)).toEqual(expect.arrayContaining(['Ada Lovelace', 'Alan Turing']));
  });

  it('evaluates expressions per input item, one import per item', async () => {
    const run = await pkg.runAction({
      input: [{ json: { domain: '@pro.example' } }, { json: { domain: '@free.example' } }],
      parameters: {
        returnAll: true,
        filterMode: 'conditions',
        filterConditions: {
          condition: [{ property: 'email', operator: 'ends_with', value: '={{ $json.domain }}' }],
        },
      },
    });
    const paired = run.raw.map((item) => [
      item.json.name,
      (item.pairedItem as { item: number }).item,
    ]);
    expect(paired.sort()).toEqual([
      ['Ada Lovelace', 0],
      ['Alan Turing', 1],
      ['Grace Hopper', 0],
    ]);
  });
});

describe('Customer Model and transformations', () => {
  const onlyPro = {
    filterMode: 'conditions',
    filterConditions: {
      condition: [{ property: 'email', operator: 'ends_with', value: '@pro.example' }],
    },
  };

  it('maps Stripe fields into the model: one row per field with its name, type and From', async () => {
    const run = await pkg.runAction({
      parameters: {
        returnAll: true,
        ...onlyPro,
        transformation: 'mapping',
        customerModel: {
          field: [
            {
              name: 'email',
              type: 'string',
              from: 'lower(email)',
              fieldOptions: { nullable: false },
            },
            { name: 'country', type: 'string', from: 'address.country' },
            {
              name: 'signup_source',
              type: 'string',
              from: 'coalesce(metadata["signup.source"], "organic")',
            },
            { name: 'balance', type: 'decimal', precision: 12, scale: 2, from: 'balance' },
            { name: 'created_at', type: 'datetime', from: 'created' },
            // From left empty: the Stripe field of the same name.
            { name: 'name', type: 'string' },
          ],
        },
      },
    });
    expect(run.error).toBeUndefined();
    const ada = everyone.find((customer) => customer.email === 'ada@pro.example')!;
    expect(byId(run.items, '_stripe_id').get(ada.id)).toEqual({
      email: 'ada@pro.example',
      country: 'GB',
      signup_source: 'ads',
      balance: 0,
      created_at: iso(ada.created),
      name: 'Ada Lovelace',
      _stripe_id: ada.id,
      _stripe_change: 'listed',
      _stripe_event: null,
      _stripe_changed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      _stripe_deleted: false,
    });
    expect(run.items.map((item) => item.email).sort()).toEqual([
      'ada@pro.example',
      'grace@pro.example',
    ]);
  });

  it('takes a field’s Options: a field that may not be null stops the run at a null', async () => {
    const alan = everyone.find((customer) => customer.email === 'alan@free.example')!;
    const run = await pkg.runAction({
      parameters: {
        returnAll: true,
        filterMode: 'conditions',
        filterConditions: {
          condition: [{ property: 'email', operator: 'is', value: 'alan@free.example' }],
        },
        transformation: 'mapping',
        customerModel: {
          field: [
            { name: 'email', type: 'string', from: 'email' },
            {
              name: 'country',
              type: 'string',
              from: 'address.country',
              fieldOptions: { nullable: false, description: 'ISO country' },
            },
          ],
        },
      },
    });
    expect(run.error?.message).toMatch(
      new RegExp(`^Customer ${alan.id} does not fit the Customer Model: country`),
    );
  });

  it('asks for at least one field when the output is Mapped Fields', async () => {
    emulator.resetStats();
    const run = await pkg.runAction({ parameters: { transformation: 'mapping' } });
    expect(run.error).toMatchObject({ name: 'NodeOperationError' });
    expect(run.error?.message).toMatch(/Mapped Fields needs at least one field.*Add Field/);
    expect(emulator.stats().requests).toBe(0);
  });

  it('runs JavaScript code; null skips a customer', async () => {
    const run = await pkg.runAction({
      parameters: {
        returnAll: true,
        ...onlyPro,
        transformation: 'javascript',
        modelMode: 'json',
        customerModelJson: JSON.stringify([
          { name: 'email', type: 'string' },
          { name: 'initials', type: 'string' },
        ]),
        javascriptCode: `function transform(customer) {
  if (customer.name.startsWith('Grace')) return null;
  return {
    email: customer.email,
    initials: customer.name.split(' ').map((part) => part[0]).join(''),
  };
}`,
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.items).toEqual([
      expect.objectContaining({
        email: 'ada@pro.example',
        initials: 'AL',
        _stripe_change: 'listed',
      }),
    ]);
  });

  it('stops at code that returns fewer fields than the Customer Model, naming them, as at an extra one', async () => {
    const ada = everyone.find((customer) => customer.email === 'ada@pro.example')!;
    const run = (javascriptCode: string) =>
      pkg.runAction({
        parameters: {
          returnAll: true,
          filterMode: 'conditions',
          filterConditions: {
            condition: [{ property: 'email', operator: 'is', value: 'ada@pro.example' }],
          },
          transformation: 'javascript',
          customerModel: {
            field: [
              { name: 'email', type: 'string' },
              { name: 'country', type: 'string' },
            ],
          },
          javascriptCode,
        },
      });
    const fewer = await run('function transform(c) { return { email: c.email }; }');
    expect(fewer.items).toEqual([]);
    expect(fewer.error).toMatchObject({ name: 'NodeOperationError' });
    expect(fewer.error?.message).toBe(
      `Customer ${ada.id} transformation failed: it returned no "country" (return every column of the Customer Model, null for no value, or remove it from the Customer Model). Fix the transformation or the Customer Model, or set "On Transformation Error" to "Skip the Customer" to import the other customers.`,
    );
    const extra = await run(
      'function transform(c) { return { email: c.email, country: null, plan: "pro" }; }',
    );
    expect(extra.error?.message).toBe(
      `Customer ${ada.id} transformation failed: it returned "plan", which is not a column of the Customer Model (add it to the Customer Model or stop returning it). Fix the transformation or the Customer Model, or set "On Transformation Error" to "Skip the Customer" to import the other customers.`,
    );
    expect(extra.error?.message).not.toMatch(/\bthe the\b/i);
    const complete = await run(
      'function transform(c) { return { email: c.email, country: c.address?.country ?? null }; }',
    );
    expect(complete.error).toBeUndefined();
    expect(complete.items).toMatchObject([{ email: 'ada@pro.example', country: 'GB' }]);
  });

  it('names the customer whose code fails, or skips it when asked to', async () => {
    const parameters = {
      returnAll: true,
      ...onlyPro,
      transformation: 'javascript',
      javascriptCode: `function transform(customer) {
  if (customer.metadata['signup.source'] === 'ads') throw new Error('no ads customers');
  return { email: customer.email };
}`,
    };
    const ada = everyone.find((customer) => customer.email === 'ada@pro.example')!;
    const failing = await pkg.runAction({ parameters });
    expect(failing.error).toMatchObject({ name: 'NodeOperationError' });
    expect(failing.error?.message).toMatch(new RegExp(`customer ${ada.id}`, 'i'));
    expect(failing.error?.message).toContain('no ads customers');
    // The fix is named as the panel names it.
    expect(failing.error?.message).toContain(
      'set "On Transformation Error" to "Skip the Customer"',
    );
    expect(failing.error?.message).not.toContain('on_error');

    takeLogs();
    const skipping = await pkg.runAction({ parameters: { ...parameters, onError: 'skip' } });
    expect(skipping.error).toBeUndefined();
    expect(skipping.items.map((item) => item.email)).toEqual(['Grace@PRO.example']);
    const logged = takeLogs().join('\n');
    expect(logged).toMatch(new RegExp(`WARN .*skipped customer ${ada.id}: .*no ads customers`));
    expect(logged).toContain(
      'WARN 1 customer(s) skipped after errors (On Transformation Error: Skip the Customer).',
    );
    expect(skipping.hints).toEqual([
      {
        message: `1 customer(s) were skipped after errors (On Transformation Error: Skip the Customer) and have no item. n8n's log names the first 10 and why.`,
        type: 'warning',
        location: 'outputPane',
      },
    ]);
  });

  it('reports code that does not load, with the line', async () => {
    const run = await pkg.runAction({
      parameters: {
        ...onlyPro,
        transformation: 'javascript',
        javascriptCode: 'function transform(customer) {\n  return { email: customer.email \n}',
      },
    });
    expect(run.error).toMatchObject({ name: 'NodeOperationError' });
    expect(run.error?.message).toMatch(/^The JavaScript code: line \d: SyntaxError/);
  });

  it('runs Python code, with the code limits of Code Options', async () => {
    const run = await pkg.runAction({
      parameters: {
        returnAll: true,
        ...onlyPro,
        transformation: 'python',
        codeOptions: { timeoutMs: 5000, memoryLimitMb: 256 },
        customerModel: {
          field: [
            { name: 'email', type: 'string' },
            { name: 'plan', type: 'string' },
          ],
        },
        pythonCode: `def transform(customer):
    return {"email": customer["email"].lower(), "plan": customer["metadata"].get("plan", "").upper()}
`,
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.items.map(({ email, plan }) => ({ email, plan }))).toEqual(
      expect.arrayContaining([
        { email: 'ada@pro.example', plan: 'PRO' },
        { email: 'grace@pro.example', plan: 'PRO' },
      ]),
    );
  }, 60_000);
});

describe('From takes the mapping language, never an n8n expression', () => {
  const mappingWithFrom = (from: string) => ({
    transformation: 'mapping',
    customerModel: {
      field: [
        { name: 'email', type: 'string', from: 'email' },
        { name: 'plan', type: 'string', from },
      ],
    },
  });

  it('names the mix-up and what to write instead, before any request', async () => {
    // Typed in expression mode (as a pasted workflow may hold it) or as text with {{ }}.
    for (const from of ['={{ $json.metadata.plan }}', '{{ $json.metadata.plan }}']) {
      emulator.resetStats();
      const run = await pkg.runAction({ parameters: mappingWithFrom(from) });
      expect(run.error).toMatchObject({ name: 'NodeOperationError' });
      expect(run.error?.message).toBe(
        'Field 2 (Name: plan) › From: "{{ $json.metadata.plan }}" is an n8n expression, but From takes the connector\'s mapping language, evaluated for each Stripe customer: write metadata.plan. n8n expressions ({{ … }}) are evaluated once per input item, before any customer is read; to use a value of the input item, add it after this node (e.g. with an Edit Fields node).',
      );
      expect(emulator.stats().requests).toBe(0);
    }
  });

  it('takes the suggested text as it is', async () => {
    const run = await pkg.runAction({
      parameters: { returnAll: true, ...mappingWithFrom('metadata.plan') },
    });
    expect(run.error).toBeUndefined();
    const plans = new Map(run.items.map((item) => [item._stripe_id, item.plan]));
    for (const customer of everyone) {
      expect(plans.get(customer.id)).toBe(customer.metadata.plan ?? null);
    }
    expect(plans.get(everyone.find((c) => c.email === 'ada@pro.example')!.id)).toBe('pro');
  });
});

describe('only changed since last run', () => {
  it('returns everything first, then only created, updated and deleted customers', async () => {
    const parameters = { onlyChanged: true };
    // Let the setup's own changes settle: they are older than the first import then.
    settle(emulator);
    const first = await pkg.runAction({ parameters });
    expect(first.error).toBeUndefined();
    expect(first.items.length).toBeGreaterThanOrEqual(everyone.length);
    expect(first.staticData['node:Stripe Customers']).toMatchObject({
      pipelineState: { version: 1, phase: 'incremental' },
    });

    const created = await stripe.customers.create({ email: 'new@changed.example' });
    const [updated, deleted] = everyone.slice(10, 12);
    await stripe.customers.update(updated!.id, { name: 'Updated Since' });
    await stripe.customers.del(deleted!.id);
    const deletedAt = emulator.now();
    settle(emulator);

    const second = await pkg.runAction({ parameters, staticData: first.staticData });
    expect(second.error).toBeUndefined();
    const changes = byId(second.items);
    expect(second.items).toHaveLength(3);
    expect(changes.get(created.id)).toMatchObject({
      _stripe_change: 'created',
      _stripe_deleted: false,
    });
    expect(changes.get(updated!.id)).toMatchObject({
      _stripe_change: 'updated',
      name: 'Updated Since',
    });
    // A deletion has the columns of the other items, null, so n8n's Table view shows every
    // row alike (no "undefined" cells); Stripe's own `deleted` flag is _stripe_deleted's.
    const gone = changes.get(deleted!.id)!;
    expect(gone).toMatchObject({
      id: deleted!.id,
      object: 'customer',
      email: null,
      name: null,
      metadata: null,
      _stripe_change: 'deleted',
      _stripe_event: 'customer.deleted',
      _stripe_changed_at: expect.any(String),
      _stripe_deleted: true,
    });
    expect(Object.keys(gone).sort()).toEqual(Object.keys(changes.get(created.id)!).sort());
    expect(gone).not.toHaveProperty('deleted');
    expect(changes.get(created.id)).toMatchObject({ _stripe_event: 'customer.created' });
    // The deletion's time: its event's, within the second the test deleted it in.
    const at = Date.parse(changes.get(deleted!.id)!._stripe_changed_at as string) / 1000;
    expect(Math.abs(at - deletedAt)).toBeLessThanOrEqual(1);

    settle(emulator);
    const third = await pkg.runAction({ parameters, staticData: second.staticData });
    expect(third.items).toEqual([]);
  });

  it('shows a bounded preview in manual runs, with a notice, and keeps no cursor', async () => {
    const manual = await pkg.runAction({
      parameters: { onlyChanged: true, previewLimit: 7 },
      mode: 'manual',
    });
    expect(manual.error).toBeUndefined();
    expect(manual.items).toHaveLength(7);
    expect(manual.staticData).toEqual({});
    expect(manual.hints).toEqual([
      expect.objectContaining({
        location: 'outputPane',
        message: expect.stringMatching(
          /^Manual run: a preview of up to 7 customers \(Preview Limit\).*When the workflow is active, each run returns every customer created, updated or deleted since the previous run/,
        ),
      }),
    ]);

    // The same parameters in production return every customer on the first run.
    const production = await pkg.runAction({ parameters: { onlyChanged: true, previewLimit: 7 } });
    expect(production.items.length).toBeGreaterThan(100);
    expect(production.hints).toEqual([]);
  });

  it('after a change of the filter, returns every matching customer again and says what that means in n8n', async () => {
    settle(emulator);
    const first = await pkg.runAction({ parameters: { onlyChanged: true } });
    expect(first.error).toBeUndefined();
    takeLogs();
    const onlyPro = {
      filterMode: 'conditions',
      filterConditions: {
        condition: [{ property: 'email', operator: 'ends_with', value: '@pro.example' }],
      },
    };
    const changed = await pkg.runAction({
      parameters: { onlyChanged: true, ...onlyPro },
      staticData: first.staticData,
    });
    expect(changed.error).toBeUndefined();
    expect(names(changed.items)).toEqual(['Ada Lovelace', 'Grace Hopper']);
    const warning = takeLogs().find((line) => line.includes('definition'));
    expect(warning).toMatch(
      /^WARN Pipeline "customers": its definition .* changed since the last run, so every customer is imported again to match it\. .* Items already sent for customers the new definition leaves out are not withdrawn: no deletion item comes for them\.$/,
    );
    expect(warning).not.toMatch(/Airbyte|Refresh and remove/);
  });
});

describe('reading options', () => {
  const proPlan = {
    returnAll: true,
    filterMode: 'conditions',
    filterConditions: {
      condition: [
        // Stripe's metadata search is exact: only a case-sensitive condition goes to it.
        {
          property: 'metadata.<key>',
          key: 'plan',
          operator: 'is',
          value: 'pro',
          caseSensitive: true,
        },
      ],
    },
  };
  const searches = () => emulator.stats().byRoute['GET /v1/customers/search'] ?? 0;
  const lists = () => emulator.stats().byRoute['GET /v1/customers'] ?? 0;

  it('"Use Search API for Filters" reads the matching customers through Stripe’s Search API', async () => {
    emulator.resetStats();
    const listed = await pkg.runAction({ parameters: proPlan });
    expect(listed.error).toBeUndefined();
    expect(searches()).toBe(0);
    const listPages = lists();
    expect(listPages).toBeGreaterThan(1);

    emulator.resetStats();
    const searched = await pkg.runAction({
      parameters: { ...proPlan, options: { useSearchApi: true } },
    });
    expect(searched.error).toBeUndefined();
    expect(searches()).toBeGreaterThan(0);
    expect(lists()).toBeLessThan(listPages);
    expect(names(searched.items)).toEqual(names(listed.items));
    expect(names(searched.items)).toEqual(expect.arrayContaining(['Ada Lovelace', 'Grace Hopper']));
  });

  it('warns about a rate limit naming the endpoint and the new pace, and goes on', async () => {
    const customers = await listAllCustomers(stripe);
    emulator.setFaults({ failNext: [{ status: 429, path: 'GET /v1/customers' }] });
    takeLogs();
    const run = await pkg.runAction({ parameters: { returnAll: true } });
    expect(run.error).toBeUndefined();
    expect(run.items).toHaveLength(customers.length);
    const warnings = takeLogs().filter((line) => line.startsWith('WARN '));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^WARN Stripe answered 429 \(rate limit\) on GET \/v1\/customers: slowing it down to \d+(\.\d)? requests\/s/,
      ),
    ]);
  });
});

describe('errors in the editor’s words', () => {
  /** No config path, operator id or config key of the engine's in a message the user reads. */
  function expectEditorWords(run: NodeRun): void {
    expect(run.error?.message).not.toMatch(
      /pipelines?\[|"customers"|mappings\[|customer_model|conditions\[|api_key|account_id|case_sensitive|is_true|_one_of|Airbyte/,
    );
  }

  it('a rejected key is a NodeApiError with HTTP 401, naming the credential’s field', async () => {
    const run = await pkg.runAction({
      parameters: {},
      node: { credentials: { stripeCustomersApi: { id: 'wrong-key', name: 'wrong' } } },
    });
    expect(run.error).toMatchObject({ name: 'NodeApiError', httpCode: '401' });
    expect(run.error?.message).toMatch(
      /Stripe rejected the API key.*Check the credential’s "Secret or Restricted Key"/,
    );
    expectEditorWords(run);
  });

  it('a missing permission names it', async () => {
    const noCustomers = await pkg.runAction({
      parameters: {},
      node: { credentials: { stripeCustomersApi: { id: 'no-customers', name: 'events only' } } },
    });
    expect(noCustomers.error).toMatchObject({ name: 'NodeApiError', httpCode: '403' });
    expect(noCustomers.error?.message).toContain('Customers: Read');

    // A key that lost Events: Read after its first import: the engine's own 403 message.
    const noEvents = await pkg.runAction({
      parameters: { onlyChanged: true },
      staticData: {
        'node:Stripe Customers': {
          pipelineState: { version: 1, phase: 'incremental', events_cursor: emulator.now() - 60 },
        },
      },
      node: { credentials: { stripeCustomersApi: { id: 'no-events', name: 'customers only' } } },
    });
    expect(noEvents.error).toMatchObject({ name: 'NodeApiError', httpCode: '403' });
    expect(noEvents.error?.message).toContain('Events: Read');
  });

  it('names conditions by their 1-based row and property, operators by their names, before any request', async () => {
    emulator.resetStats();
    const run = await pkg.runAction({
      parameters: {
        filterMode: 'conditions',
        filterConditions: {
          condition: [
            { property: '__custom', path: 'emial', operator: 'is', value: 'x' },
            { property: 'email', operator: 'is_true' },
            { property: 'created', operator: 'is_between', low: 'x', high: 'yesterday' },
          ],
        },
      },
    });
    expect(run.error).toMatchObject({ name: 'NodeOperationError' });
    const lines = run.error!.message.split('\n');
    expect(lines[0]).toBe('The conditions have 3 problems:');
    expect(lines[1]).toMatch(
      /^- Condition 1 \(Property: emial\) › Property: property "emial" is not valid: .*Did you mean "email"\?/,
    );
    expect(lines[2]).toMatch(
      /^- Condition 2 \(Property: email\) › Operator: operator "Is True" does not apply to text property "email"\. Operators for text properties: Is, Is Not, Is One of, Is Not One of, Contains/,
    );
    expect(lines[3]).toMatch(
      /^- Condition 3 \(Property: created\) › From: not a valid date for "created"/,
    );
    expectEditorWords(run);
    expect(emulator.stats().requests).toBe(0);

    const badJson = await pkg.runAction({
      parameters: { filterMode: 'json', filterJson: '{"logical": "all",' },
    });
    expect(badJson.error?.message).toMatch(/Filter \(JSON\).*not valid JSON/);
  });

  it('names model fields by their 1-based row and name', async () => {
    const run = await pkg.runAction({
      parameters: {
        transformation: 'mapping',
        customerModel: {
          field: [
            { name: 'email', type: 'string', from: 'email' },
            { name: 'plan', type: 'string', from: 'lowr(metadata.plan)' },
          ],
        },
      },
    });
    expect(run.error).toMatchObject({ name: 'NodeOperationError' });
    expect(run.error?.message).toMatch(/^Field 2 \(Name: plan\) › From: at column 1: .*lowr/);
    expectEditorWords(run);

    const duplicate = await pkg.runAction({
      parameters: {
        transformation: 'mapping',
        customerModel: {
          field: [
            { name: 'email', type: 'string', from: 'email' },
            { name: 'Email', type: 'string', from: 'email' },
          ],
        },
      },
    });
    expect(duplicate.error?.message).toMatch(
      /^Field 2 \(Name: Email\) › Name: "Email" is already used by Field 1 \(Name: email\)/,
    );
    expectEditorWords(duplicate);
  });

  it('names options and credential fields as the panels label them', async () => {
    const run = await pkg.runAction({
      parameters: { options: { maxShareOfRateLimits: 3 } },
    });
    expect(run.error?.message).toMatch(/^The "Share of Stripe Rate Limits" option: must be <= 1/);
    expect(run.error?.message).not.toContain('max_share_of_rate_limits');
  });

  it('continues on fail with an error item when the node is set to', async () => {
    const run = await pkg.runAction({
      parameters: {},
      node: {
        onError: 'continueRegularOutput',
        credentials: { stripeCustomersApi: { id: 'wrong-key', name: 'wrong' } },
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.items).toEqual([{ error: expect.stringMatching(/Stripe rejected the API key/) }]);
  });
});
