/**
 * Event payloads as Stripe renders them, through the official SDK: `''` for values that did not
 * exist before (`previousAttributesEmptyAs`), and payloads in the account's older API version
 * (`eventApiVersion`) while retrieves stay in the request's version.
 */
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from './index.js';
import { rawSdkFor } from '../support/stripe';

const KEY = 'sk_test_emulator';
const NOW = 1_760_000_000;

const sdk = (emu: RunningEmulator, extra: Stripe.StripeConfig = {}): Stripe =>
  rawSdkFor(emu, KEY, extra);

type Loose = Record<string, unknown>;

const latest = async (stripe: Stripe) => (await stripe.events.list({ limit: 1 })).data[0]!;

describe("'' in previous_attributes", () => {
  let emu: RunningEmulator;
  afterEach(() => emu.close());

  const change = async (stripe: Stripe) => {
    const c = await stripe.customers.create({ email: 'ann@example.com', metadata: { plan: 'a' } });
    await stripe.customers.update(c.id, {
      name: 'Ann',
      metadata: { team: 'x', plan: 'b' },
      address: { city: 'Paris', country: 'FR' },
      balance: 500,
    });
    return (await latest(stripe)).data.previous_attributes as Loose;
  };

  it('writes values that did not exist before as empty strings when asked to', async () => {
    emu = await startEmulator({ now: NOW, previousAttributesEmptyAs: 'empty_string' });
    expect(await change(sdk(emu))).toEqual({
      name: '',
      metadata: { team: '', plan: 'a' },
      address: '',
      balance: 0,
    });
  });

  it('writes them as null by default, and switches at runtime for later events', async () => {
    emu = await startEmulator({ now: NOW });
    const stripe = sdk(emu);
    expect(await change(stripe)).toEqual({
      name: null,
      metadata: { team: null, plan: 'a' },
      address: null,
      balance: 0,
    });
    emu.setFaults({ previousAttributesEmptyAs: 'empty_string' });
    expect((await change(stripe)).name).toBe('');
  });
});

describe('event payloads in an older API version', () => {
  let emu: RunningEmulator;
  afterEach(() => emu.close());

  it('2019-09-09: account_balance instead of balance, tax_info, and expanded lists', async () => {
    emu = await startEmulator({ now: NOW, customers: 400, seed: 3, eventApiVersion: '2019-09-09' });
    const stripe = sdk(emu);
    const made = await stripe.customers.create({ email: 'old@example.com' });
    await stripe.customers.update(made.id, { balance: 1200, name: 'Old Shape' });
    const event = await latest(stripe);
    expect(event.api_version).toBe('2019-09-09');
    const object = event.data.object as unknown as Loose;
    expect(object).toMatchObject({ id: made.id, account_balance: 1200, name: 'Old Shape' });
    expect(object).not.toHaveProperty('balance');
    expect(object).toMatchObject({ tax_info: null, tax_info_verification: null });
    for (const list of ['sources', 'subscriptions', 'tax_ids']) {
      expect(object[list]).toEqual({
        object: 'list',
        data: [],
        has_more: false,
        total_count: 0,
        url: `/v1/customers/${made.id}/${list}`,
      });
    }
    expect(event.data.previous_attributes).toEqual({ account_balance: 0, name: null });

    // Retrieves answer in the SDK's pinned version: the current shape.
    const current = (await stripe.customers.retrieve(made.id)) as unknown as Loose;
    expect(current).toMatchObject({ balance: 1200 });
    expect(current).not.toHaveProperty('account_balance');
    expect(current).not.toHaveProperty('sources');
    // A client pinned to the old version gets the old shape from retrieves and lists too.
    const pinnedOld = sdk(emu, { apiVersion: '2019-09-09' as Stripe.LatestApiVersion });
    const old = (await pinnedOld.customers.retrieve(made.id)) as unknown as Loose;
    expect(old).toMatchObject({ account_balance: 1200 });
    expect(old).not.toHaveProperty('balance');
    const listed = (await pinnedOld.customers.list({ limit: 1 })).data[0] as unknown as Loose;
    expect(listed).toHaveProperty('account_balance');

    // Seeded history is in the account's version too.
    const seeded = (await stripe.events.list({ limit: 100, types: ['customer.created'] })).data;
    expect(seeded.length).toBeGreaterThan(1);
    for (const e of seeded) {
      expect(e.api_version).toBe('2019-09-09');
      expect(e.data.object).toHaveProperty('account_balance');
      expect(e.data.object).not.toHaveProperty('balance');
    }
  });

  it('a later account upgrade renders later events only in the new version', async () => {
    emu = await startEmulator({ now: NOW, eventApiVersion: '2019-09-09' });
    const stripe = sdk(emu);
    const c = await stripe.customers.create({ name: 'Before upgrade' });
    emu.setFaults({ eventApiVersion: '2020-08-27' });
    await stripe.customers.update(c.id, { name: 'After upgrade' });
    const [after, before] = (await stripe.events.list({ limit: 2 })).data;
    expect(before!.api_version).toBe('2019-09-09');
    expect(before!.data.object).toHaveProperty('account_balance');
    expect(after!.api_version).toBe('2020-08-27');
    expect(after!.data.object).toHaveProperty('balance');
    expect(() => emu.setFaults({ eventApiVersion: 'last tuesday' })).toThrow(/eventApiVersion/);
  });
});

describe('the version gates', () => {
  const shapeIn = async (version: string): Promise<string[]> => {
    const emu = await startEmulator({ now: NOW, eventApiVersion: version });
    try {
      const stripe = sdk(emu);
      await stripe.customers.create({ name: 'Versioned' });
      const object = (await latest(stripe)).data.object as unknown as Loose;
      return ['account_balance', 'balance', 'tax_info', 'sources'].filter((k) => k in object);
    } finally {
      await emu.close();
    }
  };

  it('each change applies before its own date only', async () => {
    expect(await shapeIn('2019-10-16')).toEqual(['account_balance', 'tax_info', 'sources']);
    expect(await shapeIn('2019-11-05')).toEqual(['balance', 'tax_info', 'sources']);
    expect(await shapeIn('2020-03-02')).toEqual(['balance', 'sources']);
    expect(await shapeIn('2020-08-27')).toEqual(['balance']);
    expect(await shapeIn('2023-10-16')).toEqual(['balance']);
  });
});
