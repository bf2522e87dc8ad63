/**
 * The Stripe emulator, checked through the official `stripe` SDK (what the connector uses), plus
 * raw HTTP where headers or broken responses matter.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from './emulator/index.js';
import { rawSdkFor } from './support/stripe';

const KEY = 'sk_test_emulator';
const NOW = 1_760_000_000;
const DAY = 86_400;

const sdk = (emu: RunningEmulator, key = KEY, extra: Stripe.StripeConfig = {}): Stripe =>
  rawSdkFor(emu, key, extra);

function get(emu: RunningEmulator, path: string, headers: Record<string, string> = {}) {
  return fetch(`${emu.url}${path}`, { headers: { Authorization: `Bearer ${KEY}`, ...headers } });
}

async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the request to fail');
}

/** Stripe's list order: created descending, ties by id descending. */
function isListOrder(customers: Array<{ id: string; created: number }>): boolean {
  return customers.every((c, i) => {
    const prev = customers[i - 1];
    return !prev || prev.created > c.created || (prev.created === c.created && prev.id > c.id);
  });
}

const CUSTOMER_KEYS = [
  'address',
  'balance',
  'created',
  'currency',
  'default_source',
  'delinquent',
  'description',
  'discount',
  'email',
  'id',
  'invoice_prefix',
  'invoice_settings',
  'livemode',
  'metadata',
  'name',
  'next_invoice_sequence',
  'object',
  'phone',
  'preferred_locales',
  'shipping',
  'tax_exempt',
  'test_clock',
];

