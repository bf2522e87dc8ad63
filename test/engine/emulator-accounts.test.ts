/**
 * The engine in process, through the official SDK over HTTP to the emulator, on a sparse account
 * (customers one by one) and on a dense one (bulk imports: up to thousands of customers in one
 * second; bulk updates: hundreds of events in one second):
 * - full imports through the list alone and through list and search read every customer once;
 * - incremental runs killed at checkpoints and resumed, while customers are created, changed and
 *   deleted, converge to Stripe;
 * - a run re-reading 29 days of events (the dense account's bursts included) changes nothing.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, syncPipelines, type PipelineState } from '../../connector';
import { startEmulator, type RunningEmulator } from '../emulator';
import { mulberry32 } from '../support/prng';
import { configFor, listAllCustomers, sdkFor } from '../support/stripe';
import { ByIdDestination, type EngineRun } from './harness';

const CUSTOMERS = 2_000;

const ACCOUNTS = [
  { name: 'a sparse account', dense: undefined },
  { name: 'a migrated account', dense: { bulkImportShare: 0.9, perSecond: 60 } },
  { name: 'an account with bulk imports', dense: { bulkImportShare: 0.6, perSecond: 1_500 } },
];

describe.each(ACCOUNTS)('the engine over HTTP on $name', ({ dense }) => {
  let emulator: RunningEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: CUSTOMERS, seed: 23, dense });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
  });
  afterAll(() => emulator?.close());

  const config = (extra: Record<string, unknown> = {}) =>
    parseConfig(configFor(emulator, { concurrency: 8, ...extra }));

  /** One run of the default pipeline, stopped after `stopAfter` checkpoints if set. */
  async function run(
    settings: ReturnType<typeof config>,
    options: {
      state?: PipelineState;
      stopAfter?: number;
      syncMode?: 'incremental' | 'full_refresh';
    } = {},
  ): Promise<EngineRun> {
    const result: EngineRun = { items: [], states: [], logs: [], skipped: [], events: [] };
    const sync = syncPipelines(settings, {
      pipelines: [
        { name: 'customers', syncMode: options.syncMode ?? 'incremental', state: options.state },
      ],
    });
    for await (const event of sync) {
      if (event.kind === 'records') result.items.push(...event.items);
      else if (event.kind === 'checkpoint') {
        result.states.push(event.state);
        if (result.states.length === options.stopAfter) break;
      } else if (event.kind === 'log') result.logs.push(`${event.level} ${event.message}`);
      else if (event.kind === 'pipeline_failed') result.failure = event.error;
    }
    return result;
  }

  async function expectEqualsStripe(
    destination: ByIdDestination,
    options: { ignoreTestClocks?: boolean } = {},
  ): Promise<void> {
    const truth = await listAllCustomers(stripe);
    const ids = destination
      .ids()
      .filter((id) => !options.ignoreTestClocks || !destination.rows.get(id)?.test_clock);
    expect(ids).toEqual(truth.map((customer) => customer.id).sort());
    for (const customer of truth) {
      const row = destination.rows.get(customer.id);
      expect(row?.metadata, customer.id).toEqual(customer.metadata);
      expect(row?.email ?? null, customer.id).toBe(customer.email ?? null);
    }
  }

  it.each(['list', 'list_and_search'])(
    'imports every customer exactly once through %s',
    async (endpoints) => {
      const imported = await run(config({ full_import_endpoints: endpoints }), {
        syncMode: 'full_refresh',
      });
      expect(imported.failure).toBeUndefined();
      const ids = imported.items.map((item) => String(item.record.id));
      expect(ids.length - new Set(ids).size, 'customers imported twice').toBe(0);
      expect([...ids].sort()).toEqual((await listAllCustomers(stripe)).map((c) => c.id).sort());
    },
  );

  it('converges to Stripe across killed and resumed incremental runs while customers change', async () => {
    const random = mulberry32(dense ? 5 : 6);
    const settings = config({ full_import_endpoints: 'list_and_search' });
    const destination = new ByIdDestination();
    // The first import, killed twice on the way.
    let state: PipelineState | undefined;
    for (const stopAfter of [3, 6, undefined]) {
      const part = await run(settings, { state, stopAfter });
      expect(part.failure).toBeUndefined();
      destination.apply(part.items);
      state = part.states.at(-1);
    }
    expect(state?.phase).toBe('incremental');
    for (let round = 0; round < 4; round++) {
      const page = await stripe.customers.list({ limit: 100 });
      for (let n = 0; n < 40; n++) {
        const target = page.data[Math.floor(random() * page.data.length)]!;
        const roll = random();
        if (roll < 0.25) await stripe.customers.create({ email: `new-${round}-${n}@example.com` });
        else if (roll < 0.9) {
          await stripe.customers
            .update(target.id, { metadata: { touched: `${round}-${n}` } })
            .catch(() => undefined); // deleted earlier this round
        } else await stripe.customers.del(target.id).catch(() => undefined);
      }
      emulator.advanceClock(30);
      // Killed after its first checkpoint, then resumed.
      for (const stopAfter of [1, undefined]) {
        const part = await run(settings, { state, stopAfter });
        expect(part.failure).toBeUndefined();
        destination.apply(part.items);
        state = part.states.at(-1) ?? state;
      }
    }
    emulator.advanceClock(60);
    destination.apply((await run(settings, { state })).items);
    await expectEqualsStripe(destination);

    // 29 days of events read again, the bulk updates' bursts included: nothing changes. (But
    // for customers on a test clock, which the events bring in although no list shows them: a
    // known bug, see test-clocks.test.ts.)
    const old = { ...(state as PipelineState), events_cursor: emulator.now() - 29 * 86_400 };
    const reread = await run(settings, { state: { ...old, seen_events: [] } as PipelineState });
    expect(reread.failure).toBeUndefined();
    destination.apply(reread.items);
    await expectEqualsStripe(destination, { ignoreTestClocks: true });
  });
});
