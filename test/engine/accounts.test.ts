/**
 * One connection over every connected account (`connected_accounts`), the engine's one loop
 * through the official SDK to the emulator's Connect platform: each account read once with its
 * `stripe_account_id`; a newly connected account imported in full on the next run; a revoked one
 * failing alone; a resumed run repeating no account's work; shards disjoint and covering.
 */
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeStreams,
  parseConfig,
  syncPipelines,
  type AccountsState,
  type EmittedRecord,
  type PipelineState,
  type SyncEvent,
} from '../../connector';
import { startEmulator, type RunningEmulator } from '../emulator';
import { configFor, rawSdkFor, settle, TEST_KEY } from '../support/stripe';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function platform(accounts: number, customers = 4) {
  emulator = await startEmulator({ customers, seed: 26, connectedAccounts: accounts });
  emulator.advanceClock(3_600);
  return { emulator, stripe: rawSdkFor(emulator, TEST_KEY) };
}

interface Run {
  items: EmittedRecord[];
  events: SyncEvent[];
  state?: PipelineState;
}

async function sync(
  running: RunningEmulator,
  extra: Record<string, unknown>,
  options: { state?: PipelineState; stopWhen?: (state: PipelineState) => boolean } = {},
): Promise<Run> {
  const config = parseConfig(configFor(running, extra));
  const run: Run = { items: [], events: [] };
  for await (const event of syncPipelines(config, {
    pipelines: [{ name: 'customers', syncMode: 'incremental', state: options.state }],
  })) {
    run.events.push(event);
    if (event.kind === 'records') run.items.push(...event.items);
    if (event.kind === 'checkpoint') {
      run.state = event.state;
      if (options.stopWhen?.(event.state)) break;
    }
  }
  return run;
}

/** `account/id` of each record, sorted. */
const keys = (items: EmittedRecord[]) =>
  items.map((item) => `${String(item.record.stripe_account_id)}/${String(item.record.id)}`).sort();

async function customersOf(stripe: Stripe, account?: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const customer of stripe.customers.list(
    { limit: 100 },
    account ? { stripeAccount: account } : {},
  )) {
    ids.push(`${account ?? 'platform'}/${customer.id}`);
  }
  return ids;
}

async function everyCustomer(stripe: Stripe, accounts: string[], platformToo = false) {
  const all = await Promise.all(accounts.map((account) => customersOf(stripe, account)));
  if (platformToo) all.push(await customersOf(stripe));
  return all.flat().sort();
}

