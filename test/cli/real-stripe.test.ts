/**
 * The connector against what real Stripe does and a kind emulator hides: Stripe's rate limits
 * per endpoint and per account, events listed up to 90 s late, `''` in previous_attributes,
 * payloads of an old API version, same-second events in either order. Each test builds what a
 * destination applying records by id (upsert; delete on `_ab_cdc_deleted_at`) holds, and
 * compares it with Stripe.
 */
import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../emulator';
import { type Message, readCli, records, stateFileFrom, traceErrors } from '../support/connector';
import { configFor, listAllCustomers, sdkFor } from '../support/stripe';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A destination that applies records by primary key, in order. */
class ByIdDestination {
  readonly rows = new Map<string, Record<string, any>>();

  apply(messages: Message[]): this {
    for (const data of records(messages)) {
      if (data._ab_cdc_deleted_at) this.rows.delete(data.id);
      else this.rows.set(data.id, data);
    }
    return this;
  }
}

const isGold = (customer: Stripe.Customer) => customer.metadata.plan === 'gold';
const gold = {
  logical: 'all',
  conditions: [
    { property: 'metadata.plan', operator: 'is', values: ['gold'], case_sensitive: true },
  ],
};

/**
 * Syncs 20 s apart (by Stripe's clock) while customers are created, updated, deleted, and enter
 * and leave the filter, with a third of the events listed up to 90 s late.
 */
async function syncEvery20Seconds(options: EmulatorOptions, config: Record<string, unknown>) {
  emulator = await startEmulator({
    customers: 60,
    seed: 12,
    eventDelayShare: 0.35,
    eventDelayMaxSeconds: 90,
    ...options,
  });
  const stripe = sdkFor(emulator);
  const fullConfig = configFor(emulator, {
    ...config,
    pipelines: [{ name: 'customers', filter: gold }],
  });
  const destination = new ByIdDestination();
  const first = await readCli(fullConfig);
  expect(first.exitCode).toBe(0);
  destination.apply(first.messages);
  let messages = first.messages;
  const customers = await listAllCustomers(stripe);
  for (let round = 0; round < 8; round++) {
    for (let k = 0; k < 6; k++) {
      const index = (round * 6 + k) * 7;
      const target = customers[index % customers.length]!;
      if (index % 13 === 0) {
        await stripe.customers.create({
          email: `new${index}@example.com`,
          metadata: { plan: 'gold' },
        });
      } else if (index % 17 === 0) {
        await stripe.customers.del(target.id).catch(() => undefined);
      } else {
        await stripe.customers
          .update(target.id, {
            name: `round ${round}`,
            metadata: { plan: index % 2 === 0 ? 'gold' : 'free' },
          })
          .catch(() => undefined);
      }
    }
    emulator.advanceClock(20);
    const next = await readCli(fullConfig, { state: stateFileFrom(messages) });
    expect(traceErrors(next.messages)).toEqual([]);
    destination.apply(next.messages);
    messages = [...messages, ...next.messages];
  }
  // Later syncs, once every late event is listed.
  for (let round = 0; round < 3; round++) {
    emulator.advanceClock(60);
    const next = await readCli(fullConfig, { state: stateFileFrom(messages) });
    destination.apply(next.messages);
    messages = [...messages, ...next.messages];
  }
  const truth = (await listAllCustomers(stripe)).filter(isGold);
  return { destination, truth };
}

function expectEqual(destination: ByIdDestination, truth: Stripe.Customer[]) {
  expect([...destination.rows.keys()].sort()).toEqual(truth.map((c) => c.id).sort());
  for (const customer of truth) {
    expect(destination.rows.get(customer.id)?.name, customer.id).toBe(customer.name);
    expect(destination.rows.get(customer.id)?.metadata, customer.id).toEqual(customer.metadata);
  }
}

describe('events listed late', () => {
  it('a destination applying records by id equals Stripe after syncs 20 s apart', async () => {
    const { destination, truth } = await syncEvery20Seconds(
      { sameSecondEvents: 'oldest_first', previousAttributesEmptyAs: 'empty_string' },
      {},
    );
    expectEqual(destination, truth);
  });

  it('also with event payloads of an old API version', async () => {
    const { destination, truth } = await syncEvery20Seconds({ eventApiVersion: '2019-09-09' }, {});
    expectEqual(destination, truth);
  });

  it('without the overlap, late events are lost (what the overlap protects against)', async () => {
    const { destination, truth } = await syncEvery20Seconds({}, { events_overlap_seconds: 0 });
    expect([...destination.rows.keys()].sort()).not.toEqual(truth.map((c) => c.id).sort());
  });
});

describe("Stripe's rate limits", () => {
  it('a full import with a live key and default settings stays under them (<1% answered 429)', async () => {
    emulator = await startEmulator({
      customers: 12_000,
      seed: 5,
      stripeLimits: true,
      latencyMs: 20,
      apiKeys: ['sk_live_emulator'],
    });
    // Customers are seeded over years: the older ones are read through Search as well.
    const run = await readCli(
      { api_key: 'sk_live_emulator', api_base_url: emulator.url },
      { syncMode: 'full_refresh' },
    );
    expect(run.exitCode).toBe(0);
    const ids = records(run.messages).map((record) => record.id);
    expect(new Set(ids).size).toBe(12_000);
    expect(ids.length).toBe(12_000);
    const stats = emulator.stats();
    const limited = stats.byStatus['429'] ?? 0;
    expect(limited / stats.requests).toBeLessThan(0.01);
    expect(stats.byEndpoint['GET /v1/customers/search']?.requests ?? 0).toBeGreaterThan(10);
    expect(stats.byEndpoint['GET /v1/customers']?.requests ?? 0).toBeGreaterThan(10);
  });
});
