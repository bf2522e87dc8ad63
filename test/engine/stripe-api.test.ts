/**
 * The engine's Stripe port over the official SDK (connector/stripe/api.ts), in process against the
 * emulator over HTTP: what each call asks Stripe and hands back (pages, Stripe's clock, counts,
 * events of the three customer types only), and how failures come out (retried, or turned into
 * errors that say what to do, with no key in them).
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConnectorError,
  MissingPermissionError,
  StripeApi,
  TransientError,
} from '../../connector';
import { StaleCursorError } from '../../connector/stripe/errors';
import { CUSTOMER_EVENT_TYPES } from '../../connector/stripe/port';
import { startEmulator, type RunningEmulator } from '../emulator';
import { sdkFor, TEST_KEY } from '../support/stripe';

const NOW = 1_760_000_000;

let emulator: RunningEmulator;
let stripe: Stripe;
let api: StripeApi;

beforeAll(async () => {
  emulator = await startEmulator({
    customers: 250,
    seed: 31,
    now: NOW,
    restrictedKeys: { rk_test_customersOnly: ['customers:read'] },
  });
  stripe = sdkFor(emulator);
  api = new StripeApi({
    apiKey: TEST_KEY,
    apiBaseUrl: emulator.url,
    maxAttempts: 2,
    maxShareOfRateLimits: 1,
  });
});
afterAll(() => emulator?.close());

/** Every customer of the account, newest first, as the SDK lists them. */
async function everyCustomer(): Promise<Stripe.Customer[]> {
  const all: Stripe.Customer[] = [];
  for await (const customer of stripe.customers.list({ limit: 100 })) all.push(customer);
  return all;
}

/** What a call of `api` throws. */
async function failure(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('the call did not fail');
}

describe('listing customers', () => {
  it('pages newest first, continues after a customer, and reads Stripe clock', async () => {
    const all = await everyCustomer();
    const first = await api.listCustomers({});
    expect(first.items.map((c) => c.id)).toEqual(all.slice(0, 100).map((c) => c.id));
    expect(first.hasMore).toBe(true);
    expect(Math.abs(first.serverTime - emulator.now())).toBeLessThanOrEqual(1);
    const next = await api.listCustomers({ startingAfter: first.items.at(-1)!.id, limit: 20 });
    expect(next.items.map((c) => c.id)).toEqual(all.slice(100, 120).map((c) => c.id));
  });

  it('within a created range, and for one exact email', async () => {
    const all = await everyCustomer();
    const middle = all[120]!.created;
    const range = { gte: middle - 86_400 * 30, lte: middle };
    const page = await api.listCustomers({ created: range, limit: 100 });
    const expected = all.filter((c) => c.created >= range.gte && c.created <= range.lte);
    expect(page.items.map((c) => c.id)).toEqual(expected.slice(0, 100).map((c) => c.id));
    expect(page.hasMore).toBe(expected.length > 100);
    const withEmail = all.find((c) => c.email)!;
    const byEmail = await api.listCustomers({ email: withEmail.email! });
    expect(byEmail.items.map((c) => c.email)).toEqual(
      all.filter((c) => c.email === withEmail.email).map((c) => c.email),
    );
    const lt = await api.listCustomers({ created: { lt: middle + 1 }, limit: 1 });
    expect(lt.items[0]!.created).toBeLessThanOrEqual(middle);
  });

  it('re-anchors nothing itself: a cursor on a deleted customer is a StaleCursorError', async () => {
    const doomed = await stripe.customers.create({ email: 'doomed@example.com' });
    await stripe.customers.del(doomed.id);
    const error = await failure(() => api.listCustomers({ startingAfter: doomed.id }));
    expect(error).toBeInstanceOf(StaleCursorError);
  });
});

describe('searching customers', () => {
  it('counts every match on request, and pages with the page token', async () => {
    const all = await everyCustomer();
    const from = all[200]!.created;
    const query = `created>=${from}`;
    const expected = all.filter((c) => c.created >= from).length;
    const first = await api.searchCustomers(query, undefined, { withTotalCount: true });
    expect(first.totalCount).toBe(expected);
    expect(first.items).toHaveLength(Math.min(100, expected));
    expect(first.hasMore).toBe(expected > 100);
    const uncounted = await api.searchCustomers(query);
    expect(uncounted.totalCount).toBeUndefined();
    if (first.nextPage) {
      const second = await api.searchCustomers(query, first.nextPage);
      expect(second.items.length).toBe(Math.min(100, expected - 100));
      expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    } else {
      expect(first.hasMore).toBe(false);
    }
    expect(Math.abs(first.serverTime - emulator.now())).toBeLessThanOrEqual(1);
  });
});

describe('retrieving a customer', () => {
  it('answers the customer, its deleted stub, or a deleted stub for one Stripe forgot', async () => {
    const customer = await stripe.customers.create({ email: 'kept@example.com' });
    const kept = await api.retrieveCustomer(customer.id);
    expect(kept.customer).toMatchObject({ id: customer.id, email: 'kept@example.com' });
    expect(Math.abs(kept.serverTime - emulator.now())).toBeLessThanOrEqual(1);
    await stripe.customers.del(customer.id);
    expect((await api.retrieveCustomer(customer.id)).customer).toMatchObject({
      id: customer.id,
      deleted: true,
    });
    const wiped = await stripe.customers.create({ email: 'wiped@example.com' });
    expect(emulator.purgeCustomer(wiped.id)).toBe(true);
    const gone = await api.retrieveCustomer(wiped.id);
    expect(gone.customer).toEqual({ id: wiped.id, object: 'customer', deleted: true });
    expect(Math.abs(gone.serverTime - Date.now() / 1000)).toBeLessThanOrEqual(2);
  });
});

