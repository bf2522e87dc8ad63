/**
 * Connected accounts into the warehouse, through the built `sync` command: one table keyed by
 * (stripe_account_id, id) holding every account's customers; a new account imported on the next
 * run; a revoked account failing alone ("succeeded with failures", its rows kept); an account no
 * longer read deleted with `on_account_removed: delete`; shards into two warehouses disjoint and
 * covering.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { configFor, rawSdkFor, settle, TEST_KEY } from '../support/stripe';
import { pipelineReport } from './support/fixtures';
import {
  BACKENDS,
  syncCli,
  writeConfig,
  type Backend,
  type TestWarehouse,
} from './support/standalone';

async function customersOf(stripe: Stripe, account: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const customer of stripe.customers.list({ limit: 100 }, { stripeAccount: account })) {
    ids.push(`${account}/${customer.id}`);
  }
  return ids;
}

async function tableKeys(warehouse: TestWarehouse): Promise<string[]> {
  const rows = await warehouse.query('SELECT stripe_account_id, id FROM customers');
  return rows.map((row) => `${String(row.stripe_account_id)}/${String(row.id)}`).sort();
}

describe.each(BACKENDS)('connected accounts into $name', ({ start }) => {
  let backend: Backend;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    backend = await start();
    emulator = await startEmulator({ customers: 5, seed: 73, connectedAccounts: 5 });
    emulator.advanceClock(3_600);
    stripe = rawSdkFor(emulator, TEST_KEY);
  });
  afterAll(async () => {
    await emulator?.close();
    await backend?.stop();
  });

  const every = async (accounts: string[]) =>
    (await Promise.all(accounts.map((account) => customersOf(stripe, account)))).flat().sort();

  it('every account into one table; a new account next; a revoked one fails alone; a removed one deleted', async () => {
    const warehouse = await backend.create();
    const config = writeConfig(configFor(emulator, { connected_accounts: 'all' }));
    const args = ['--config', config, '--destination', warehouse.url];

    const first = await syncCli(args);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(pipelineReport(first, 'customers')).toMatchObject({ status: 'succeeded' });
    const accounts = emulator.connectedAccountIds();
    const before = await every(accounts);
    expect(await tableKeys(warehouse)).toEqual(before);

    // A new account, a revoked one (still listed), a change in a third.
    const added = emulator.connectAccount({ customers: 3 });
    const [revoked, changedIn] = accounts as [string, string];
    emulator.revokeAccount(revoked, { stillListed: true });
    const [changed] = (await stripe.customers.list({ limit: 1 }, { stripeAccount: changedIn }))
      .data;
    await stripe.customers.update(changed!.id, { name: 'Renamed' }, { stripeAccount: changedIn });
    settle(emulator);
    const second = await syncCli(args);
    expect(second.exitCode).toBe(2);
    const report = pipelineReport(second, 'customers');
    expect(report).toMatchObject({
      status: 'succeeded_with_failures',
      failedAccounts: [{ account: revoked, errorKind: 'config' }],
    });
    expect(report.error).toContain(revoked);
    expect(second.stderr).toContain(`connected account ${revoked} failed`);
    // The revoked account's rows stay; the new account's are in; the change is applied.
    expect(await tableKeys(warehouse)).toEqual([...before, ...(await every([added]))].sort());
    const [row] = await warehouse.query(
      `SELECT name FROM customers WHERE stripe_account_id = '${changedIn}' AND id = '${changed!.id}'`,
    );
    expect(row?.name).toBe('Renamed');

    // Taken out of the config with on_account_removed: delete: its rows go.
    const kept = accounts.filter((account) => account !== revoked);
    const listed = writeConfig(
      configFor(emulator, { connected_accounts: [...kept, added], on_account_removed: 'delete' }),
    );
    const third = await syncCli(['--config', listed, '--destination', warehouse.url]);
    expect(third.exitCode, third.stderr).toBe(0);
    expect(pipelineReport(third, 'customers')).toMatchObject({ status: 'succeeded' });
    expect(await tableKeys(warehouse)).toEqual(await every([...kept, added]));
  });

  it('shards 1/2 and 2/2 into two warehouses: disjoint, and every account between them', async () => {
    const accounts = emulator.connectedAccountIds();
    const halves = await Promise.all(
      ['1/2', '2/2'].map(async (account_shard) => {
        const warehouse = await backend.create();
        const config = writeConfig(
          configFor(emulator, { connected_accounts: 'all', account_shard }),
        );
        const run = await syncCli(['--config', config, '--destination', warehouse.url]);
        return { run, keys: await tableKeys(warehouse) };
      }),
    );
    const [a, b] = halves as [(typeof halves)[0], (typeof halves)[0]];
    // Every account the key can still read (the test before revoked one, still listed).
    const readable: string[] = [];
    for (const account of accounts) {
      const ok = await customersOf(stripe, account).then(
        () => true,
        () => false,
      );
      if (ok) readable.push(account);
    }
    expect(a.keys.length).toBeGreaterThan(0);
    expect(b.keys.length).toBeGreaterThan(0);
    expect(a.keys.filter((key) => b.keys.includes(key))).toEqual([]);
    expect([...a.keys, ...b.keys].sort()).toEqual(await every(readable));
  });
});
