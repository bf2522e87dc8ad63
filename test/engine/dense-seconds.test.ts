/**
 * Full imports of dense accounts, in process against a scripted Stripe: thousands of customers
 * created in a few seconds (bulk imports, some of their seconds empty) beside customers signing
 * up one by one. Wherever a list slice is split or a search chunk is cut, the second on either
 * side of the cut holds customers, so a cut that loses or repeats one second loses or repeats
 * hundreds of customers: every customer must come exactly once, through the list alone, through
 * list and search at once, and across kills.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../connector';
import { bulkImportTimes, denseAccount } from '../emulator/dense';
import { Rng } from '../emulator/prng';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine, type EngineRun } from './harness';

const DAY = 86_400;

/**
 * An account migrated from another processor: 4,000 customers, 300 signing up one by one over two
 * years, the rest written by bulk imports of up to 4,000 customers at up to `perSecond` a second
 * (some seconds of an import empty), all older than the search horizon (6 hours).
 */
function migratedAccount(seed: number, perSecond: number): ScriptedStripe {
  const stripe = new ScriptedStripe();
  const rng = new Rng(seed);
  const start = stripe.now - 2 * 365 * DAY;
  const oneByOne = Array.from({ length: 300 }, () => rng.int(start, stripe.now - 1));
  const imported = bulkImportTimes(
    rng,
    3_700,
    denseAccount({ bulkImportMax: 4_000, perSecond }),
    () => rng.int(start, stripe.now - 7 * DAY),
    stripe.now - 7 * DAY,
  );
  [...oneByOne, ...imported].forEach((created, i) =>
    stripe.create({ id: `cus_${String(i).padStart(6, '0')}` }, { silent: true, created }),
  );
  return stripe;
}

/** Imports of 60 a second over a minute or so, of 400, and of 1,500 in one second. */
const ACCOUNTS = [
  { seed: 1, perSecond: 60 },
  { seed: 2, perSecond: 400 },
  { seed: 3, perSecond: 1_500 },
];

/** How many customers the busiest second holds. */
function shape(stripe: ScriptedStripe): { busiest: number } {
  const perSecond = new Map<number, number>();
  for (const customer of stripe.liveCustomers()) {
    const second = customer.created as number;
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  return { busiest: Math.max(...perSecond.values()) };
}

function expectEveryCustomerOnce(stripe: ScriptedStripe, run: EngineRun): void {
  expect(run.failure).toBeUndefined();
  const ids = run.items.map((item) => String(item.record.id));
  const missing = stripe.liveCustomers().filter((customer) => !ids.includes(String(customer.id)));
  expect(
    missing.map((customer) => customer.created),
    'created seconds of customers not imported',
  ).toEqual([]);
  expect(ids.length - new Set(ids).size, 'customers imported twice').toBe(0);
}

const listOnly = (concurrency: number) =>
  configWith({ full_import_endpoints: 'list', concurrency });
const listAndSearch = (concurrency: number) =>
  configWith({ full_import_endpoints: 'list_and_search', concurrency });

describe('full imports of dense accounts', () => {
  it('are dense: up to thousands of customers in one second', () => {
    expect(shape(migratedAccount(3, 1_500)).busiest).toBeGreaterThanOrEqual(1_000);
    expect(shape(migratedAccount(1, 60)).busiest).toBeLessThanOrEqual(60);
  });

  for (const { seed, perSecond } of ACCOUNTS) {
    it(`list every customer once when slices split inside bulk imports (${perSecond} a second)`, async () => {
      const stripe = migratedAccount(seed, perSecond);
      const run = await runEngine(stripe, listOnly(8), { syncMode: 'full_refresh' });
      expectEveryCustomerOnce(stripe, run);
      // The import was split: many slices were listed side by side.
      const slices = new Set(
        stripe.calls
          .filter((call) => call.call === 'listCustomers')
          .map((call) => (call.params as { created: { gte: number } }).created.gte),
      );
      expect(slices.size).toBeGreaterThan(10);
    });

    it(`list and search every customer once when chunks are cut inside bulk imports (${perSecond} a second)`, async () => {
      const stripe = migratedAccount(seed, perSecond);
      const run = await runEngine(stripe, listAndSearch(4), { syncMode: 'full_refresh' });
      expectEveryCustomerOnce(stripe, run);
      const searches = stripe.calls.filter((call) => call.call === 'searchCustomers');
      expect(new Set(searches.map((call) => (call.params as { query: string }).query)).size).toBe(
        searches.filter((call) => !(call.params as { page?: string }).page).length,
      );
      expect(searches.length).toBeGreaterThan(5);
    });
  }

  it('resume a killed import of a dense account without losing or repeating a finished slice', async () => {
    const stripe = migratedAccount(4, 200);
    for (const config of [listOnly(8), listAndSearch(4)]) {
      for (const stopAfter of [2, 7, 13, 21]) {
        const killed = await runEngine(stripe, config, {
          syncMode: 'full_refresh',
          stopAfterCheckpoints: stopAfter,
        });
        const state = killed.states.at(-1) as Extract<PipelineState, { phase: 'full_import' }>;
        expect(state.phase).toBe('full_import');
        const resumed = await runEngine(stripe, config, { syncMode: 'full_refresh', state });
        const before = new Set(killed.items.map((item) => String(item.record.id)));
        const union = new Set([...before, ...resumed.items.map((item) => String(item.record.id))]);
        expect(union.size, `after ${stopAfter} checkpoints`).toBe(stripe.liveCustomers().length);
        // Repeats only from slices still open at the checkpoint, read again whole.
        const open = state.remaining.filter((slice) => slice.length === 2);
        for (const { record } of resumed.items) {
          if (!before.has(String(record.id))) continue;
          const created = record.created as number;
          expect(open.some(([gte, lte]) => created >= gte && created <= lte)).toBe(true);
        }
      }
    }
  });
});