describe('listing events', () => {
  it('asks for the event types a customer change comes with, with their payload and previous values', async () => {
    const customer = await stripe.customers.create({ email: 'events@example.com' });
    await stripe.customers.update(customer.id, { name: 'Renamed' });
    const page = await api.listCustomerEvents({ created: { gte: emulator.now() - 5 } });
    expect(page.malformed).toBe(0);
    const mine = page.items.filter(
      (event) => (event.object as { id?: unknown } | null)?.id === customer.id,
    );
    expect(mine.map((event) => event.type)).toEqual(['customer.updated', 'customer.created']);
    expect(mine[0]!.previousAttributes).toEqual({ name: null });
    expect(mine[0]!.apiVersion).toBe(api.apiVersion);
    expect(mine[0]!.object).toMatchObject({ name: 'Renamed' });
    // Only the types a customer change comes with (related objects' events among them).
    const history = await api.listCustomerEvents({ created: { gte: NOW - 30 * 86_400 } });
    expect(history.items.length).toBeGreaterThan(0);
    for (const event of history.items) expect(CUSTOMER_EVENT_TYPES).toContain(event.type);
    // Paging: two short pages continue each other exactly.
    const since = { gte: NOW - 30 * 86_400 };
    const head = await api.listCustomerEvents({ created: since, limit: 2 });
    expect(head.hasMore).toBe(true);
    const tail = await api.listCustomerEvents({
      created: since,
      startingAfter: head.items.at(-1)!.id,
      limit: 2,
    });
    expect([...head.items, ...tail.items].map((event) => event.id)).toEqual(
      history.items.slice(0, 4).map((event) => event.id),
    );
  });

  it('counts and leaves out entries that are not events', async () => {
    emulator.setFaults({ failNext: [{ status: 'garble', path: '/v1/events' }] });
    const page = await api.listCustomerEvents({ created: { gte: NOW - 30 * 86_400 } });
    expect(page.malformed).toBeGreaterThan(0);
    for (const event of page.items) expect(typeof event.id).toBe('string');
  });
});

describe('failures', () => {
  it('retries a 5xx once Stripe may be asked again, and counts it', async () => {
    const before = api.stats.retries;
    emulator.setFaults({ failNext: [{ status: 500, path: '/v1/customers' }] });
    const page = await api.listCustomers({ limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(api.stats.retries).toBe(before + 1);
    expect(api.stats.byEndpoint['GET /v1/customers']?.retries).toBeGreaterThan(0);
  });

  it('gives up after max_attempts with a transient error', async () => {
    emulator.setFaults({
      failNext: [
        { status: 503, path: '/v1/customers' },
        { status: 503, path: '/v1/customers' },
      ],
    });
    const error = await failure(() => api.listCustomers({ limit: 1 }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/Stripe failed \(HTTP 503, api_error\)/);
  });

  it('does not retry what Stripe says not to', async () => {
    emulator.setFaults({ failNext: [{ status: 500, path: '/v1/events', shouldRetry: false }] });
    const error = await failure(() => api.listCustomerEvents({ created: { gte: 0 } }));
    expect(error).toBeInstanceOf(TransientError);
  });

  it('waits out a 429 and goes on', async () => {
    emulator.setFaults({
      failNext: [{ status: 429, path: '/v1/customers/search', retryAfter: 0 }],
    });
    const before = api.stats.rateLimited;
    const page = await api.searchCustomers('created>0');
    expect(page.items.length).toBeGreaterThan(0);
    expect(api.stats.rateLimited).toBe(before + 1);
  });

  it('turns a rejected key into a config error that shows no key', async () => {
    const wrong = new StripeApi({ apiKey: 'sk_test_WrongKey12345', apiBaseUrl: emulator.url });
    const error = await failure(() => wrong.listCustomers({}));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/Stripe rejected the API key \(HTTP 401, /);
    expect(error.message).not.toContain('WrongKey12345');
  });

  it('names the permission a restricted key lacks', async () => {
    const limited = new StripeApi({ apiKey: 'rk_test_customersOnly', apiBaseUrl: emulator.url });
    expect((await limited.listCustomers({ limit: 1 })).items).toHaveLength(1);
    const error = await failure(() => limited.listCustomerEvents({ created: { gte: 0 } }));
    expect(error).toBeInstanceOf(MissingPermissionError);
    expect((error as MissingPermissionError).resource).toBe('events');
    expect(error.message).toMatch(/Events: Read/);
    expect(error.message).not.toContain('rk_test_customersOnly');
  });

  it('names account_id when the connected account is not one the key may act on', async () => {
    const other = new StripeApi({
      apiKey: TEST_KEY,
      apiBaseUrl: emulator.url,
      accountId: 'acct_NotConnected00',
    });
    const error = await failure(() => other.listCustomers({}));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/Check `account_id`/);
  });

  it('refuses an api_base_url that is not an http(s) URL', () => {
    expect(() => new StripeApi({ apiKey: TEST_KEY, apiBaseUrl: 'not a url' })).toThrow(
      /api_base_url: not a URL: expected something like https:\/\/api.stripe.com/,
    );
    expect(() => new StripeApi({ apiKey: TEST_KEY, apiBaseUrl: 'ftp://example.com' })).toThrow(
      /must start with http:\/\/ or https:\/\//,
    );
  });

  it('says the network is the problem when nothing answers', async () => {
    const nowhere = new StripeApi({
      apiKey: TEST_KEY,
      apiBaseUrl: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    const error = await failure(() => nowhere.listCustomers({}));
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/Could not reach the Stripe API/);
  });
});
