/**
 * Customer fields changed through other objects, through the official SDK over HTTP: the events
 * the emulator sends for each path (by default only the other object's own, the worst case
 * Stripe's docs leave open; `customer.updated` too with `customerUpdatedForRelatedChanges`), and
 * an incremental import that still ends equal to Stripe for those fields.
 */
import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, syncPipelines, type PipelineState } from '../../connector';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../emulator';
import { configFor, listAllCustomers, sdkFor, settle } from '../support/stripe';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: EmulatorOptions = {}) {
  emulator = await startEmulator({ customers: 12, seed: 31, ...options });
  emulator.advanceClock(3_600);
  return { emulator, stripe: sdkFor(emulator) };
}

/** The types of the events created since `since` (unix seconds), oldest first. */
async function eventTypesSince(stripe: Stripe, since: number): Promise<string[]> {
  const types: string[] = [];
  for await (const event of stripe.events.list({ created: { gte: since }, limit: 100 })) {
    types.push(event.type);
  }
  return types.reverse();
}

/** Does each path once, on its own customer; returns those customers' ids. */
async function changeThroughOtherObjects(stripe: Stripe, running: RunningEmulator) {
  const plain = (await listAllCustomers(stripe)).filter(
    (customer) => customer.discount === null && customer.default_source === null,
  );
  const [a, b, c, d, e] = plain.map((customer) => customer.id);
  // A: two sources; the first becomes the default, deleting it moves the default to the second.
  const first = await stripe.customers.createSource(a!, { source: 'tok_visa' });
  await stripe.customers.createSource(a!, { source: 'tok_mastercard' });
  await stripe.customers.deleteSource(a!, first.id);
  // B: a default payment method, then detached.
  const method = await stripe.paymentMethods.attach('pm_card_visa', { customer: b! });
  await stripe.customers.update(b!, { invoice_settings: { default_payment_method: method.id } });
  await stripe.paymentMethods.detach(method.id);
  // C: a discount attached (the Dashboard's way), D: attached and removed.
  running.attachDiscount(c!, 'SUMMER');
  running.attachDiscount(d!, 'WINTER');
  await stripe.customers.deleteDiscount(d!);
  // E: a balance transaction.
  await stripe.customers.createBalanceTransaction(e!, { amount: -500, currency: 'usd' });
  return { a: a!, b: b!, c: c!, d: d!, e: e! };
}

describe('the events of changes made through other objects', () => {
  it('by default: only the other object’s event, no customer.updated', async () => {
    const { emulator: running, stripe } = await start();
    const since = running.now();
    const ids = await changeThroughOtherObjects(stripe, running);
    expect(await eventTypesSince(stripe, since)).toEqual([
      'customer.source.created',
      'customer.source.created',
      'customer.source.deleted',
      'payment_method.attached',
      'customer.updated', // B's own update of invoice_settings
      'payment_method.detached',
      'customer.discount.created',
      'customer.discount.created',
      'customer.discount.deleted',
    ]);
    // The customers did change.
    const [a, b, c, d, e] = await Promise.all(
      [ids.a, ids.b, ids.c, ids.d, ids.e].map((id) => stripe.customers.retrieve(id)),
    );
    expect((a as Stripe.Customer).default_source).toMatch(/^card_/);
    expect((b as Stripe.Customer).invoice_settings.default_payment_method).toBeNull();
    expect((c as Stripe.Customer).discount?.source).toEqual({ coupon: 'SUMMER', type: 'coupon' });
    expect((d as Stripe.Customer).discount).toBeNull();
    expect((e as Stripe.Customer).balance).toBe(-500);
    // The detach names its customer in previous_attributes, as Stripe's does.
    const [detached] = (await stripe.events.list({ types: ['payment_method.detached'] })).data;
    expect(detached!.data.previous_attributes).toEqual({ customer: ids.b });
  });

  it('with customerUpdatedForRelatedChanges: customer.updated as well, for every path', async () => {
    const { emulator: running, stripe } = await start({ customerUpdatedForRelatedChanges: true });
    const since = running.now();
    await changeThroughOtherObjects(stripe, running);
    const types = await eventTypesSince(stripe, since);
    // A: first source (default set), deleting the default (moved); B: its own update, the
    // detach; C; D twice; E.
    expect(types.filter((type) => type === 'customer.updated')).toHaveLength(8);
  });
});

describe('an incremental import', () => {
  it('ends equal to Stripe for the fields other objects change, from their events', async () => {
    const { emulator: running, stripe } = await start();
    const config = parseConfig(configFor(running, { pipelines: [{ name: 'customers' }] }));
    const rows = new Map<string, Record<string, unknown>>();
    const sync = async (state?: PipelineState) => {
      let last = state;
      for await (const event of syncPipelines(config, {
        pipelines: [{ name: 'customers', syncMode: 'incremental', state }],
      })) {
        if (event.kind === 'records') {
          for (const { record } of event.items) rows.set(String(record.id), record);
        } else if (event.kind === 'checkpoint') last = event.state;
        else if (event.kind === 'pipeline_failed') throw event.error;
      }
      return last;
    };
    const state = await sync();
    const ids = await changeThroughOtherObjects(stripe, running);
    settle(running);
    await sync(state);
    const fields = (customer: Record<string, unknown>) => ({
      default_source: customer.default_source,
      invoice_settings: customer.invoice_settings,
      discount: customer.discount,
    });
    for (const customer of await listAllCustomers(stripe)) {
      const row = rows.get(customer.id)!;
      expect(fields(row), customer.id).toEqual(
        fields(customer as unknown as Record<string, unknown>),
      );
    }
    // A balance transaction sends no event at all: its customer is current again at its next
    // event or the next full import (docs/guarantees.md).
    expect(rows.get(ids.e)!.balance).toBe(0);
  });
});
