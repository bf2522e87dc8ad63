/**
 * Malformed API responses (objects without keys, nulls everywhere, wrong types, a huge string,
 * every kind of unicode, stray entries) must neither crash a read nor spoil any other record.
 * The emulator's 'garble' fault damages one list response the same way every time.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  STRAY_ENTRIES,
  UNICODE,
  UNKEYABLE_POSITIONS,
  startEmulator,
  type RunningEmulator,
} from '../emulator';
import { logs, readCli, records, stateFileFrom, traceErrors } from '../support/connector';
import { configFor, listAllCustomerIds, listAllCustomers, sdkFor } from '../support/stripe';

let emulator: RunningEmulator;
let stripe: Stripe;
let everyone: Stripe.Customer[];

beforeAll(async () => {
  emulator = await startEmulator({ customers: 450, seed: 51 });
  emulator.advanceClock(3_600);
  stripe = sdkFor(emulator);
  everyone = await listAllCustomers(stripe);
});
afterAll(() => emulator.close());

const read = (config: object, state?: unknown) => readCli(config, { state });

const BOOKKEEPING = ['updated', 'is_deleted', '_ab_cdc_deleted_at'];
const withoutBookkeeping = (record: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(record).filter(([key]) => !BOOKKEEPING.includes(key)));

describe('a damaged page of customers', () => {
  it('skips what cannot be keyed, with a warning, and lands everything else as Stripe sent it', async () => {
    // The newest page is read first and alone: it is the one damaged.
    emulator.setFaults({ failNext: [{ status: 'garble', path: 'GET /v1/customers' }] });
    const run = await read(configFor(emulator, { concurrency: 4 }));
    expect(traceErrors(run.messages)).toEqual([]);
    expect(run.exitCode).toBe(0);
    const unkeyable = UNKEYABLE_POSITIONS.map((index) => everyone[index]!.id);
    expect(logs(run.messages).join('\n')).toContain(
      `Stripe returned ${UNKEYABLE_POSITIONS.length + STRAY_ENTRIES} object(s) without a string id or an integer created time; they were left out.`,
    );

    const byId = new Map(records(run.messages).map((record) => [record.id as string, record]));
    expect([...byId.keys()].sort()).toEqual(
      everyone
        .map((customer) => customer.id)
        .filter((id) => !unkeyable.includes(id))
        .sort(),
    );
    const [, , allNull, huge, mistyped] = everyone;
    expect(byId.get(allNull!.id)).toMatchObject({ email: null, metadata: null, address: null });
    expect(byId.get(huge!.id)?.name).toBe(UNICODE.repeat(20_000));
    expect(byId.get(huge!.id)?.description).toBe(UNICODE);
    expect(byId.get(mistyped!.id)).toMatchObject({ email: 42, balance: '12', address: 'Paris' });
    // Every other customer is exactly what the SDK lists.
    for (const customer of everyone.slice(5))
      expect(withoutBookkeeping(byId.get(customer.id)!), customer.id).toEqual(customer);
  });

  it('goes through a mapping: each damaged customer is mapped or skipped by name, the rest map as usual', async () => {
    emulator.setFaults({ failNext: [{ status: 'garble', path: 'GET /v1/customers' }] });
    const config = configFor(emulator, {
      customer_model: [
        { name: 'email', type: 'string' },
        { name: 'balance', type: 'integer' },
        { name: 'signed_up', type: 'datetime', nullable: false },
        { name: 'plan', type: 'string' },
        { name: 'display_name', type: 'string' },
      ],
      pipelines: [
        {
          name: 'customers',
          on_error: 'skip',
          transformation: {
            type: 'mapping',
            mappings: [
              { to: 'email', from: 'lower(email)' },
              { to: 'balance', from: 'balance' },
              { to: 'signed_up', from: 'created' },
              { to: 'plan', from: 'metadata.plan' },
              { to: 'display_name', from: 'coalesce(name, email)' },
            ],
          },
        },
      ],
    });
    const run = await read(config);
    expect(traceErrors(run.messages)).toEqual([]);
    expect(run.exitCode).toBe(0);
    const emitted = new Set(records(run.messages).map((record) => record._stripe_id as string));
    const skipped = logs(run.messages).join('\n');
    for (const customer of everyone.slice(2, 5)) {
      const accounted = emitted.has(customer.id) || skipped.includes(customer.id);
      expect(accounted, customer.id).toBe(true);
    }
    for (const customer of everyone.slice(5)) {
      const record = records(run.messages).find((r) => r._stripe_id === customer.id);
      expect(record, customer.id).toMatchObject({
        email: customer.email?.toLowerCase() ?? null,
        balance: customer.balance,
        signed_up: new Date(customer.created * 1000).toISOString().replace('.000Z', 'Z'),
      });
    }
  });
});

describe('a damaged page of events', () => {
  it('counts what cannot be keyed, with a warning, and lands every other change', async () => {
    const config = configFor(emulator);
    const base = await read(config);
    const targets = everyone.slice(10, 22);
    for (const [index, customer] of targets.entries())
      await stripe.customers.update(customer.id, { name: `Changed ${index}` });
    emulator.advanceClock(60);
    emulator.setFaults({ failNext: [{ status: 'garble', path: 'GET /v1/events' }] });
    const next = await read(config, stateFileFrom(base.messages));
    expect(traceErrors(next.messages)).toEqual([]);
    expect(next.exitCode).toBe(0);
    expect(logs(next.messages).join('\n')).toMatch(
      /WARN .*5 event\(s\) were malformed \(not an event, or a customer without a string id/,
    );
    // Events are newest first: the last two changes lost their keys, the three before them
    // landed as damaged as Stripe sent them, and every earlier one is intact.
    const byId = new Map(records(next.messages).map((record) => [record.id as string, record]));
    const newestFirst = [...targets].reverse();
    for (const customer of newestFirst.slice(0, 2)) expect(byId.has(customer.id)).toBe(false);
    for (const customer of newestFirst.slice(2, 5)) expect(byId.has(customer.id)).toBe(true);
    for (const [index, customer] of targets.slice(0, -5).entries())
      expect(byId.get(customer.id)?.name, customer.id).toBe(`Changed ${index}`);
  });
});

describe('a damaged retrieve', () => {
  let old: RunningEmulator;
  beforeAll(async () => {
    // Events in an older API version: every changed customer is re-fetched.
    old = await startEmulator({ customers: 120, seed: 52, eventApiVersion: '2023-10-16' });
    old.advanceClock(3_600);
  });
  afterAll(() => old.close());

  it('asks again; a customer damaged twice is held back, named, and landed by the next run', async () => {
    const sdk = sdkFor(old);
    const config = configFor(old, { concurrency: 1 });
    const base = await read(config);
    const changed = (await sdk.customers.list({ limit: 4 })).data;
    for (const customer of changed) await sdk.customers.update(customer.id, { name: 'Changed' });
    old.advanceClock(60);
    // Retrieves run concurrently: every first attempt is damaged, and whichever retry arrives
    // first is damaged again.
    old.setFaults({
      failNext: Array.from({ length: 5 }, () => ({
        status: 'garble' as const,
        path: 'GET /v1/customers/:id',
      })),
    });
    const next = await read(config, stateFileFrom(base.messages));
    expect(traceErrors(next.messages)).toEqual([]);
    expect(next.exitCode).toBe(0);
    const warning =
      /WARN .*retrieves of (cus_\w+) with an object lacking its id .*twice; held back/.exec(
        logs(next.messages).join('\n'),
      );
    const damaged = warning?.[1] as string;
    expect(changed.map((customer) => customer.id)).toContain(damaged);
    const names = new Map(records(next.messages).map((record) => [record.id, record.name]));
    expect(names.has(damaged)).toBe(false);
    const others = changed.filter((customer) => customer.id !== damaged);
    expect(others).toHaveLength(3);
    for (const customer of others) expect(names.get(customer.id)).toBe('Changed');

    // The saved cursor stayed before the held-back change: the next run lands it.
    const after = await read(config, stateFileFrom([...base.messages, ...next.messages]));
    expect(after.exitCode).toBe(0);
    const landed = records(after.messages).find((record) => record.id === damaged);
    expect(landed?.name).toBe('Changed');
  });
});

describe('a page that says there is more but holds nothing usable', () => {
  it('stops the read with a transient error instead of skipping the rest; the rerun lands everyone', async () => {
    emulator.setFaults({ failNext: [{ status: 'hollow', path: 'GET /v1/customers' }] });
    const stopped = await read(configFor(emulator));
    expect(stopped.exitCode).not.toBe(0);
    const [error] = traceErrors(stopped.messages);
    expect(error?.failure_type).toBe('transient_error');
    expect(error?.message).toMatch(/no usable customer to continue from/);
    const rerun = await read(configFor(emulator), stateFileFrom(stopped.messages));
    expect(rerun.exitCode).toBe(0);
    const ids = new Set(
      [...records(stopped.messages), ...records(rerun.messages)].map((r) => r.id as string),
    );
    expect([...ids].sort()).toEqual((await listAllCustomerIds(stripe)).sort());
  });
});
