import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import {
  catalogFor,
  runCli,
  stateFileFrom,
  traceErrors,
  writeFiles,
  type Message,
} from '../support/connector';
import { configFor, listAllCustomers, sdkFor } from '../support/stripe';
import { DedupWarehouse } from '../support/warehouse';
import { mulberry32 } from '../support/prng';

const TOTAL_KILLS = 50;

describe('killed at random points and resumed from the last STATE', () => {
  let emulator: RunningEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 3_000, seed: 77, latencyMs: 3 });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
  });
  afterAll(() => emulator.close());

  it("converges to Stripe's final state across 50 kills, with a concurrent writer", async () => {
    const random = mulberry32(2026);
    // The full import lists and searches at once: kills land in slices of either endpoint.
    const config = configFor(emulator, {
      concurrency: 4,
      full_import_endpoints: 'list_and_search',
    });
    const files = writeFiles({ config, catalog: catalogFor([{ name: 'customers' }]) });
    const warehouse = new DedupWarehouse();
    let history: Message[] = [];
    let kills = 0;
    let completedRuns = 0;

    const runOnce = async (killAfter: number | undefined) => {
      const stateFile = writeFiles({ state: stateFileFrom(history) }).state as string;
      const run = await runCli(
        [
          'read',
          '--config',
          files.config as string,
          '--catalog',
          files.catalog as string,
          '--state',
          stateFile,
        ],
        { onMessage: (_m, seen) => killAfter !== undefined && seen.length >= killAfter },
      );
      warehouse.apply(run.messages);
      history = [...history, ...run.messages.filter((m) => m.type === 'STATE')].slice(-5);
      if (run.signal === 'SIGKILL') kills++;
      else {
        expect(run.exitCode, JSON.stringify(traceErrors(run.messages))).toBe(0);
        completedRuns++;
      }
      return run;
    };

    // Phase 1: the first full import, killed again and again until a run gets to its end.
    const phase = () => history.at(-1)?.state.stream.stream_state.phase;
    while (phase() !== 'incremental') await runOnce(5 + Math.floor(random() * 100));
    const fullImportKills = kills;

    // Phase 2: incremental runs, killed at random, while a writer creates, updates and deletes.
    let writing = true;
    const deleted = new Set<string>();
    const writer = (async () => {
      let n = 0;
      while (writing) {
        const page = await stripe.customers.list({ limit: 20 });
        const target = page.data[Math.floor(random() * page.data.length)];
        const roll = random();
        if (roll < 0.3) await stripe.customers.create({ email: `writer-${n}@example.com` });
        else if (roll < 0.8 && target)
          await stripe.customers.update(target.id, { metadata: { touched: String(n) } });
        else if (target) {
          await stripe.customers.del(target.id);
          deleted.add(target.id);
        }
        n++;
        if (n % 10 === 0) emulator.advanceClock(5);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    while (kills < TOTAL_KILLS) await runOnce(3 + Math.floor(random() * 28));
    writing = false;
    await writer;

    // Let every event settle, then one clean run to converge.
    emulator.advanceClock(120);
    await runOnce(undefined);

    const truth = new Map(
      (await listAllCustomers(stripe)).map((customer) => [customer.id, customer]),
    );
    expect(kills).toBe(TOTAL_KILLS);
    // A killed run gets about one 512 KB output chunk (~250 customers here) out before it dies,
    // so the 3,000-customer import takes around ten runs: asserting more would test the timing.
    expect(fullImportKills).toBeGreaterThanOrEqual(5);
    expect(deleted.size).toBeGreaterThan(0);
    const rows = warehouse.rows;
    for (const id of deleted)
      expect(rows.has(id), `deleted ${id} still in the warehouse`).toBe(false);
    expect([...rows.keys()].sort()).toEqual([...truth.keys()].sort());
    for (const [id, customer] of truth) {
      const row = rows.get(id);
      expect(row?.email, id).toBe(customer.email);
      expect(row?.metadata, id).toEqual(customer.metadata);
    }
    expect(completedRuns).toBeGreaterThan(0);
  }, 300_000);
});
