/**
 * Issue 22's engine and standalone halves meeting through the real engine: skipped customers
 * keep their rows through a definition change, their WARN lines are capped, changes too recent
 * to read are announced, and a customer failing with `on_error: fail` is a data failure (exit 1).
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { configFor, listAllCustomers, sdkFor, settle } from '../support/stripe';
import { pipelineReport } from './support/fixtures';
import { BACKENDS, syncCli, writeConfig, type Backend } from './support/standalone';

const EMAIL_ONLY = 'function transform(c) { return { email: c.email }; }';
/** About 1 customer in 3 fails (ids end in a digit or a-k): more than the 10 listed one by one. */
const PICKY =
  "function transform(c) { if (/[0-9a-k]$/.test(c.id)) throw new Error('no luck'); return { email: c.email, picky: true }; }";

describe.each(BACKENDS)('sync into $name through the real engine', ({ start }) => {
  let backend: Backend;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    backend = await start();
    emulator = await startEmulator({ customers: 120, seed: 23 });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
    await backend?.stop();
  });

  it('keeps the rows of customers skipped after errors through a definition change, listing the first 10', async () => {
    const warehouse = await backend.create();
    const pipeline = (source: string) => ({
      name: 'picky',
      on_error: 'skip',
      transformation: { type: 'javascript', source },
    });
    const write = (source: string) =>
      writeConfig(configFor(emulator, { pipelines: [pipeline(source)] }));
    const truth = await listAllCustomers(stripe);
    const failing = truth.filter((customer) => /[0-9a-k]$/.test(customer.id));
    expect(failing.length, 'more failures than are listed').toBeGreaterThan(10);

    const first = await syncCli(['--config', write(EMAIL_ONLY), '--destination', warehouse.url]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect((await warehouse.rows('picky', '_stripe_id'))?.size).toBe(truth.length);

    // A new transformation: a full import that fails on some customers, which keep their rows.
    const second = await syncCli(['--config', write(PICKY), '--destination', warehouse.url]);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(pipelineReport(second, 'picky')).toMatchObject({
      status: 'succeeded_with_skips',
      mode: 'full_import',
      skippedAfterErrors: failing.length,
      deleted: 0,
    });
    const rows = await warehouse.rows('picky', '_stripe_id');
    expect(rows?.size).toBe(truth.length);
    // Each skipped customer keeps the row of the first run; the others carry the new output.
    const picky = (id: string) => {
      const extra = rows?.get(id)?._extra;
      return (typeof extra === 'string' ? JSON.parse(extra) : extra)?.picky === true;
    };
    for (const customer of truth) {
      expect(picky(customer.id), customer.id).toBe(!failing.includes(customer));
    }
    const listed = second.stderr.match(/skipped customer cus_\w+: transformation failed/g) ?? [];
    expect(listed).toHaveLength(10);
    expect(second.stderr).toContain(
      `and ${failing.length - 10} more customer(s) skipped after errors, not listed one by one`,
    );
    // The standalone says what its own staged import does, not what Airbyte's buttons do.
    expect(second.stderr).not.toMatch(/Refresh and remove records|Airbyte/);
  });

  it('says when changes are too recent to read, and reads them on the next run', async () => {
    const warehouse = await backend.create();
    const config = writeConfig(configFor(emulator, { pipelines: [{ name: 'everyone' }] }));
    const args = ['--config', config, '--destination', warehouse.url];
    expect((await syncCli(args)).exitCode).toBe(0);
    settle(emulator);
    expect((await syncCli(args)).exitCode).toBe(0);

    const [customer] = await listAllCustomers(stripe);
    await stripe.customers.update(customer!.id, { name: 'Just Renamed' });
    const early = await syncCli(args);
    expect(early.exitCode, early.stderr).toBe(0);
    const report = pipelineReport(early, 'everyone');
    expect(report).toMatchObject({ mode: 'incremental', updated: 0 });
    expect(report.notes).toContainEqual(
      expect.stringMatching(/^1 change\(s\) made in the last 10 s come with the next run/),
    );

    settle(emulator);
    const later = await syncCli(args);
    expect(pipelineReport(later, 'everyone')).toMatchObject({ updated: 1 });
    expect((await warehouse.rows('everyone'))?.get(customer!.id)?.name).toBe('Just Renamed');
  });

  it("exits 1, a data failure, when a customer's transformation fails with on_error: fail", async () => {
    const warehouse = await backend.create();
    const config = writeConfig(
      configFor(emulator, {
        pipelines: [{ name: 'strict', transformation: { type: 'javascript', source: PICKY } }],
      }),
    );
    const run = await syncCli(['--config', config, '--destination', warehouse.url]);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(pipelineReport(run, 'strict')).toMatchObject({ status: 'failed', errorKind: 'data' });
    expect(pipelineReport(run, 'strict').error).toMatch(
      /customer cus_\w+ transformation failed: Error: no luck/,
    );
  });
});