describe('seeded account', () => {
  const N = 3000;
  let emu: RunningEmulator;
  let stripe: Stripe;
  let all: Stripe.Customer[];

  beforeAll(async () => {
    emu = await startEmulator({ customers: N, seed: 7, now: NOW });
    stripe = sdk(emu);
    all = await stripe.customers.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  });
  afterAll(() => emu.close());

  it('auto-pagination lists every customer exactly once, newest first', () => {
    expect(all).toHaveLength(N);
    expect(new Set(all.map((c) => c.id)).size).toBe(N);
    expect(isListOrder(all)).toBe(true);
    expect(all.some((c, i) => i > 0 && all[i - 1]?.created === c.created)).toBe(true);
    expect(emu.stats().byRoute['GET /v1/customers']).toBe(N / 100);
  });

  it('serves customers shaped like Stripe fixtures, with varied realistic data', () => {
    const keys = CUSTOMER_KEYS.join();
    const odd = all.filter(
      (c) =>
        Object.keys(c).sort().join() !== keys ||
        !/^cus_[A-Za-z0-9]{14}$/.test(c.id) ||
        c.livemode ||
        c.test_clock !== null,
    );
    expect(odd).toEqual([]);
    expect(all.some((c) => c.email === null)).toBe(true);
    expect(all.some((c) => c.name === null)).toBe(true);
    expect(all.some((c) => /[^\x00-\x7f]/.test(c.name ?? ''))).toBe(true);
    expect(all.some((c) => c.email?.includes('+'))).toBe(true);
    expect(all.some((c) => c.discount?.object === 'discount')).toBe(true);
    expect(all.some((c) => 'signup.source' in c.metadata)).toBe(true);
    expect(all.some((c) => 'account manager' in c.metadata)).toBe(true);
    expect(all.every((c) => c.created < NOW && c.created > NOW - 4 * 366 * DAY)).toBe(true);
  });

  it('filters by created range and exact created', async () => {
    const t = all[300]!.created;
    const gte = await stripe.customers.list({ created: { gte: t }, limit: 100 }).autoPagingToArray({
      limit: 10_000,
    });
    expect(gte.map((c) => c.id)).toEqual(all.filter((c) => c.created >= t).map((c) => c.id));
    const window = await stripe.customers
      .list({ created: { gt: t - 30 * DAY, lt: t }, limit: 100 })
      .autoPagingToArray({ limit: 10_000 });
    expect(window.map((c) => c.id)).toEqual(
      all.filter((c) => c.created > t - 30 * DAY && c.created < t).map((c) => c.id),
    );
    const exact = await stripe.customers.list({ created: t });
    expect(exact.data.map((c) => c.id)).toEqual(
      all.filter((c) => c.created === t).map((c) => c.id),
    );
  });

  it('filters by exact, case-sensitive email', async () => {
    const counts = new Map<string, number>();
    for (const c of all) if (c.email) counts.set(c.email, (counts.get(c.email) ?? 0) + 1);
    const email = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const found = await stripe.customers.list({ email, limit: 100 });
    expect(found.data.map((c) => c.id)).toEqual(
      all.filter((c) => c.email === email).map((c) => c.id),
    );
    expect(found.data.length).toBeGreaterThan(1);
    const upper = email.toUpperCase();
    const none = await stripe.customers.list({ email: upper });
    expect(none.data.map((c) => c.id)).toEqual(
      all.filter((c) => c.email === upper).map((c) => c.id),
    );
  });

  it('ending_before returns the page just newer than the cursor, newest first', async () => {
    const ids = all.map((c) => c.id);
    const page = await stripe.customers.list({ ending_before: ids[250], limit: 100 });
    expect(page.data.map((c) => c.id)).toEqual(ids.slice(150, 250));
    expect(page.has_more).toBe(true);
    const first = await stripe.customers.list({ ending_before: ids[50], limit: 100 });
    expect(first.data.map((c) => c.id)).toEqual(ids.slice(0, 50));
    expect(first.has_more).toBe(false);
    // The SDK pages backwards through ending_before, yielding oldest to newest.
    const back = await stripe.customers
      .list({ ending_before: ids[250], limit: 100 })
      .autoPagingToArray({ limit: 1000 });
    expect(back.map((c) => c.id)).toEqual(ids.slice(0, 250).reverse());
    const after = await stripe.customers.list({ starting_after: ids[99], limit: 3 });
    expect(after.data.map((c) => c.id)).toEqual(ids.slice(100, 103));
  });

  it('keeps Stripe event history for the last 30 days, consistent with customers', async () => {
    const events = await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    // Newest first; events of the same second keep their (unspecified) order.
    expect(events.every((e, i) => i === 0 || events[i - 1]!.created >= e.created)).toBe(true);
    expect(events.every((e) => e.created >= NOW - 30 * DAY && e.created <= NOW)).toBe(true);
    const createdIds = new Set(
      events
        .filter((e) => e.type === 'customer.created')
        .map((e) => (e.data.object as Stripe.Customer).id),
    );
    const recent = all.filter((c) => c.created >= NOW - 30 * DAY);
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.every((c) => createdIds.has(c.id))).toBe(true);
    // Every customer.updated shows the current state, deletions retrieve as deleted.
    const byId = new Map(all.map((c) => [c.id, c]));
    const updated = events.filter((e) => e.type === 'customer.updated');
    expect(updated.length).toBeGreaterThan(0);
    for (const e of updated) {
      const object = e.data.object as Stripe.Customer;
      expect(byId.get(object.id)).toEqual(object);
      expect(Object.keys(e.data.previous_attributes ?? {}).length).toBeGreaterThan(0);
    }
    const deleted = events.filter((e) => e.type === 'customer.deleted');
    expect(deleted.length).toBeGreaterThan(0);
    const gone = await stripe.customers.retrieve((deleted[0]!.data.object as Stripe.Customer).id);
    expect(gone).toMatchObject({ object: 'customer', deleted: true });
  });

  it('filters events by exact types[] and by type wildcard', async () => {
    const everything = await stripe.events
      .list({ limit: 100 })
      .autoPagingToArray({ limit: 10_000 });
    const kinds = new Set(everything.map((e) => e.type));
    expect(kinds).toContain('customer.discount.created');
    const exact = await stripe.events
      .list({ types: ['customer.created', 'customer.deleted'], limit: 100 })
      .autoPagingToArray({ limit: 10_000 });
    expect(exact.map((e) => e.id)).toEqual(
      everything
        .filter((e) => e.type === 'customer.created' || e.type === 'customer.deleted')
        .map((e) => e.id),
    );
    const wildcard = await stripe.events
      .list({ type: 'customer.*', limit: 100 })
      .autoPagingToArray({ limit: 10_000 });
    expect(wildcard.map((e) => e.id)).toEqual(everything.map((e) => e.id));
    const single = await stripe.events.list({ type: 'customer.updated', limit: 100 });
    expect(single.data.every((e) => e.type === 'customer.updated')).toBe(true);
    const raw = await get(emu, '/v1/events?types[]=customer.deleted&limit=100');
    const body = (await raw.json()) as { data: Array<{ type: string }> };
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.every((e) => e.type === 'customer.deleted')).toBe(true);
  });

  it('searches with the query language and pages through results', async () => {
    const run = (query: string) =>
      stripe.customers.search({ query, limit: 100 }).autoPagingToArray({ limit: 10_000 });
    const ids = (list: Stripe.Customer[]) => list.map((c) => c.id);
    const target = all.find((c) => c.email && /[a-z]/.test(c.email))!;
    expect(ids(await run(`email:'${target.email!.toUpperCase()}'`))).toEqual(
      ids(all.filter((c) => c.email?.toLowerCase() === target.email!.toLowerCase())),
    );
    expect(ids(await run(`name~"smith"`))).toEqual(
      ids(all.filter((c) => c.name?.toLowerCase().includes('smith'))),
    );
    const t = all[1000]!.created;
    expect(ids(await run(`metadata['plan']:'enterprise' AND created>=${t}`))).toEqual(
      ids(all.filter((c) => c.metadata.plan === 'enterprise' && c.created >= t)),
    );
    expect(
      ids(await run(`metadata["signup.source"]:'web' OR metadata['account manager']:'Kim Lee'`)),
    ).toEqual(
      ids(
        all.filter(
          (c) =>
            c.metadata['signup.source'] === 'web' || c.metadata['account manager'] === 'Kim Lee',
        ),
      ),
    );
    expect(ids(await run(`-metadata['plan']:'free' AND phone:null`))).toEqual(
      ids(all.filter((c) => c.metadata.plan !== 'free' && c.phone === null)),
    );
    const page = await stripe.customers.search({
      query: `created<${NOW}`,
      limit: 7,
      expand: ['total_count'],
    });
    expect(page).toMatchObject({ object: 'search_result', has_more: true, total_count: N });
    expect(page.next_page).toEqual(expect.any(String));
  });

  it('rejects malformed search queries with a 400 naming the problem', async () => {
    for (const query of [
      'email:unquoted',
      "email:'a' AND name:'b' OR phone:'c'",
      "favourite_colour:'blue'",
      "name~'ab'",
      "email:'x' name:'y'",
      '',
    ]) {
      const error = await rejection(stripe.customers.search({ query }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(400);
      expect(error.param).toBe('query');
      expect(error.message.length).toBeGreaterThan(20);
    }
  });

  it('validates list parameters like Stripe', async () => {
    for (const limit of [0, 101]) {
      const error = await rejection(stripe.customers.list({ limit }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.param).toBe('limit');
    }
    const unknown = await rejection(
      stripe.customers.list({ colour: 'red' } as Stripe.CustomerListParams),
    );
    expect(unknown).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
    const cursor = await rejection(stripe.customers.list({ starting_after: 'cus_doesnotexist00' }));
    expect(cursor).toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'starting_after',
    });
    const missing = await rejection(stripe.customers.retrieve('cus_doesnotexist00'));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(missing.message).toBe("No such customer: 'cus_doesnotexist00'");
  });

  it('answers with Stripe headers, Date from the emulator clock, and Stripe-style 404s', async () => {
    const res = await get(emu, '/v1/customers?limit=1', { 'Stripe-Version': '2020-08-27' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('request-id')).toMatch(/^req_\w{14}$/);
    expect(res.headers.get('stripe-version')).toBe('2020-08-27');
    const date = Date.parse(res.headers.get('date')!) / 1000;
    expect(Math.abs(date - emu.now())).toBeLessThanOrEqual(2);
    expect(Math.abs(date - NOW)).toBeLessThan(120);
    const basic = await fetch(`${emu.url}/v1/customers?limit=1`, {
      headers: { Authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` },
    });
    expect(basic.status).toBe(200);
    const notFound = await get(emu, '/v1/xyz');
    expect(notFound.status).toBe(404);
    const body = (await notFound.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^Unrecognized request URL \(GET: \/v1\/xyz\)/);
  });

  it('is deterministic for a seed', async () => {
    const twin = await startEmulator({ customers: N, seed: 7, now: NOW });
    const other = await startEmulator({ customers: N, seed: 8, now: NOW });
    try {
      const a = await sdk(twin).customers.list({ limit: 100 });
      const b = await sdk(other).customers.list({ limit: 100 });
      expect(a.data).toEqual(all.slice(0, 100));
      expect(b.data.map((c) => c.id)).not.toEqual(a.data.map((c) => c.id));
    } finally {
      await Promise.all([twin.close(), other.close()]);
    }
  });
});

describe('writes and events', () => {
  let emu: RunningEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emu = await startEmulator({ now: NOW });
    stripe = sdk(emu);
  });
  afterAll(() => emu.close());

  it('create, update and delete produce customer events with previous_attributes', async () => {
    const created = await stripe.customers.create({
      email: 'zoe@example.com',
      name: 'Zoë Martin',
      metadata: { plan: 'free', 'signup.source': 'web' },
      address: { city: 'Kraków', country: 'PL' },
      preferred_locales: ['pl', 'en'],
    });
    expect(created).toMatchObject({
      object: 'customer',
      email: 'zoe@example.com',
      name: 'Zoë Martin',
      metadata: { plan: 'free', 'signup.source': 'web' },
      address: { city: 'Kraków', country: 'PL', line1: null },
      preferred_locales: ['pl', 'en'],
      balance: 0,
      livemode: false,
    });
    expect(created.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);
    expect(Math.abs(created.created - emu.now())).toBeLessThanOrEqual(1);

    emu.advanceClock(60);
    const updated = await stripe.customers.update(created.id, {
      email: 'zoe.martin@example.com',
      metadata: { plan: 'pro', team: 'a' },
    });
    expect(updated.metadata).toEqual({ plan: 'pro', 'signup.source': 'web', team: 'a' });
    emu.advanceClock(60);
    const unset = await stripe.customers.update(created.id, { metadata: { 'signup.source': '' } });
    expect(unset.metadata).toEqual({ plan: 'pro', team: 'a' });
    // An update that changes nothing emits no event.
    await stripe.customers.update(created.id, { email: 'zoe.martin@example.com' });

    emu.advanceClock(60);
    const deleted = await stripe.customers.del(created.id);
    expect(deleted).toEqual({ id: created.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(created.id)).toEqual({
      id: created.id,
      object: 'customer',
      deleted: true,
    });
    expect((await stripe.customers.list()).data).toEqual([]);
    const cursor = await rejection(stripe.customers.list({ starting_after: created.id }));
    expect(cursor).toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'starting_after',
    });
    const again = await rejection(stripe.customers.update(created.id, { name: 'x' }));
    expect(again).toMatchObject({ statusCode: 404, code: 'resource_missing' });

    const events = (await stripe.events.list()).data;
    expect(events.map((e) => e.type)).toEqual([
      'customer.deleted',
      'customer.updated',
      'customer.updated',
      'customer.created',
    ]);
    const [del, second, first, create] = events as [
      Stripe.Event,
      Stripe.Event,
      Stripe.Event,
      Stripe.Event,
    ];
    expect(create.data.object).toEqual(created);
    expect(first.data.object).toEqual(updated);
    expect(first.data.previous_attributes).toEqual({
      email: 'zoe@example.com',
      metadata: { plan: 'free', team: null },
    });
    expect(second.data.previous_attributes).toEqual({ metadata: { 'signup.source': 'web' } });
    expect(del.data.object).toEqual(unset);
    expect(create).toMatchObject({
      object: 'event',
      api_version: expect.any(String),
      livemode: false,
      pending_webhooks: 0,
      request: { id: expect.stringMatching(/^req_/) },
    });
    expect(del.created - create.created).toBeGreaterThanOrEqual(180);
  });

  it('replays idempotent creates instead of creating twice', async () => {
    const before = (await stripe.events.list({ limit: 100 })).data.length;
    const a = await stripe.customers.create({ name: 'Once' }, { idempotencyKey: 'key-1' });
    const b = await stripe.customers.create({ name: 'Once' }, { idempotencyKey: 'key-1' });
    expect(b.id).toBe(a.id);
    expect((await stripe.events.list({ limit: 100 })).data.length).toBe(before + 1);
    const clash = await rejection(
      stripe.customers.create({ name: 'Twice' }, { idempotencyKey: 'key-1' }),
    );
    expect(clash).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('validates writes like Stripe', async () => {
    const email = await rejection(stripe.customers.create({ email: 'not an email' }));
    expect(email).toMatchObject({ statusCode: 400, param: 'email' });
    const unknown = await rejection(
      stripe.customers.create({ favourite: 'x' } as Stripe.CustomerCreateParams),
    );
    expect(unknown).toMatchObject({ code: 'parameter_unknown', param: 'favourite' });
  });

  it('keeps test-clock customers out of lists unless asked for', async () => {
    const clocked = await stripe.customers.create({ name: 'Clocked', test_clock: 'clock_abc' });
    const plain = await stripe.customers.list({ limit: 100 });
    expect(plain.data.map((c) => c.id)).not.toContain(clocked.id);
    const onClock = await stripe.customers.list({ test_clock: 'clock_abc' });
    expect(onClock.data.map((c) => c.id)).toEqual([clocked.id]);
  });

  it('forgets events older than 30 days', async () => {
    const c = await stripe.customers.create({ name: 'Short-lived history' });
    const event = (await stripe.events.list({ limit: 1 })).data[0]!;
    expect((event.data.object as Stripe.Customer).id).toBe(c.id);
    emu.advanceClock(31 * DAY);
    expect((await stripe.events.list({ limit: 100 })).data).toEqual([]);
    expect(await rejection(stripe.events.retrieve(event.id))).toMatchObject({ statusCode: 404 });
    expect(await stripe.customers.retrieve(c.id)).toMatchObject({ id: c.id, name: c.name });
    const res = await get(emu, '/v1/customers?limit=1');
    expect(Date.parse(res.headers.get('date')!) / 1000).toBeGreaterThan(NOW + 31 * DAY);
  });
});

describe('keys and accounts', () => {
  let emu: RunningEmulator;

  beforeAll(async () => {
    emu = await startEmulator({
      customers: 20,
      now: NOW,
      apiKeys: [KEY, 'sk_live_emulatorLiveKey'],
      restrictedKeys: { rk_test_readonlyKey1234: ['customers:read'] },
      accounts: { acct_connected0001: { customers: 5 } },
    });
  });
  afterAll(() => emu.close());

  it('answers 401 for a bad key without echoing it', async () => {
    const key = 'sk_test_notARealKeyAtAll9876';
    const error = await rejection(sdk(emu, key).customers.list());
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error.statusCode).toBe(401);
    expect(error.message).toMatch(/^Invalid API Key provided: sk_test_\*+9876$/);
    expect(error.message).not.toContain('notARealKey');
  });

  it('answers 403 when a restricted key lacks the permission', async () => {
    const stripe = sdk(emu, 'rk_test_readonlyKey1234');
    expect((await stripe.customers.list()).data).toHaveLength(10);
    const events = await rejection(stripe.events.list());
    expect(events).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(events.message).toContain("'rak_event_read'");
    expect(events.message).toContain(emu.accountId);
    expect(events.message).not.toContain('readonlyKey');
    const write = await rejection(stripe.customers.create({ name: 'x' }));
    expect(write).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(write.message).toContain("'rak_customer_write'");
  });

  it('keeps connected accounts and live mode separate', async () => {
    const stripe = sdk(emu);
    const main = await stripe.customers.list({ limit: 100 });
    const connected = await stripe.customers.list(
      { limit: 100 },
      { stripeAccount: 'acct_connected0001' },
    );
    expect(main.data).toHaveLength(20);
    expect(connected.data).toHaveLength(5);
    const mainIds = new Set(main.data.map((c) => c.id));
    expect(connected.data.some((c) => mainIds.has(c.id))).toBe(false);
    const made = await stripe.customers.create(
      { name: 'Connected only' },
      { stripeAccount: 'acct_connected0001' },
    );
    expect((await stripe.customers.list({ limit: 100 })).data.map((c) => c.id)).not.toContain(
      made.id,
    );
    const unknown = await rejection(stripe.customers.list({}, { stripeAccount: 'acct_unknown' }));
    expect(unknown).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(unknown.code).toBe('account_invalid');
    const live = await sdk(emu, 'sk_live_emulatorLiveKey').customers.list({ limit: 100 });
    expect(live.data).toHaveLength(20);
    expect(live.data.every((c) => c.livemode)).toBe(true);
    expect(live.data.some((c) => mainIds.has(c.id))).toBe(false);
  });
});

describe('faults', () => {
  let emu: RunningEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emu = await startEmulator({ customers: 30, now: NOW });
    stripe = sdk(emu);
  });
  afterAll(() => emu.close());

  it('rate limits with 429s the SDK reports as StripeRateLimitError', async () => {
    emu.setFaults({ rateLimit: 5 });
    try {
      const started = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => stripe.customers.list({ limit: 1 })),
      );
      const seconds = Math.ceil((performance.now() - started) / 1000);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const limited = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      // At most 5 in any one-second window (exactly 5 when the burst fits in one second).
      expect(ok.length).toBeGreaterThanOrEqual(5);
      expect(ok.length).toBeLessThanOrEqual(5 * seconds);
      expect(limited).toHaveLength(20 - ok.length);
      for (const error of limited) {
        expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
        expect(error).toMatchObject({ statusCode: 429, code: 'rate_limit' });
      }
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await stripe.customers.list({ limit: 1 })).data).toHaveLength(1);
    } finally {
      emu.setFaults({ rateLimit: 0 });
    }
  });

  it('plays scripted faults on the next matching requests', async () => {
    emu.resetStats();
    emu.setFaults({ failNext: [{ status: 429, path: '/v1/events' }, { status: 500 }] });
    // The 500 is first in line for customers; the 429 waits for an events request.
    const server = await rejection(stripe.customers.list());
    expect(server).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(server.statusCode).toBe(500);
    expect((await stripe.customers.list()).data).toHaveLength(10);
    expect(await rejection(stripe.events.list())).toBeInstanceOf(
      Stripe.errors.StripeRateLimitError,
    );

    emu.setFaults({ failNext: [{ status: 'truncate' }] });
    expect(await rejection(stripe.customers.list())).toBeInstanceOf(
      Stripe.errors.StripeConnectionError,
    );
    emu.setFaults({ failNext: [{ status: 503 }] });
    expect(await rejection(stripe.customers.list())).toMatchObject({ statusCode: 503 });
    // The SDK retries a reset connection once even with maxNetworkRetries: 0.
    emu.setFaults({ failNext: [{ status: 'reset' }, { status: 'reset' }] });
    expect(await rejection(stripe.customers.list())).toBeInstanceOf(
      Stripe.errors.StripeConnectionError,
    );
    emu.setFaults({ failNext: [{ status: 'reset' }] });
    expect((await stripe.customers.list()).data).toHaveLength(10);
    expect(emu.stats().byStatus).toMatchObject({
      '500': 1,
      '429': 1,
      '503': 1,
      reset: 3,
      truncate: 1,
    });
  });

  it('holds slow responses and adds latency without blocking', async () => {
    emu.setFaults({ failNext: [{ status: 'slow', path: 'GET /v1/customers/:id' }] });
    const id = (await stripe.customers.list({ limit: 1 })).data[0]!.id;
    const impatient = sdk(emu, KEY, { timeout: 300 });
    const slow = await rejection(impatient.customers.retrieve(id));
    expect(slow).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(slow.message).toMatch(/timeout/);
    emu.setFaults({ latencyMs: 200 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 5 }, () => stripe.customers.retrieve(id)));
    // Concurrent requests wait together: serialized waiting would take a second or more.
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(performance.now() - started).toBeLessThan(900);
    emu.setFaults({ latencyMs: 0 });
  });

  it('fails a seeded share of requests, the same way for the same seed', async () => {
    const outcomes = async (): Promise<string[]> => {
      const flaky = await startEmulator({ customers: 1, seed: 3, failRate: 0.5 });
      try {
        const seen: string[] = [];
        for (let i = 0; i < 16; i++) {
          seen.push(
            await get(flaky, '/v1/customers').then(
              (r) => String(r.status),
              () => 'reset',
            ),
          );
        }
        return seen;
      } finally {
        await flaky.close();
      }
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    expect(first).toContain('200');
    expect(first).toContain('500');
    expect(first).toContain('reset');
  });

  it('is driven through admin endpoints without a key', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${emu.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then(
        (r) => r.json() as Promise<Record<string, unknown>>,
      );
    const before = emu.now();
    expect(await post('/_emulator/clock', { advance_seconds: 3600 })).toEqual({
      now: expect.any(Number),
    });
    expect(emu.now() - before).toBeGreaterThanOrEqual(3600);
    const clock = (await fetch(`${emu.url}/_emulator/clock`).then((r) => r.json())) as {
      now: number;
    };
    expect(Math.abs(clock.now - emu.now())).toBeLessThanOrEqual(1);
    await post('/_emulator/stats/reset', {});
    await post('/_emulator/faults', { failNext: [{ status: 502 }] });
    expect(await rejection(stripe.customers.list())).toMatchObject({ statusCode: 502 });
    const stats = await fetch(`${emu.url}/_emulator/stats`).then((r) => r.json());
    expect(stats).toEqual({
      requests: 1,
      byRoute: { 'GET /v1/customers': 1 },
      byStatus: { '502': 1 },
      byEndpoint: { 'GET /v1/customers': { requests: 1, rateLimited: 0 } },
      rateLimitedBy: { global: 0, endpoint: 0, scripted: 0 },
    });
  });
});

describe('CLI', () => {
  it('prints one listening line and serves until terminated', async () => {
    const child = spawn(
      'node_modules/.bin/tsx',
      ['test/emulator/main.ts', '--port', '0', '--customers', '5'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
      });
      expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = line.slice('listening on '.length);
      const res = await fetch(`${url}/v1/customers`, {
        headers: { Authorization: `Bearer ${KEY}` },
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(5);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
