import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { listAllCustomers, sdkFor } from '../support/stripe';
import { expectWarehouseEqualsStripe, threePipelineConfig } from './support/fixtures';
import {
  BACKENDS,
  syncCli,
  writeConfig,
  type Backend,
  type TestWarehouse,
} from './support/standalone';
import { mulberry32 } from '../support/prng';

const CUSTOMERS = 1_500;
const KILLS_WHILE_WRITING = 8;

/**
 * A table is replaced in one transaction at the end of a full import: whenever a run dies, each
 * table holds nothing yet or every customer, never part of an import.
 */
async function expectWholeOrNothing(warehouse: TestWarehouse, truth: Stripe.Customer[]) {
  for (const table of ['customers', 'snapshot']) {
    const rows = await warehouse.rows(table);
    const count = rows?.size ?? 0;
    expect([0, truth.length], `rows in ${table} after a killed run`).toContain(count);
  }
}

describe.each(BACKENDS)('sync into $name killed at random points', ({ start }) => {
  let backend: Backend;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    backend = await start();
    emulator = await startEmulator({ customers: CUSTOMERS, seed: 41, latencyMs: 5 });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
    await backend?.stop();
  });

  it('ends equal to Stripe when runs are killed at random points and run again, with a concurrent writer', async () => {
    const random = mulberry32(backend.name === 'DuckDB' ? 7 : 11);
    const warehouse = await backend.create();
    const config = writeConfig(threePipelineConfig(emulator, { concurrency: 2 }));
    const args = ['--config', config, '--destination', warehouse.url];
    let kills = 0;

    // Phase 1: the first imports, killed again and again until a run gets to its end. The kill
    // window widens with each attempt, so a run eventually finishes however loaded the machine.
    const initial = await listAllCustomers(stripe);
    for (let attempt = 0; ; attempt++) {
      expect(attempt, 'a run completes within 25 attempts').toBeLessThan(25);
      const window = 3_000 + attempt * 1_000;
      const run = await syncCli(args, { killAfterMs: 500 + Math.floor(random() * window) });
      if (run.signal === 'SIGKILL') {
        kills++;
        await expectWholeOrNothing(warehouse, initial);
        continue;
      }
      expect(run.exitCode, run.stderr).toBe(0);
      break;
    }
    const importKills = kills;
    await expectWarehouseEqualsStripe(warehouse, stripe);

    // Phase 2: incremental runs and full refreshes killed at random while customers change.
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        const page = await stripe.customers.list({ limit: 30 });
        const target = page.data[Math.floor(random() * page.data.length)];
        const roll = random();
        if (roll < 0.25 || !target) {
          await stripe.customers.create({
            email: `writer-${n}@example.com`,
            metadata: { plan: random() < 0.5 ? 'pro' : 'free' },
          });
        } else if (roll < 0.55) {
          await stripe.customers.update(target.id, { metadata: { touched: String(n) } });
        } else if (roll < 0.85) {
          // Into or out of the pro pipeline's filter.
          await stripe.customers.update(target.id, {
            metadata: { plan: target.metadata.plan === 'pro' ? 'free' : 'pro' },
          });
        } else {
          await stripe.customers.del(target.id);
        }
        n++;
        if (n % 10 === 0) emulator.advanceClock(5);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    let killedWhileWriting = 0;
    for (let attempt = 0; killedWhileWriting < KILLS_WHILE_WRITING; attempt++) {
      expect(attempt, 'enough runs are killed').toBeLessThan(40);
      const run = await syncCli(args, { killAfterMs: 300 + Math.floor(random() * 3_000) });
      if (run.signal === 'SIGKILL') killedWhileWriting++;
      else expect(run.exitCode, run.stderr).toBe(0);
    }
    writing = false;
    await writer;

    // Every event settles, then one clean run converges.
    emulator.advanceClock(120);
    const last = await syncCli(args);
    expect(last.exitCode, last.stderr).toBe(0);
    await expectWarehouseEqualsStripe(warehouse, stripe);
    expect(importKills, 'the first import was killed at least once').toBeGreaterThan(0);
    const staged = await warehouse.query(
      'SELECT pipeline FROM _stripe_sync_state WHERE staged_state IS NOT NULL',
    );
    expect(staged).toEqual([]);
  }, 600_000);
});
