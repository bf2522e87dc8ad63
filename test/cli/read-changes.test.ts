/**
 * Incremental runs must never lose a change, whatever Stripe leaves undocumented and wherever a
 * run is interrupted. Each test builds the warehouse a deduplicating destination would hold and
 * compares it with what Stripe says now.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import {
  lastState,
  logs,
  type Message,
  readCli,
  records,
  stateFileFrom,
  states,
} from '../support/connector';
import { configFor, listAllCustomers, sdkFor, settle } from '../support/stripe';
import { DedupWarehouse } from '../support/warehouse';

const read = (config: object, state?: unknown) => readCli(config, { state });

/** What Stripe holds now for the customers a filter keeps. */
async function truthOf(stripe: Stripe, keep: (customer: Stripe.Customer) => boolean) {
  const kept = (await listAllCustomers(stripe)).filter(keep);
  return new Map(kept.map((customer) => [customer.id, customer]));
}

function expectWarehouseEquals(
  warehouse: DedupWarehouse,
  truth: Map<string, Stripe.Customer>,
  label: string,
) {
  const rows = warehouse.rows;
  expect([...rows.keys()].sort(), label).toEqual([...truth.keys()].sort());
  for (const [id, customer] of truth) {
    expect(rows.get(id)?.name, `${label}: ${id}`).toBe(customer.name);
    expect(rows.get(id)?.metadata, `${label}: ${id}`).toEqual(customer.metadata);
  }
}

/**
 * Runs `writes` until the events they cause all fall in one second of Stripe's clock (the clock
 * runs with real time, so a write can straddle a second boundary; then it is tried again).
 */
async function inOneSecond(stripe: Stripe, writes: () => Promise<string[]>): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const ids = new Set(await writes());
    const events = await stripe.events.list({
      limit: 20,
      types: ['customer.updated', 'customer.deleted'],
    });
    const seconds = new Set(
      events.data
        .filter((event) => ids.has((event.data.object as { id: string }).id))
        .map((event) => event.created),
    );
    if (seconds.size === 1) return;
  }
  throw new Error('could not put the writes in one second');
}

describe('resuming an incremental run from any of its checkpoints', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 600, seed: 41 });
    emulator.advanceClock(3_600);
  });
  afterAll(() => emulator.close());

  it('ends in the same warehouse, a customer that left the filter early included', async () => {
    const stripe = sdkFor(emulator);
    const filter = {
      logical: 'all',
      conditions: [{ property: 'metadata.tier', operator: 'is', values: ['gold'] }],
    };
    const config = configFor(emulator, { pipelines: [{ name: 'customers', filter }] });
    const isGold = (customer: Stripe.Customer) => customer.metadata?.tier === 'gold';
    const all = [...(await truthOf(stripe, () => true)).values()];
    const [leaver, ...others] = all;
    for (const customer of all.slice(0, 6))
      await stripe.customers.update(customer.id, { metadata: { tier: 'gold' } });
    settle(emulator);
    const base = await read(config);
    expect(records(base.messages).map((record) => record.id)).toContain(leaver!.id);

    // The leaver's first change comes before a long run of other changes, its last after them.
    await stripe.customers.update(leaver!.id, { metadata: { tier: 'silver' } });
    emulator.advanceClock(2);
    for (const [index, customer] of others.slice(0, 250).entries()) {
      const tier = index % 5 === 0 ? 'gold' : 'bronze';
      await stripe.customers.update(customer.id, { name: `Changed ${index}`, metadata: { tier } });
      if (index % 40 === 0) emulator.advanceClock(1);
    }
    emulator.advanceClock(2);
    await stripe.customers.update(leaver!.id, { name: 'Renamed after leaving' });
    settle(emulator);

    const clean = await read(config, stateFileFrom(base.messages));
    expect(clean.exitCode).toBe(0);
    const truth = await truthOf(stripe, isGold);
    expectWarehouseEquals(
      new DedupWarehouse().apply(base.messages).apply(clean.messages),
      truth,
      'clean run',
    );

    const checkpoints = clean.messages
      .map((message, index) => ({ message, index }))
      .filter(({ message }) => message.type === 'STATE')
      .slice(0, -1);
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    // Every checkpoint moves forward: a run stopped at any of them has made progress.
    const cursors = states(clean.messages).map((state) => state.stream.stream_state.events_cursor);
    for (let index = 1; index < cursors.length; index++)
      expect(cursors[index]).toBeGreaterThan(cursors[index - 1]);
    for (const { message, index } of checkpoints) {
      // Killed right after this checkpoint, then resumed from it.
      const upToCheckpoint: Message[] = clean.messages.slice(0, index + 1);
      const resumed = await read(config, stateFileFrom([message]));
      expect(resumed.exitCode).toBe(0);
      const warehouse = new DedupWarehouse()
        .apply(base.messages)
        .apply(upToCheckpoint)
        .apply(resumed.messages);
      expectWarehouseEquals(warehouse, truth, `resumed from checkpoint at message ${index}`);
    }
  });
});

