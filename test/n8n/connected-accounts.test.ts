/**
 * Connected accounts through the n8n nodes, built and run by n8n-core against the emulator's
 * Connect platform: items of every account with their stripe_account_id; a revoked account
 * failing alone (a warning naming it, the other accounts' items there); shards disjoint and
 * covering; the trigger watching every account from now on, a newly connected account coming in
 * full, and a poll cut short continued by the next without repeating an account's work.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { rawSdkFor, settle, TEST_KEY } from '../support/stripe';
import { loadPackage, type LoadedPackage } from './support/n8n';

let pkg: LoadedPackage;
let emulator: RunningEmulator;
let stripe: Stripe;

beforeAll(async () => {
  [pkg, emulator] = await Promise.all([
    loadPackage(),
    startEmulator({ customers: 4, seed: 88, connectedAccounts: 6 }),
  ]);
  emulator.advanceClock(3_600);
  stripe = rawSdkFor(emulator, TEST_KEY);
  await pkg.setCredential({ apiKey: TEST_KEY, apiBaseUrl: emulator.url });
});

afterAll(async () => {
  await emulator?.close();
  pkg?.remove();
});

const keysOf = (items: IDataObject[]) =>
  items.map((item) => `${String(item.stripe_account_id)}/${String(item.id)}`).sort();

async function customersOf(accounts: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const account of accounts) {
    for await (const customer of stripe.customers.list(
      { limit: 100 },
      { stripeAccount: account },
    )) {
      keys.push(`${account}/${customer.id}`);
    }
  }
  return keys.sort();
}

/** The connected accounts the key may still read (a test revokes one). */
async function readableAccounts(): Promise<string[]> {
  const readable: string[] = [];
  for (const account of emulator.connectedAccountIds()) {
    const ok = await customersOf([account]).then(
      () => true,
      () => false,
    );
    if (ok) readable.push(account);
  }
  return readable;
}

const action = (options: INodeParameters) =>
  pkg.runAction({ parameters: { returnAll: true, options } });

describe('the Stripe Customers node over connected accounts', () => {
  it('items of every account, each with its stripe_account_id; shards split them', async () => {
    const accounts = emulator.connectedAccountIds();
    const run = await action({ connectedAccounts: 'all' });
    expect(run.error).toBeUndefined();
    expect(keysOf(run.items)).toEqual(await customersOf(accounts));
    const [first, second] = await Promise.all(
      ['1/2', '2/2'].map((accountShard) => action({ connectedAccounts: 'all', accountShard })),
    );
    const a = keysOf(first!.items);
    const b = keysOf(second!.items);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.filter((key) => b.includes(key))).toEqual([]);
    expect([...a, ...b].sort()).toEqual(await customersOf(accounts));
    // Listed ids, comma-separated, read just those.
    const [x, y] = accounts as [string, string];
    const listed = await action({ connectedAccounts: `${x}, ${y}` });
    expect(keysOf(listed.items)).toEqual(await customersOf([x, y]));
  });

  it('a revoked account fails alone: the others’ items, and a warning naming it', async () => {
    const account = emulator.connectAccount({ customers: 2 });
    const other = emulator.connectAccount({ customers: 3 });
    emulator.revokeAccount(account, { stillListed: true });
    const run = await action({ connectedAccounts: `${account},${other}` });
    expect(run.error).toBeUndefined();
    expect(keysOf(run.items)).toEqual(await customersOf([other]));
    const warning = run.hints.find((hint) => hint.message.includes(account));
    expect(warning).toMatchObject({ type: 'warning' });
    expect(warning?.message).toContain('1 connected account(s) failed');
    expect(warning?.message).toContain('revoked');
  });
});

describe('the trigger over connected accounts', () => {
  async function activate(parameters: INodeParameters) {
    let staticData: IDataObject = {};
    const first = await pkg.poll({ parameters, staticData, activation: true });
    staticData = first.staticData;
    return {
      first,
      poll: async () => {
        const run = await pkg.poll({ parameters, staticData });
        staticData = run.staticData;
        return run;
      },
    };
  }

  it('watches every account from now on; an account connected later comes in full', async () => {
    const readable = await readableAccounts();
    const trigger = await activate({
      firstPoll: 'startNow',
      options: { connectedAccounts: 'all' },
    });
    expect(trigger.first.execution).toBeNull();
    expect(trigger.first.errors).toEqual([]);
    const [changedIn] = readable as [string];
    const [customer] = (await stripe.customers.list({ limit: 1 }, { stripeAccount: changedIn }))
      .data;
    await stripe.customers.update(customer!.id, { name: 'Watched' }, { stripeAccount: changedIn });
    const added = emulator.connectAccount({ customers: 2 });
    settle(emulator);
    const poll = await trigger.poll();
    const items = poll.execution?.items ?? [];
    expect(items.filter((item) => item.stripe_account_id === changedIn)).toEqual([
      expect.objectContaining({
        id: customer!.id,
        name: 'Watched',
        stripe_account_id: changedIn,
        _stripe_change: 'updated',
      }),
    ]);
    const fromAdded = items.filter((item) => item.stripe_account_id === added);
    expect(keysOf(fromAdded)).toEqual(await customersOf([added]));
    expect(fromAdded.every((item) => item._stripe_change === 'listed')).toBe(true);
    // Nothing else: the other accounts had no changes (the revoked one fails alone, logged).
    expect(items).toHaveLength(1 + fromAdded.length);
  });

  it('a poll cut short is continued by the next, repeating no account’s work', async () => {
    const trigger = await activate({
      firstPoll: 'importAll',
      options: { connectedAccounts: 'all', maxItemsPerPoll: 5 },
    });
    const seen: string[] = keysOf(trigger.first.execution?.items ?? []);
    expect(seen.length).toBeGreaterThan(0);
    for (let polls = 0; polls < 20; polls++) {
      const next = await trigger.poll();
      const items = next.execution?.items ?? [];
      if (items.length === 0) break;
      seen.push(...keysOf(items));
    }
    // Every customer of every readable account once: nothing repeated across the polls.
    expect(seen.sort()).toEqual(await customersOf(await readableAccounts()));
  });
});
