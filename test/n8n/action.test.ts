/**
 * The Stripe Customers node, built and loaded by n8n, run by n8n-core's WorkflowExecute against
 * the Stripe emulator: filters, Customer Model mapping, JavaScript/Python code, limits, "only
 * changed since last run" with its cursor in static data, and errors as n8n reports them.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { sdkFor, TEST_KEY } from '../support/stripe';
import { loadPackage, takeLogs, type LoadedPackage } from './support/n8n';

let pkg: LoadedPackage;
let emulator: RunningEmulator;
let stripe: Stripe;
let everyone: Stripe.Customer[];

const names = (items: Array<{ name?: unknown }>) => items.map((item) => String(item.name)).sort();

const byId = (items: Array<Record<string, unknown>>, key = 'id') =>
  new Map(items.map((item) => [item[key] as string, item]));

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
  everyone = [];
  for await (const customer of stripe.customers.list({ limit: 100 })) everyone.push(customer);
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
  it('returns every customer as Stripe has it, with the change type, paired to the input', async () => {
    const run = await pkg.runAction({ parameters: { returnAll: true } });
    expect(run.error).toBeUndefined();
    expect(run.items).toHaveLength(everyone.length);
    const items = byId(run.items);
    for (const customer of everyone) {
      expect(items.get(customer.id)).toMatchObject({
        id: customer.id,
        email: customer.email,
        object: 'customer',
        is_deleted: false,
        _stripe_change: 'listed',
      });
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

  it('accepts the Airbyte filter JSON, nested groups included', async () => {
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
  const model = {
    field: [
      { name: 'email', type: 'string', nullable: false },
      { name: 'country', type: 'string' },
      { name: 'signup_source', type: 'string' },
      { name: 'balance', type: 'decimal', precision: 12, scale: 2 },
      { name: 'created_at', type: 'datetime' },
    ],
  };
  const onlyPro = {
    filterMode: 'conditions',
    filterConditions: {
      condition: [{ property: 'email', operator: 'ends_with', value: '@pro.example' }],
    },
  };

  it('maps Stripe fields into the model (to / from pairs), typed', async () => {
    const run = await pkg.runAction({
      parameters: {
        returnAll: true,
        ...onlyPro,
        transformation: 'mapping',
        customerModel: model,
        mappings: {
          mapping: [
            { to: 'email', from: 'lower(email)' },
            { to: 'country', from: 'address.country' },
            { to: 'signup_source', from: 'coalesce(metadata["signup.source"], "organic")' },
            { to: 'balance', from: 'balance' },
            { to: 'created_at', from: 'created' },
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
      created_at: new Date(ada.created * 1000).toISOString().replace('.000Z', 'Z'),
      _stripe_id: ada.id,
      _stripe_updated: expect.any(Number),
      _stripe_is_deleted: false,
      _ab_cdc_deleted_at: null,
      _stripe_change: 'listed',
    });
    expect(run.items.map((item) => item.email).sort()).toEqual([
      'ada@pro.example',
      'grace@pro.example',
    ]);
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
    expect(failing.error?.message).toContain(`customer ${ada.id}`);
    expect(failing.error?.message).toContain('no ads customers');

    takeLogs();
    const skipping = await pkg.runAction({ parameters: { ...parameters, onError: 'skip' } });
    expect(skipping.error).toBeUndefined();
    expect(skipping.items.map((item) => item.email)).toEqual(['Grace@PRO.example']);
    expect(takeLogs().join('\n')).toMatch(new RegExp(`WARN .*skipped customer ${ada.id}`));
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
    expect(run.error?.message).toMatch(/transformation\.source.*line/);
  });

  it('runs Python code', async () => {
    const run = await pkg.runAction({
      parameters: {
        returnAll: true,
        ...onlyPro,
        transformation: 'python',
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

describe('only changed since last run', () => {
  it('returns everything first, then only created, updated and deleted customers', async () => {
    const parameters = { onlyChanged: true };
    // Let the setup's own changes settle: they are older than the first import then.
    emulator.advanceClock(60);
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
    emulator.advanceClock(60);

    const second = await pkg.runAction({ parameters, staticData: first.staticData });
    expect(second.error).toBeUndefined();
    const changes = byId(second.items);
    expect(second.items).toHaveLength(3);
    expect(changes.get(created.id)).toMatchObject({ _stripe_change: 'created' });
    expect(changes.get(updated!.id)).toMatchObject({
      _stripe_change: 'updated',
      name: 'Updated Since',
    });
    expect(changes.get(deleted!.id)).toMatchObject({ _stripe_change: 'deleted', is_deleted: true });

    emulator.advanceClock(60);
    const third = await pkg.runAction({ parameters, staticData: second.staticData });
    expect(third.items).toEqual([]);
  });

  it('keeps no cursor from manual (test) executions, as n8n saves static data only in production', async () => {
    const manual = await pkg.runAction({ parameters: { onlyChanged: true }, mode: 'manual' });
    expect(manual.items.length).toBeGreaterThan(0);
    expect(manual.staticData).toEqual({});
  });
});

describe('errors', () => {
  it('a rejected key is a NodeApiError with HTTP 401 and the engine’s advice', async () => {
    const run = await pkg.runAction({
      parameters: {},
      node: { credentials: { stripeCustomersApi: { id: 'wrong-key', name: 'wrong' } } },
    });
    expect(run.error).toMatchObject({ name: 'NodeApiError', httpCode: '401' });
    expect(run.error?.message).toMatch(/Stripe rejected the API key.*Check `api_key`/);
  });

  it('a missing permission names it', async () => {
    const noCustomers = await pkg.runAction({
      parameters: {},
      node: { credentials: { stripeCustomersApi: { id: 'no-customers', name: 'events only' } } },
    });
    expect(noCustomers.error).toMatchObject({ name: 'NodeApiError', httpCode: '403' });
    expect(noCustomers.error?.message).toContain('Customers: Read');

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

  it('a bad filter is a NodeOperationError naming the field and a fix, before any request', async () => {
    emulator.resetStats();
    const run = await pkg.runAction({
      parameters: {
        filterMode: 'conditions',
        filterConditions: {
          condition: [{ property: '__custom', path: 'emial', operator: 'is', value: 'x' }],
        },
      },
    });
    expect(run.error).toMatchObject({ name: 'NodeOperationError' });
    expect(run.error?.message).toMatch(/filter\.conditions\[0\].*"emial".*email/);
    expect(emulator.stats().requests ?? 0).toBe(0);

    const badJson = await pkg.runAction({
      parameters: { filterMode: 'json', filterJson: '{"logical": "all",' },
    });
    expect(badJson.error?.message).toMatch(/Filter \(JSON\).*not valid JSON/);
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
