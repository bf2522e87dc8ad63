import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { configFor, listAllCustomers, sdkFor, settle } from '../support/stripe';
import {
  expectPassThroughEqual,
  expectProEqual,
  isPro,
  MODEL,
  pipelineReport,
  PRO_PIPELINE,
} from './support/fixtures';
import { BACKENDS, syncCli, writeConfig, type Backend } from './support/standalone';

const CUSTOMERS_ONLY_KEY = 'rk_test_customers_only';

/**
 * The key the setup guide creates (Customers: Read alone) cannot read events: an incremental
 * pipeline still works, by reading every matching customer and comparing with the table, and
 * the summary says it took that slower path and why.
 */
describe.each(BACKENDS)('a Customers-only key syncing into $name', ({ start }) => {
  let backend: Backend;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    backend = await start();
    emulator = await startEmulator({
      customers: 200,
      seed: 23,
      restrictedKeys: { [CUSTOMERS_ONLY_KEY]: ['customers:read'] },
    });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
    await backend?.stop();
  });

  it('keeps incremental pipelines equal to Stripe after creates, updates and deletes', async () => {
    const warehouse = await backend.create();
    const config = writeConfig(
      configFor(emulator, {
        api_key: CUSTOMERS_ONLY_KEY,
        customer_model: MODEL,
        pipelines: [{ name: 'customers' }, PRO_PIPELINE],
      }),
    );
    const args = ['--config', config, '--destination', warehouse.url];
    const first = await syncCli(args);
    expect(first.exitCode, first.stderr).toBe(0);
    for (const name of ['customers', 'pro']) {
      const report = pipelineReport(first, name);
      expect(report).toMatchObject({ status: 'succeeded', mode: 'full_refresh' });
      expect(report.slowPath).toMatch(/may not read events.*Events: Read/);
    }
    let truth = await listAllCustomers(stripe);
    expectPassThroughEqual(await warehouse.rows('customers'), truth, 'customers');
    expectProEqual(await warehouse.rows('pro', '_stripe_id'), truth);

    const [changed, deleted] = truth.filter((customer) => !isPro(customer));
    const [leaving] = truth.filter(isPro);
    await stripe.customers.create({ email: 'created@example.com', metadata: { plan: 'pro' } });
    await stripe.customers.update(changed!.id, { email: 'changed@example.com' });
    await stripe.customers.update(leaving!.id, { metadata: { plan: 'free' } });
    await stripe.customers.del(deleted!.id);
    settle(emulator);

    const second = await syncCli(args);
    expect(second.exitCode, second.stderr).toBe(0);
    const customers = pipelineReport(second, 'customers');
    expect(customers).toMatchObject({ mode: 'full_refresh', inserted: 1, updated: 2, deleted: 1 });
    expect(customers.notes.join(' ')).toMatch(
      /used the slower path: every matching customer was read and compared with the table \(1 inserted, 2 updated, 1 deleted\), because this API key may not read events/,
    );
    expect(pipelineReport(second, 'pro')).toMatchObject({ inserted: 1, updated: 0, deleted: 1 });
    truth = await listAllCustomers(stripe);
    expectPassThroughEqual(await warehouse.rows('customers'), truth, 'customers');
    expectProEqual(await warehouse.rows('pro', '_stripe_id'), truth);

    const runs = await warehouse.query(
      "SELECT count(*) AS n FROM _stripe_sync_runs WHERE slow_path LIKE '%Events: Read%'",
    );
    expect(runs[0]?.n).toBe(4);
    // The human summary says it too.
    const human = await syncCli(args, { json: false });
    expect(human.stdout).toMatch(/full refresh \(slow path\)/);
  });
});
