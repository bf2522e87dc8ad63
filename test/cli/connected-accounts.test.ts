/**
 * Connected accounts through the CLI, as Airbyte runs it: the stream keyed by
 * [stripe_account_id, id]; every account's customers read once with their account; shards
 * disjoint and covering; a revoked account failing alone with a TRACE naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import {
  ofType,
  readCli,
  records,
  runCli,
  stateFileFrom,
  streamStatuses,
  traceErrors,
  writeFiles,
} from '../support/connector';
import { configFor, rawSdkFor, settle, TEST_KEY } from '../support/stripe';

describe('connected accounts through the CLI', () => {
  let emulator: RunningEmulator;
  let everyCustomer: string[];
  beforeAll(async () => {
    emulator = await startEmulator({
      customers: 3,
      seed: 62,
      connectedAccounts: 6,
      restrictedKeys: { rk_test_customersAndEvents: ['customers:read', 'events:read'] },
    });
    emulator.advanceClock(3_600);
    const stripe = rawSdkFor(emulator, TEST_KEY);
    const all = await Promise.all(
      emulator.connectedAccountIds().map(async (account) => {
        const page = await stripe.customers.list({ limit: 100 }, { stripeAccount: account });
        return page.data.map((customer) => `${account}/${customer.id}`);
      }),
    );
    everyCustomer = all.flat().sort();
  });
  afterAll(() => emulator.close());

  const keysOf = (rows: Array<Record<string, unknown>>) =>
    rows.map((row) => `${String(row.stripe_account_id)}/${String(row.id)}`).sort();

  it('discover keys the stream by stripe_account_id and id', async () => {
    const files = writeFiles({ config: configFor(emulator, { connected_accounts: 'all' }) });
    const run = await runCli(['discover', '--config', files.config as string]);
    const [stream] = ofType(run.messages, 'CATALOG')[0]?.catalog.streams ?? [];
    expect(stream.source_defined_primary_key).toEqual([['stripe_account_id'], ['id']]);
    expect(stream.json_schema.properties.stripe_account_id).toMatchObject({ type: 'string' });
  });

  it('check looks the accounts up: how many it reads, or the permission a key lacks to list them', async () => {
    const check = async (config: object) => {
      const files = writeFiles({ config });
      const run = await runCli(['check', '--config', files.config as string]);
      return ofType(run.messages, 'CONNECTION_STATUS')[0]?.connectionStatus;
    };
    const passed = await check(configFor(emulator, { connected_accounts: 'all' }));
    expect(passed).toMatchObject({ status: 'SUCCEEDED' });
    expect(passed.message).toContain('6 account(s) to read with connected_accounts');
    const restricted = await check({
      ...configFor(emulator, { connected_accounts: 'all' }),
      api_key: 'rk_test_customersAndEvents',
    });
    expect(restricted).toMatchObject({ status: 'FAILED' });
    expect(restricted.message).toContain('rak_accounts_kyc_basic_read');
  });

  it('reads every account once; shards 1/2 and 2/2 split them', async () => {
    const all = await readCli(configFor(emulator, { connected_accounts: 'all' }));
    expect(all.exitCode).toBe(0);
    expect(keysOf(records(all.messages))).toEqual(everyCustomer);
    const shards = await Promise.all(
      ['1/2', '2/2'].map((account_shard) =>
        readCli(configFor(emulator, { connected_accounts: 'all', account_shard })),
      ),
    );
    const [first, second] = shards.map((run) => keysOf(records(run.messages)));
    expect(first!.length).toBeGreaterThan(0);
    expect(second!.length).toBeGreaterThan(0);
    expect(first!.filter((key) => second!.includes(key))).toEqual([]);
    expect([...first!, ...second!].sort()).toEqual(everyCustomer);
  });

  it('a revoked account: a TRACE naming it, the other accounts read on', async () => {
    const config = configFor(emulator, { connected_accounts: 'all' });
    const first = await readCli(config);
    const [revoked, other] = emulator.connectedAccountIds() as [string, string];
    emulator.revokeAccount(revoked, { stillListed: true });
    const stripe = rawSdkFor(emulator, TEST_KEY);
    const [customer] = (await stripe.customers.list({ limit: 1 }, { stripeAccount: other })).data;
    await stripe.customers.update(customer!.id, { name: 'Renamed' }, { stripeAccount: other });
    settle(emulator);
    const second = await readCli(config, { state: stateFileFrom(first.messages) });
    const traces = traceErrors(second.messages);
    expect(traces).toHaveLength(1);
    expect(traces[0].message).toContain(`connected account ${revoked}`);
    expect(traces[0].failure_type).toBe('config_error');
    expect(traces[0].stream_descriptor).toEqual({ name: 'customers' });
    expect(records(second.messages)).toEqual([
      expect.objectContaining({ id: customer!.id, name: 'Renamed', stripe_account_id: other }),
    ]);
    expect(streamStatuses(second.messages)).toContain('customers:INCOMPLETE');
    const state = stateFileFrom(second.messages)[0]?.stream.stream_state;
    expect(Object.keys(state.accounts)).toContain(revoked);
  });
});
