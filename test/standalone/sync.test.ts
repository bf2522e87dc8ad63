import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { UNICODE } from '../emulator';
import { configFor, listAllCustomers, sdkFor, settle } from '../support/stripe';
import {
  expectPassThroughEqual,
  expectWarehouseEqualsStripe,
  isPro,
  MODEL,
  pipelineReport,
  PRO_PIPELINE,
  threePipelineConfig,
} from './support/fixtures';
import { BACKENDS, syncCli, writeConfig, type Backend } from './support/standalone';

describe.each(BACKENDS)('sync into $name', ({ start }) => {
  let backend: Backend;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    backend = await start();
    emulator = await startEmulator({ customers: 300, seed: 17 });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
    await backend?.stop();
  });

  it('ends equal to Stripe after a full sync, then after creates, updates, deletes and filter exits', async () => {
    const warehouse = await backend.create();
    const config = writeConfig(threePipelineConfig(emulator));
    const args = ['--config', config, '--destination', warehouse.url];

    const first = await syncCli(args);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(pipelineReport(first, 'customers')).toMatchObject({
      status: 'succeeded',
      mode: 'full_import',
      inserted: 300,
      deleted: 0,
    });
    expect(pipelineReport(first, 'snapshot')).toMatchObject({
      mode: 'full_refresh',
      inserted: 300,
    });
    const before = await expectWarehouseEqualsStripe(warehouse, stripe);
    const pro = before.filter(isPro);
    const others = before.filter((customer) => !isPro(customer));
    expect(pipelineReport(first, 'pro')).toMatchObject({
      inserted: pro.length,
      filteredOut: 300 - pro.length,
    });

    // Two created (one pro), three updated (one enters pro, one leaves it), two deleted (one pro).
    const [renamed, promoted, removed] = others;
    const [demoted, deletedPro] = pro;
    await stripe.customers.create({ email: 'New.Pro@Example.com', metadata: { plan: 'pro' } });
    await stripe.customers.create({ email: 'free@example.com', metadata: { plan: 'free' } });
    await stripe.customers.update(renamed!.id, { email: 'renamed@example.com', name: 'Renamed' });
    await stripe.customers.update(promoted!.id, { metadata: { plan: 'pro' } });
    await stripe.customers.update(demoted!.id, { metadata: { plan: 'free' } });
    await stripe.customers.del(deletedPro!.id);
    await stripe.customers.del(removed!.id);
    settle(emulator);

    const second = await syncCli(args);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(pipelineReport(second, 'customers')).toMatchObject({
      mode: 'incremental',
      inserted: 2,
      updated: 3,
      deleted: 2,
    });
    // New and promoted customers enter pro; the demoted one leaves it (a filter exit), and the
    // deleted pro customer goes.
    expect(pipelineReport(second, 'pro')).toMatchObject({
      mode: 'incremental',
      inserted: 2,
      updated: 0,
      deleted: 2,
    });
    // The full refresh compares what it read with the table: only differences are written.
    expect(pipelineReport(second, 'snapshot')).toMatchObject({
      mode: 'full_refresh',
      inserted: 2,
      updated: 3,
      deleted: 2,
    });
    await expectWarehouseEqualsStripe(warehouse, stripe);

    const states = await warehouse.query(
      'SELECT pipeline, staged_state FROM _stripe_sync_state ORDER BY pipeline',
    );
    expect(states.map((row) => [row.pipeline, row.staged_state])).toEqual([
      ['customers', null],
      ['pro', null],
      ['snapshot', null],
    ]);
    const runs = await warehouse.query(
      "SELECT pipeline, status, mode FROM _stripe_sync_runs WHERE status <> 'succeeded'",
    );
    expect(runs).toEqual([]);

    // Nothing changed since: a third run writes nothing.
    const third = await syncCli(args);
    for (const name of ['customers', 'pro', 'snapshot']) {
      expect(pipelineReport(third, name)).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
    }
  });

  it('keeps deleted and filtered-out customers as rows marked deleted with --soft-delete', async () => {
    const warehouse = await backend.create();
    const config = writeConfig(
      configFor(emulator, {
        customer_model: MODEL,
        pipelines: [{ name: 'customers' }, PRO_PIPELINE],
      }),
    );
    const args = ['--config', config, '--destination', warehouse.url, '--soft-delete'];
    expect((await syncCli(args)).exitCode).toBe(0);
    const truth = await listAllCustomers(stripe);
    const [gone] = truth.filter((customer) => !isPro(customer));
    const [leaving] = truth.filter(isPro);
    await stripe.customers.del(gone!.id);
    await stripe.customers.update(leaving!.id, { metadata: { plan: 'team' } });
    settle(emulator);

    const run = await syncCli(args);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(pipelineReport(run, 'customers')).toMatchObject({ deleted: 1 });
    const customers = await warehouse.rows('customers');
    const tombstone = customers!.get(gone!.id);
    expect(tombstone).toMatchObject({ is_deleted: true, email: gone!.email });
    expect(new Date(tombstone!._ab_cdc_deleted_at).getTime()).toBeGreaterThan(0);
    expectPassThroughEqual(customers, await listAllCustomers(stripe), 'customers');
    const pro = await warehouse.rows('pro', '_stripe_id');
    expect(pro!.get(leaving!.id)).toMatchObject({ _stripe_is_deleted: true, plan: 'pro' });
    expect(pro!.get(leaving!.id)!._ab_cdc_deleted_at).not.toBeNull();

    // Back on the pro plan: the marked row comes back to life.
    await stripe.customers.update(leaving!.id, { metadata: { plan: 'pro' } });
    settle(emulator);
    const back = await syncCli(args);
    expect(pipelineReport(back, 'pro')).toMatchObject({ updated: 1, inserted: 0 });
    const revived = (await warehouse.rows('pro', '_stripe_id'))!.get(leaving!.id);
    expect(revived).toMatchObject({
      _stripe_is_deleted: false,
      _ab_cdc_deleted_at: null,
      plan: 'pro',
    });
  });

  it('refuses a model change the table cannot take, writes nothing, and --rebuild rebuilds it', async () => {
    const warehouse = await backend.create();
    const args = (model: unknown[]) => [
      '--config',
      writeConfig(configFor(emulator, { customer_model: model, pipelines: [PRO_PIPELINE] })),
      '--destination',
      warehouse.url,
    ];
    expect((await syncCli(args(MODEL))).exitCode).toBe(0);
    const before = await warehouse.rows('pro', '_stripe_id');

    // balance: decimal → string cannot be converted in place without the user's say.
    const changed = MODEL.map((property) =>
      property.name === 'balance' ? { name: 'balance', type: 'string' } : property,
    );
    const refused = await syncCli(args(changed));
    // The pipeline's definition does not fit its table: the user must choose, a retry won't do.
    expect(refused.exitCode).toBe(2);
    const error = pipelineReport(refused, 'pro').error as string;
    expect(error).toMatch(
      /column "balance" is .*(DECIMAL\(12,2\)|numeric\(12,2\)).* now writes (VARCHAR|text)/,
    );
    expect(error).toMatch(/--rebuild pro/);
    expect(await warehouse.rows('pro', '_stripe_id')).toEqual(before);

    const rebuilt = await syncCli([...args(changed), '--rebuild', 'pro']);
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    expect(pipelineReport(rebuilt, 'pro')).toMatchObject({
      mode: 'full_import',
      status: 'succeeded',
    });
    const rows = await warehouse.rows('pro', '_stripe_id');
    expect(rows!.size).toBe(before!.size);
    for (const row of rows!.values()) expect(typeof row.balance).toBe('string');

    // A new property is a new column: the table takes it.
    const grown = [...changed, { name: 'country', type: 'string' }];
    const mapping = {
      ...PRO_PIPELINE,
      transformation: {
        type: 'mapping',
        mappings: [
          ...PRO_PIPELINE.transformation.mappings,
          { to: 'country', from: 'metadata.country' },
        ],
      },
    };
    const added = await syncCli([
      '--config',
      writeConfig(configFor(emulator, { customer_model: grown, pipelines: [mapping] })),
      '--destination',
      warehouse.url,
    ]);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(pipelineReport(added, 'pro').notes.join(' ')).toMatch(/added column\(s\) country/);
    const withCountry = await warehouse.rows('pro', '_stripe_id');
    const truth = (await listAllCustomers(stripe)).filter(isPro);
    expect(withCountry!.size).toBe(truth.length);
    for (const customer of truth) {
      expect(withCountry!.get(customer.id)?.country ?? null).toBe(
        customer.metadata.country ?? null,
      );
    }
  });

  it('stops at the next checkpoint on SIGTERM, says so, and the next run continues', async () => {
    const warehouse = await backend.create();
    const slow = await startEmulator({ customers: 600, seed: 8, latencyMs: 400 });
    try {
      slow.advanceClock(3_600);
      const config = writeConfig(
        configFor(slow, { concurrency: 1, pipelines: [{ name: 'customers' }] }),
      );
      const args = ['--config', config, '--destination', warehouse.url];
      // Stopped once the import is well under way (a page takes 400 ms, checkpoints come each page).
      const stopped = await syncCli(args, { stop: { after: /customers: started/, ms: 1_500 } });
      expect(stopped.exitCode, stopped.stderr).toBe(143);
      expect(stopped.stderr).toMatch(/stopping at the next checkpoint/);
      expect(stopped.report.stopped).toBe(true);
      expect(pipelineReport(stopped, 'customers').status).toBe('stopped');
      const [state] = await warehouse.query('SELECT staged_state FROM _stripe_sync_state');
      expect(state?.staged_state, 'the import so far is saved').toBeTruthy();

      slow.setFaults({ latencyMs: 0 });
      const resumed = await syncCli(args);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(pipelineReport(resumed, 'customers').notes.join(' ')).toMatch(
        /resumed the full import an earlier run left unfinished/,
      );
      expectPassThroughEqual(
        await warehouse.rows('customers'),
        await listAllCustomers(sdkFor(slow)),
        'customers',
      );
    } finally {
      await slow.close();
    }
  });

  it('shows a run that skipped customers after errors as succeeded with skips, in the summary, --json and the runs table', async () => {
    const warehouse = await backend.create();
    const throwing = {
      name: 'picky',
      on_error: 'skip',
      transformation: {
        type: 'javascript',
        // Every customer whose id ends in a digit below 3 fails: about 3 in 10 (more than 10 in all).
        source:
          "function transform(c) { if (/[0-2]$/.test(c.id)) throw new Error('no luck'); if (/[3]$/.test(c.id)) return null; return { email: c.email }; }",
      },
    };
    const config = writeConfig(configFor(emulator, { pipelines: [throwing] }));
    const args = ['--config', config, '--destination', warehouse.url];
    const truth = await listAllCustomers(stripe);
    const failing = truth.filter((customer) => /[0-2]$/.test(customer.id)).length;
    const nulls = truth.filter((customer) => /[3]$/.test(customer.id)).length;
    expect(failing, 'enough failures to cap the warnings').toBeGreaterThan(10);

    const run = await syncCli(args);
    expect(run.exitCode, run.stderr).toBe(0);
    const picky = pipelineReport(run, 'picky');
    expect(picky).toMatchObject({
      status: 'succeeded_with_skips',
      skippedAfterErrors: failing,
      skipped: nulls,
      inserted: truth.length - failing - nulls,
    });
    expect(picky.notes).toEqual(
      expect.arrayContaining([
        `${failing} skipped after errors (on_error: skip): rows imported for them earlier are kept; the WARN lines say why.`,
        `${nulls} skipped by the transformation (it returned null): rows imported for them earlier are kept.`,
      ]),
    );
    const [row] = await warehouse.query(
      'SELECT status, errors, inserted, updated, skipped FROM _stripe_sync_runs',
    );
    // The page's history shows these for runs of `sync` as for serve's own.
    expect(row).toMatchObject({
      status: 'succeeded_with_skips',
      errors: failing,
      inserted: truth.length - failing - nulls,
      updated: 0,
      skipped: nulls,
    });

    const table = await syncCli([...args, '--rebuild', 'picky'], { json: false });
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^Synced, with skips \(/);
    expect(table.stdout).toMatch(/^picky +succeeded with skips +full import /m);
  });

  it('stores odd values and every kind of unicode Stripe may send, keeping misfits in _extra', async () => {
    const warehouse = await backend.create();
    const odd = await startEmulator({ customers: 20, seed: 5 });
    try {
      odd.advanceClock(3_600);
      odd.setFaults({ failNext: [{ status: 'garble', path: 'GET /v1/customers' }] });
      const config = writeConfig(configFor(odd, { pipelines: [{ name: 'customers' }] }));
      const run = await syncCli(['--config', config, '--destination', warehouse.url]);
      expect(run.exitCode, run.stderr).toBe(0);
      const rows = await warehouse.rows('customers');
      const withUnicode = [...rows!.values()].find((row) => row.description?.startsWith('Zoë'));
      expect(withUnicode, 'the customer with every kind of unicode').toBeDefined();
      const expected =
        warehouse.kind === 'postgres' ? UNICODE.replace('\u0000', '\uFFFD') : UNICODE;
      expect(withUnicode!.description).toBe(expected.replace('\ud800', '\uFFFD'));
      expect(withUnicode!.name.length).toBe(UNICODE.length * 20_000);
      const misfit = [...rows!.values()].find((row) => row._extra?.email === 42);
      expect(misfit, 'the customer with fields of unexpected types').toBeDefined();
      // JSON columns take any JSON; typed columns keep their type, and what does not fit is kept
      // beside the row.
      expect(misfit).toMatchObject({
        email: null,
        balance: null,
        delinquent: null,
        address: 'Paris',
        metadata: ['plan', 'pro'],
      });
      expect(misfit!._extra).toEqual({
        email: 42,
        balance: '12',
        delinquent: 'yes',
        surprise: { nested: [1, { deeper: null }] },
      });
      expect(pipelineReport(run, 'customers').notes.join(' ')).toMatch(
        /kept, as sent, in the _extra JSON column/,
      );
    } finally {
      await odd.close();
    }
  });
});