describe('events of the same second listed oldest first', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 200, seed: 42, sameSecondEvents: 'oldest_first' });
    emulator.advanceClock(3_600);
  });
  afterAll(() => emulator.close());

  it('still lands the deletion and the latest values', async () => {
    const stripe = sdkFor(emulator);
    const config = configFor(emulator);
    const base = await read(config);
    const candidates = (await stripe.customers.list({ limit: 20 })).data;
    let attempt = 0;
    await inOneSecond(stripe, async () => {
      const [deleted, twice] = candidates.slice(attempt * 2, attempt * 2 + 2);
      attempt++;
      await stripe.customers.update(deleted!.id, { name: 'About to go' });
      await stripe.customers.del(deleted!.id);
      await stripe.customers.update(twice!.id, { name: 'First' });
      await stripe.customers.update(twice!.id, { name: 'Second' });
      return [deleted!.id, twice!.id];
    });
    settle(emulator);
    const next = await read(config, stateFileFrom(base.messages));
    expect(next.exitCode).toBe(0);
    const warehouse = new DedupWarehouse().apply(base.messages).apply(next.messages);
    expectWarehouseEquals(
      warehouse,
      await truthOf(stripe, () => true),
      'after the same-second writes',
    );
  });
});

describe('customers Stripe no longer knows', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    // Events in an older API version, so changed customers are re-fetched.
    emulator = await startEmulator({ customers: 150, seed: 43, eventApiVersion: '2023-10-16' });
    emulator.advanceClock(3_600);
  });
  afterAll(() => emulator.close());

  it('a changed customer that vanished without an event is emitted as deleted', async () => {
    const stripe = sdkFor(emulator);
    const config = configFor(emulator);
    const base = await read(config);
    const [vanished, kept] = (await stripe.customers.list({ limit: 2 })).data;
    await stripe.customers.update(vanished!.id, { name: 'Then wiped' });
    await stripe.customers.update(kept!.id, { name: 'Still here' });
    expect(emulator.purgeCustomer(vanished!.id)).toBe(true);
    settle(emulator);
    const next = await read(config, stateFileFrom(base.messages));
    expect(next.exitCode).toBe(0);
    const byId = new Map(records(next.messages).map((record) => [record.id, record]));
    expect(byId.get(vanished!.id)).toMatchObject({ is_deleted: true });
    expect(byId.get(kept!.id)).toMatchObject({ name: 'Still here', is_deleted: false });
  });
});

describe('record versions', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 300, seed: 44 });
    emulator.advanceClock(3_600);
  });
  afterAll(() => emulator.close());

  it('never outrank a change the next run reads', async () => {
    const stripe = sdkFor(emulator);
    const config = configFor(emulator);
    const base = await read(config);
    const baseCursor = lastState(base.messages)?.stream.stream_state.events_cursor as number;
    const baseVersions = records(base.messages).map((record) => record.updated as number);
    expect(Math.max(...baseVersions)).toBeLessThanOrEqual(baseCursor);

    const [changed] = (await stripe.customers.list({ limit: 1 })).data;
    await stripe.customers.update(changed!.id, { name: 'Changed' });
    settle(emulator);
    const next = await read(config, stateFileFrom(base.messages));
    const nextCursor = lastState(next.messages)?.stream.stream_state.events_cursor as number;
    const [record] = records(next.messages);
    expect(record?.updated).toBeGreaterThanOrEqual(baseCursor);
    expect(record?.updated).toBeLessThanOrEqual(nextCursor);
  });
});

describe('a backlog of four weeks of events', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    // About 1,100 customer events spread over the last 30 days.
    emulator = await startEmulator({ customers: 20_000, seed: 45 });
  });
  afterAll(() => emulator.close());

  it('is read a window at a time, each checkpointed, and resumes from any checkpoint', async () => {
    const config = configFor(emulator);
    const state = [
      {
        type: 'STREAM',
        stream: {
          stream_descriptor: { name: 'customers' },
          stream_state: {
            version: 1,
            phase: 'incremental',
            events_cursor: emulator.now() - 29 * 86_400,
          },
        },
      },
    ];
    emulator.resetStats();
    const clean = await read(config, state);
    expect(clean.exitCode).toBe(0);
    const windows = logs(clean.messages).filter((line) => /customer\(s\) changed from/.test(line));
    expect(windows.length).toBeGreaterThanOrEqual(2);
    // Each window costs at most one page more than its events need.
    const eventPages = emulator.stats().byRoute['GET /v1/events'] ?? 0;
    expect(eventPages).toBeLessThanOrEqual(Math.ceil(1_200 / 100) + windows.length + 1);

    const everything = new DedupWarehouse().apply(clean.messages).rows;
    expect(everything.size).toBeGreaterThan(500);
    const checkpoints = clean.messages
      .map((message, index) => ({ message, index }))
      .filter(({ message }) => message.type === 'STATE')
      .slice(0, -1);
    expect(checkpoints.length).toBeGreaterThanOrEqual(windows.length + 2);
    // Every third checkpoint, to keep the test short; the first and the last window's included.
    for (const { message, index } of checkpoints.filter((_, n) => n % 3 === 0)) {
      const resumed = await read(config, stateFileFrom([message]));
      expect(resumed.exitCode).toBe(0);
      const rows = new DedupWarehouse()
        .apply(clean.messages.slice(0, index + 1))
        .apply(resumed.messages).rows;
      expect([...rows.keys()].sort(), `resumed at message ${index}`).toEqual(
        [...everything.keys()].sort(),
      );
    }
  });
});