describe('connected accounts', () => {
  it('"all" reads every listed account once, each record with its stripe_account_id, keyed by it', async () => {
    const { emulator: running, stripe } = await platform(5);
    const accounts = running.connectedAccountIds();
    const run = await sync(running, { connected_accounts: 'all', include_platform_account: true });
    expect(keys(run.items)).toEqual(await everyCustomer(stripe, accounts, true));
    expect(run.events.filter((event) => event.kind === 'pipeline_failed')).toEqual([]);
    const state = run.state as AccountsState;
    expect(state.phase).toBe('accounts');
    expect(Object.keys(state.accounts).sort()).toEqual([...accounts, 'platform'].sort());
    const finished = run.events.find((event) => event.kind === 'pipeline_finished');
    expect(finished).toMatchObject({ summary: { accounts: { finished: 6, failed: [] } } });

    const [stream] = describeStreams(
      parseConfig(configFor(running, { connected_accounts: 'all' })),
    );
    expect(stream?.layout).toMatchObject({ accountField: 'stripe_account_id', primaryKey: 'id' });
    // A config of one account keeps today's shape.
    const [single] = describeStreams(parseConfig(configFor(running)));
    expect(single?.layout.accountField).toBeUndefined();
    const one = await sync(running, {});
    expect(one.items.every((item) => !('stripe_account_id' in item.record))).toBe(true);
    expect(one.state).toMatchObject({ phase: 'incremental' });
  });

  it('a listed set of accounts, and each account’s changes on the next run with its account', async () => {
    const { emulator: running, stripe } = await platform(4);
    const [a, b] = running.connectedAccountIds() as [string, string];
    const first = await sync(running, { connected_accounts: [a, b] });
    expect(keys(first.items)).toEqual(await everyCustomer(stripe, [a, b]));
    const [customer] = (await customersOf(stripe, b))[0]!.split('/').slice(1);
    await stripe.customers.update(customer!, { name: 'Changed' }, { stripeAccount: b });
    settle(running);
    const second = await sync(running, { connected_accounts: [a, b] }, { state: first.state });
    expect(keys(second.items)).toEqual([`${b}/${customer}`]);
    expect(second.items[0]?.record).toMatchObject({ name: 'Changed', stripe_account_id: b });
  });

  it('an account connected since the last run gets its full import; the others only their changes', async () => {
    const { emulator: running, stripe } = await platform(3);
    const first = await sync(running, { connected_accounts: 'all' });
    const added = running.connectAccount({ customers: 6 });
    settle(running);
    const second = await sync(running, { connected_accounts: 'all' }, { state: first.state });
    expect(keys(second.items)).toEqual(await customersOf(stripe, added).then((ids) => ids.sort()));
    expect(Object.keys((second.state as AccountsState).accounts)).toContain(added);
  });

  it('a revoked account fails alone: the others finish, the run names it, its state stays', async () => {
    const { emulator: running, stripe } = await platform(4);
    const accounts = running.connectedAccountIds();
    const first = await sync(running, { connected_accounts: 'all' });
    const [revoked, ...others] = accounts as [string, ...string[]];
    running.revokeAccount(revoked, { stillListed: true });
    const changed = (await customersOf(stripe, others[0]))[0]!.split('/')[1]!;
    await stripe.customers.update(changed, { name: 'After' }, { stripeAccount: others[0] });
    settle(running);
    const second = await sync(running, { connected_accounts: 'all' }, { state: first.state });
    const failed = second.events.filter((event) => event.kind === 'account_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ account: revoked, error: { kind: 'config' } });
    expect((failed[0] as { error: Error }).error.message).toContain(revoked);
    expect((failed[0] as { error: Error }).error.message).toContain('revoked');
    expect(keys(second.items)).toEqual([`${others[0]}/${changed}`]);
    expect(second.events.some((event) => event.kind === 'pipeline_failed')).toBe(false);
    const finished = second.events.find((event) => event.kind === 'pipeline_finished');
    expect(finished).toMatchObject({
      summary: { accounts: { finished: 3, failed: [{ account: revoked }] } },
    });
    const before = (first.state as AccountsState).accounts[revoked];
    expect((second.state as AccountsState).accounts[revoked]).toEqual(before);
  });

  it('a resumed run repeats no account’s work', async () => {
    const { emulator: running, stripe } = await platform(6, 250);
    const accounts = running.connectedAccountIds();
    const extra = { connected_accounts: 'all', account_concurrency: 2 };
    // Killed once the first account finished its import, the second still importing.
    const killed = await sync(running, extra, {
      stopWhen: (state) =>
        Object.values((state as AccountsState).accounts).some(
          (account) => account.phase === 'incremental',
        ),
    });
    const saved = killed.state as AccountsState;
    const done = Object.entries(saved.accounts)
      .filter(([, state]) => state.phase === 'incremental')
      .map(([account]) => account);
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(accounts.length);
    const resumed = await sync(running, extra, { state: saved });
    const again = resumed.items.filter((item) =>
      done.includes(String(item.record.stripe_account_id)),
    );
    expect(again).toEqual([]);
    // Each checkpoint covers every record before it, of every account: none comes twice.
    const before = new Set(keys(killed.items));
    expect(keys(resumed.items).filter((key) => before.has(key))).toEqual([]);
    // Together they hold every customer of every account.
    const union = new Set([...keys(killed.items), ...keys(resumed.items)]);
    expect([...union].sort()).toEqual(await everyCustomer(stripe, accounts));
    // A record of an account cut off mid-import is repeated at most from its own last checkpoint.
    expect(resumed.items.length).toBeLessThan(accounts.length * 250);
  });

  it('shards 1/3, 2/3, 3/3 read disjoint accounts that together are every account', async () => {
    const { emulator: running, stripe } = await platform(12, 2);
    const accounts = running.connectedAccountIds();
    const byShard = await Promise.all(
      ['1/3', '2/3', '3/3'].map(async (shard) => {
        const run = await sync(running, { connected_accounts: 'all', account_shard: shard });
        return new Set(run.items.map((item) => String(item.record.stripe_account_id)));
      }),
    );
    const total = byShard.reduce((sum, shard) => sum + shard.size, 0);
    expect(total).toBe(accounts.length);
    expect(new Set(byShard.flatMap((shard) => [...shard])).size).toBe(accounts.length);
    expect(byShard.every((shard) => shard.size > 0)).toBe(true);
    expect((await everyCustomer(stripe, accounts)).length).toBe(accounts.length * 2);
  });

  it('a skipped customer is named with its account', async () => {
    const { emulator: running, stripe } = await platform(2, 3);
    const [a, b] = running.connectedAccountIds() as [string, string];
    const [bad] = (await customersOf(stripe, b))[0]!.split('/').slice(1);
    const config = parseConfig(
      configFor(running, {
        connected_accounts: [a, b],
        pipelines: [
          {
            name: 'customers',
            on_error: 'skip',
            transformation: {
              type: 'javascript',
              source: `function transform(c) { if (c.id === ${JSON.stringify(bad)} && c.stripe_account_id === ${JSON.stringify(b)}) throw new Error('bad'); return { email: c.email }; }`,
            },
          },
        ],
      }),
    );
    const skipped = [];
    for await (const event of syncPipelines(config)) {
      if (event.kind === 'skipped') skipped.push(...event.customers);
    }
    expect(skipped).toEqual([expect.objectContaining({ id: bad, account: b, cause: 'error' })]);
  });

  it('an account no longer read: its rows kept, or to be deleted (on_account_removed)', async () => {
    const { emulator: running } = await platform(3, 2);
    const [a, b, c] = running.connectedAccountIds() as [string, string, string];
    const first = await sync(running, { connected_accounts: 'all' });
    running.revokeAccount(a);
    settle(running);
    const kept = await sync(running, { connected_accounts: 'all' }, { state: first.state });
    expect(kept.events.filter((event) => event.kind === 'account_removed')).toEqual([
      { kind: 'account_removed', pipeline: 'customers', account: a, rows: 'keep' },
    ]);
    expect(Object.keys((kept.state as AccountsState).accounts).sort()).toEqual([b, c].sort());
    const deleted = await sync(
      running,
      { connected_accounts: [c], on_account_removed: 'delete' },
      { state: kept.state },
    );
    expect(deleted.events.filter((event) => event.kind === 'account_removed')).toEqual([
      { kind: 'account_removed', pipeline: 'customers', account: b, rows: 'delete' },
    ]);
  });
});
