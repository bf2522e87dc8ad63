/**
 * Stripe Connect in the emulator, through the official SDK: generated connected accounts, listed
 * at `GET /v1/accounts` (paginated newest first, as Stripe lists), each read with
 * `Stripe-Account`; connecting one at runtime; revoking one (403 account_invalid); and what a
 * request for a connected account counts against (the worst case by default: the connected
 * account's limits and the platform's).
 */
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from './index.js';
import { rawSdkFor } from '../support/stripe';

const KEY = 'sk_test_emulator';

async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the request to fail');
}

async function listAll(stripe: Stripe, limit: number): Promise<Stripe.Account[]> {
  const accounts: Stripe.Account[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await stripe.accounts.list({
      limit,
      ...(startingAfter ? { starting_after: startingAfter } : {}),
    });
    accounts.push(...page.data);
    if (!page.has_more) return accounts;
    startingAfter = page.data.at(-1)?.id;
  }
}

describe('connected accounts', () => {
  let emu: RunningEmulator;
  afterEach(() => emu.close());

  it('--connected-accounts N: N accounts listed page by page, each with its own customers and events', async () => {
    emu = await startEmulator({ customers: 7, seed: 5, connectedAccounts: 5 });
    const stripe = rawSdkFor(emu, KEY);
    const accounts = await listAll(stripe, 2);
    expect(accounts.map((account) => account.id)).toEqual(emu.connectedAccountIds());
    expect(new Set(accounts.map((account) => account.id)).size).toBe(5);
    expect(accounts.every((account) => /^acct_[A-Za-z0-9]{16}$/.test(account.id))).toBe(true);
    // Newest first, as Stripe lists everything.
    const created = accounts.map((account) => account.created);
    expect(created).toEqual([...created].sort((a, b) => (b as number) - (a as number)));
    expect(accounts).not.toContainEqual(expect.objectContaining({ id: emu.accountId }));

    const seen = new Set<string>();
    for (const account of accounts) {
      const customers = await stripe.customers.list({ limit: 100 }, { stripeAccount: account.id });
      expect(customers.data).toHaveLength(7);
      for (const customer of customers.data) {
        expect(seen.has(customer.id)).toBe(false);
        seen.add(customer.id);
      }
      const events = await stripe.events.list({ limit: 100 }, { stripeAccount: account.id });
      const ids = new Set(customers.data.map((customer) => customer.id));
      for (const event of events.data) {
        if (event.type !== 'customer.created') continue;
        expect(ids.has((event.data.object as Stripe.Customer).id)).toBe(true);
      }
    }
    // The platform's own customers are its own.
    const own = await stripe.customers.list({ limit: 100 });
    expect(own.data.some((customer) => seen.has(customer.id))).toBe(false);
    // A connected account lists no accounts of its own.
    const first = accounts[0] as Stripe.Account;
    expect((await stripe.accounts.list({}, { stripeAccount: first.id })).data).toEqual([]);
  });

  it('same seed, same accounts; an account connected later is listed first', async () => {
    emu = await startEmulator({ customers: 2, seed: 9, connectedAccounts: 3 });
    const before = emu.connectedAccountIds();
    await emu.close();
    emu = await startEmulator({ customers: 2, seed: 9, connectedAccounts: 3 });
    expect(emu.connectedAccountIds()).toEqual(before);
    const added = emu.connectAccount({ customers: 4 });
    const stripe = rawSdkFor(emu, KEY);
    const listed = await listAll(stripe, 100);
    expect(listed.map((account) => account.id)).toEqual([added, ...before]);
    const customers = await stripe.customers.list({ limit: 100 }, { stripeAccount: added });
    expect(customers.data).toHaveLength(4);
  });

  it('revoking an account: 403 account_invalid, and gone from the list unless still listed', async () => {
    emu = await startEmulator({ customers: 3, seed: 4, connectedAccounts: 3 });
    const stripe = rawSdkFor(emu, KEY);
    const [gone, listedStill, kept] = emu.connectedAccountIds() as [string, string, string];
    const res = await fetch(`${emu.url}/_emulator/accounts/revoke`, {
      method: 'POST',
      body: JSON.stringify({ account: gone }),
    });
    expect(res.status).toBe(200);
    emu.revokeAccount(listedStill, { stillListed: true });
    for (const account of [gone, listedStill]) {
      const error = await rejection(stripe.customers.list({}, { stripeAccount: account }));
      expect(error).toBeInstanceOf(Stripe.errors.StripePermissionError);
      expect(error.statusCode).toBe(403);
      expect(error.code).toBe('account_invalid');
      expect(error.message).toContain(`does not have access to account '${account}'`);
      expect(error.message).toContain('Application access may have been revoked');
    }
    expect((await listAll(stripe, 100)).map((account) => account.id)).toEqual([listedStill, kept]);
    const stillReadable = await stripe.customers.list({}, { stripeAccount: kept });
    expect(stillReadable.data).toHaveLength(3);
  });

  it('a restricted key needs a permission to list accounts', async () => {
    emu = await startEmulator({
      customers: 1,
      connectedAccounts: 1,
      restrictedKeys: { rk_test_customersOnly99: ['customers:read', 'events:read'] },
    });
    const error = await rejection(rawSdkFor(emu, 'rk_test_customersOnly99').accounts.list());
    expect(error).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(error.message).toContain("'rak_accounts_kyc_basic_read'");
  });

  it("a request for a connected account counts against the platform's limits too (the default)", async () => {
    emu = await startEmulator({ customers: 1, connectedAccounts: 2, endpointRateLimit: 3 });
    const stripe = rawSdkFor(emu, KEY);
    const [a, b] = emu.connectedAccountIds() as [string, string];
    const burst = (account: string | undefined, count: number) =>
      Array.from({ length: count }, () =>
        stripe.customers.list({ limit: 1 }, account ? { stripeAccount: account } : {}),
      );
    // Sent together, far inside one second: three fill the platform's endpoint window.
    const results = await Promise.allSettled([
      ...burst(a, 2),
      ...burst(b, 2),
      ...burst(undefined, 1),
    ]);
    const limited = results.filter((result) => result.status === 'rejected');
    expect(limited).toHaveLength(2);
    for (const result of limited) {
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(
        Stripe.errors.StripeRateLimitError,
      );
    }
    expect(emu.stats().rateLimitedBy.endpoint).toBe(2);
  });

  it('connectedAccountLimits: account counts a request against the connected account only', async () => {
    emu = await startEmulator({
      customers: 1,
      connectedAccounts: 2,
      endpointRateLimit: 3,
      connectedAccountLimits: 'account',
    });
    const stripe = rawSdkFor(emu, KEY);
    const [a, b] = emu.connectedAccountIds() as [string, string];
    const burst = (account: string | undefined, count: number) =>
      Array.from({ length: count }, () =>
        stripe.customers.list({ limit: 1 }, account ? { stripeAccount: account } : {}),
      );
    const results = await Promise.allSettled([
      ...burst(a, 3),
      ...burst(b, 3),
      ...burst(undefined, 3),
    ]);
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    const more = await Promise.allSettled(burst(a, 1));
    expect(more[0]?.status).toBe('rejected');
  });
});
