/**
 * Customer fields that change through other objects (a discount, a source, a payment method)
 * may change with no `customer.updated`: the engine reads those objects' own events, retrieves
 * the customer again and emits it, and judges the filter as carefully as for its own events. In
 * process against a scripted Stripe; docs/guarantees.md has the sources, and the emulator test
 * (related-changes-http.test.ts) the same through the SDK over HTTP.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../connector';
import { CUSTOMER_EVENT_TYPES } from '../../connector/stripe/port';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const gold = {
  logical: 'all',
  conditions: [{ property: 'metadata.plan', operator: 'is', values: ['gold'] }],
};

const discounted = {
  logical: 'all',
  conditions: [{ property: 'discount', operator: 'is_not_empty' }],
};

function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  stripe.advance(-3_600);
  const discount = { id: 'di_1', object: 'discount', customer: 'cus_gold', subscription: null };
  stripe.create({ id: 'cus_gold', metadata: { plan: 'gold' }, discount }, { silent: true });
  stripe.create({ id: 'cus_free', metadata: { plan: 'free' } }, { silent: true });
  stripe.create({ id: 'cus_subscriber', metadata: { plan: 'free' } }, { silent: true });
  stripe.advance(3_600);
  return stripe;
}

/** A field changed by another object: the customer changes, only the other event is sent. */
function changeThrough(
  stripe: ScriptedStripe,
  type: (typeof CUSTOMER_EVENT_TYPES)[number],
  customer: string,
  fields: Record<string, unknown>,
  object: Record<string, unknown>,
  previous?: Record<string, unknown>,
): void {
  Object.assign(stripe.customer(customer)!, fields);
  stripe.addEvent({
    id: `evt_${type}_${customer}`,
    type,
    created: stripe.now,
    object,
    ...(previous ? { previous } : {}),
  });
}

async function firstImport(stripe: ScriptedStripe, filter: unknown) {
  const config = configWith({ pipelines: [{ name: 'customers', filter }] });
  const first = await runEngine(stripe, config);
  expect(first.failure).toBeUndefined();
  return { config, state: first.states.at(-1) as PipelineState };
}

describe('changes made through other objects', () => {
  it('re-read the customer from the discount, source and payment method events', async () => {
    const stripe = account();
    const { config, state } = await firstImport(stripe, undefined);
    changeThrough(
      stripe,
      'customer.discount.deleted',
      'cus_gold',
      { discount: null },
      {
        id: 'di_1',
        object: 'discount',
        customer: 'cus_gold',
        subscription: null,
      },
    );
    changeThrough(
      stripe,
      'customer.source.created',
      'cus_free',
      { default_source: 'card_1' },
      {
        id: 'card_1',
        object: 'card',
        customer: 'cus_free',
      },
    );
    // A subscription's discount leaves the customer's alone: nothing to read again.
    stripe.addEvent({
      id: 'evt_subscription_discount',
      type: 'customer.discount.created',
      created: stripe.now,
      object: { id: 'di_2', object: 'discount', customer: 'cus_subscriber', subscription: 'sub_1' },
    });
    stripe.advance(60);
    const run = await runEngine(stripe, config, { state });
    expect(run.failure).toBeUndefined();
    const byId = new Map(run.items.map((item) => [item.record.id, item]));
    expect([...byId.keys()].sort()).toEqual(['cus_free', 'cus_gold']);
    expect(byId.get('cus_gold')).toMatchObject({
      record: { discount: null },
      change: 'updated',
      stripeChange: 'updated',
    });
    expect(byId.get('cus_free')).toMatchObject({ record: { default_source: 'card_1' } });
    // Read again, since the events carry no customer.
    expect(stripe.calls.filter((call) => call.call === 'retrieveCustomer')).toHaveLength(2);

    changeThrough(
      stripe,
      'payment_method.detached',
      'cus_free',
      { invoice_settings: { default_payment_method: null } },
      { id: 'pm_1', object: 'payment_method', customer: null },
      { customer: 'cus_free' },
    );
    stripe.advance(60);
    const next = await runEngine(stripe, config, { state: run.states.at(-1) as PipelineState });
    expect(next.items).toMatchObject([
      { record: { id: 'cus_free', invoice_settings: { default_payment_method: null } } },
    ]);
  });

  it('judge the filter: one that does not read the field changes nothing about who matches', async () => {
    const stripe = account();
    const { config, state } = await firstImport(stripe, gold);
    changeThrough(
      stripe,
      'customer.source.created',
      'cus_free',
      { default_source: 'card_1' },
      {
        id: 'card_1',
        object: 'card',
        customer: 'cus_free',
      },
    );
    changeThrough(
      stripe,
      'customer.source.created',
      'cus_gold',
      { default_source: 'card_2' },
      {
        id: 'card_2',
        object: 'card',
        customer: 'cus_gold',
      },
    );
    stripe.advance(60);
    const run = await runEngine(stripe, config, { state });
    // The free customer never matched: no deletion for a row the destination never had.
    expect(run.items.map((item) => [item.record.id, item.change])).toEqual([
      ['cus_gold', 'updated'],
    ]);
    expect(run.summary).toMatchObject({ filteredOut: 1, deletions: 0 });
  });

  it('a filter that reads the field: a customer leaving through its discount is deleted', async () => {
    const stripe = account();
    const { config, state } = await firstImport(stripe, discounted);
    changeThrough(
      stripe,
      'customer.discount.deleted',
      'cus_gold',
      { discount: null },
      {
        id: 'di_1',
        object: 'discount',
        customer: 'cus_gold',
        subscription: null,
      },
    );
    stripe.advance(60);
    const run = await runEngine(stripe, config, { state });
    expect(run.items.map((item) => [item.record.id, item.change])).toEqual([
      ['cus_gold', 'deleted'],
    ]);
  });

  it('ask Stripe for at most 20 event types, as it allows', () => {
    expect(CUSTOMER_EVENT_TYPES.length).toBeLessThanOrEqual(20);
    expect(CUSTOMER_EVENT_TYPES).toEqual(
      expect.arrayContaining([
        'customer.discount.deleted',
        'customer.source.deleted',
        'payment_method.detached',
      ]),
    );
  });
});
