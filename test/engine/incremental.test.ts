/**
 * The engine's change-tracking rules, in process against a scripted Stripe: late-listed events,
 * same-second event orders, `''` in previous_attributes, payloads of another API version,
 * checkpoints that must not pass a pending change.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineState, SingleAccountState } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { ByIdDestination, configWith, idsOf, runEngine } from './harness';

const gold = {
  logical: 'all',
  conditions: [{ property: 'metadata.plan', operator: 'is', values: ['gold'] }],
};

/** A seeded Stripe: `count` customers created a day ago, every third one gold. */
function seeded(count: number): ScriptedStripe {
  const stripe = new ScriptedStripe();
  stripe.advance(-86_400);
  for (let i = 0; i < count; i++) {
    stripe.create(
      {
        id: `cus_${String(i).padStart(4, '0')}`,
        metadata: { plan: i % 3 === 0 ? 'gold' : 'free' },
      },
      { silent: true },
    );
    stripe.advance(1);
  }
  stripe.advance(86_400 - count);
  return stripe;
}

const goldCustomers = (stripe: ScriptedStripe) =>
  stripe
    .liveCustomers()
    .filter((customer) => (customer.metadata as Record<string, string>).plan === 'gold');

describe('events listed late', () => {
  /**
   * Syncs 20 s apart while a third of the events is listed up to 90 s after its second, with
   * customers entering and leaving the filter: with the overlap, the destination ends equal to
   * Stripe and no event is processed twice; without it, late changes are lost.
   */
  async function syncEvery20s(overlapSeconds: number) {
    const stripe = seeded(60);
    const config = configWith({
      events_overlap_seconds: overlapSeconds,
      pipelines: [{ name: 'customers', filter: gold }],
    });
    const destination = new ByIdDestination();
    let run = await runEngine(stripe, config);
    destination.apply(run.items);
    let state = run.states.at(-1);
    let step = 0;
    const emittedPerEvent = new Map<string, number>();
    for (let round = 0; round < 12; round++) {
      for (let k = 0; k < 5; k++) {
        step++;
        const id = `cus_${String((step * 7) % 60).padStart(4, '0')}`;
        const late = step % 3 === 0 ? { listedFrom: stripe.now + 30 + ((step * 13) % 61) } : {};
        const plan = step % 2 === 0 ? 'gold' : 'free';
        if (step % 11 === 0) stripe.delete(id, { event: late });
        else if (stripe.customer(id)) stripe.update(id, { metadata: { plan } }, { event: late });
        else stripe.create({ id, metadata: { plan } }, { event: late });
        stripe.advance(3);
      }
      stripe.advance(5);
      run = await runEngine(stripe, config, { state });
      expect(run.failure).toBeUndefined();
      destination.apply(run.items);
      for (const item of run.items) {
        const id = String(item.record.id);
        emittedPerEvent.set(id, (emittedPerEvent.get(id) ?? 0) + 1);
      }
      state = run.states.at(-1);
    }
    // Quiet time: every late event is listed by now; two more runs pick up the last ones.
    for (let round = 0; round < 3; round++) {
      stripe.advance(60);
      run = await runEngine(stripe, config, { state });
      destination.apply(run.items);
      state = run.states.at(-1);
    }
    const quiet = await runEngine(stripe, config, { state });
    return { stripe, destination, quiet, state: quiet.states.at(-1) };
  }

  it('with the overlap, a destination applying records by id equals Stripe', async () => {
    const { stripe, destination, quiet } = await syncEvery20s(300);
    expect(destination.ids()).toEqual(idsOf(goldCustomers(stripe)));
    for (const customer of goldCustomers(stripe)) {
      expect(destination.rows.get(String(customer.id))?.metadata).toEqual(customer.metadata);
    }
    // Re-reading the overlap emits nothing once every event was processed.
    expect(quiet.items).toEqual([]);
  });

  it('without an overlap, late events are lost (the overlap is what saves them)', async () => {
    const { stripe, destination } = await syncEvery20s(0);
    expect(destination.ids()).not.toEqual(idsOf(goldCustomers(stripe)));
  });

  it('processes each event once: runs over the same overlap emit a change once', async () => {
    const stripe = seeded(10);
    const config = configWith({ events_overlap_seconds: 300 });
    const first = await runEngine(stripe, config);
    stripe.update('cus_0001', { name: 'A' });
    stripe.advance(20);
    const second = await runEngine(stripe, config, { state: first.states.at(-1) });
    expect(second.items.map((item) => item.record.id)).toEqual(['cus_0001']);
    stripe.advance(20);
    const third = await runEngine(stripe, config, { state: second.states.at(-1) });
    expect(third.items).toEqual([]);
    expect(third.logs.join('\n')).toMatch(
      /1 event\(s\) of the overlap were processed by an earlier run/,
    );
    // A late event of that same second, listed only now, is still processed.
    stripe.update(
      'cus_0002',
      { name: 'B' },
      { event: { created: stripe.now - 30, listedFrom: stripe.now } },
    );
    stripe.advance(20);
    const fourth = await runEngine(stripe, config, { state: third.states.at(-1) });
    expect(fourth.items.map((item) => item.record.id)).toEqual(['cus_0002']);
  });

  it('keeps the processed events of the overlap in the state, and only those', async () => {
    const stripe = seeded(5);
    const config = configWith({ events_overlap_seconds: 100 });
    const first = await runEngine(stripe, config);
    stripe.update('cus_0001', { name: 'A' });
    stripe.advance(150);
    stripe.update('cus_0002', { name: 'B' });
    stripe.advance(20);
    const second = await runEngine(stripe, config, { state: first.states.at(-1) });
    const state = second.states.at(-1) as SingleAccountState;
    const cursor = state.events_cursor;
    const seconds = (state.seen_events ?? []).map(([second]) => second);
    expect(seconds.length).toBe(1);
    expect(seconds[0]).toBeGreaterThanOrEqual(cursor - 100);
  });
});

describe('events of the same second', () => {
  it('give the same destination whichever order Stripe lists them in', async () => {
    const outcomes: string[][] = [];
    for (const order of ['newest_first', 'oldest_first'] as const) {
      const stripe = seeded(9);
      stripe.sameSecond = order;
      const config = configWith({ pipelines: [{ name: 'customers', filter: gold }] });
      const destination = new ByIdDestination();
      const first = await runEngine(stripe, config);
      destination.apply(first.items);
      // In one second: cus_0003 leaves, comes back, leaves again; cus_0006 is updated then deleted.
      stripe.update('cus_0003', { metadata: { plan: 'free' } });
      stripe.update('cus_0003', { metadata: { plan: 'gold' } });
      stripe.update('cus_0003', { metadata: { plan: 'free' } });
      stripe.update('cus_0006', { name: 'x' });
      stripe.delete('cus_0006');
      stripe.advance(30);
      const second = await runEngine(stripe, config, { state: first.states.at(-1) });
      destination.apply(second.items);
      expect(destination.ids()).toEqual(idsOf(goldCustomers(stripe)));
      outcomes.push(destination.ids());
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
  });
});

describe("'' in previous_attributes", () => {
  it('stands for "unset": a customer that leaves an is_null filter is deleted downstream', async () => {
    const stripe = new ScriptedStripe();
    stripe.create({ id: 'cus_a', name: null }, { silent: true, created: stripe.now - 100 });
    const config = configWith({
      pipelines: [
        {
          name: 'customers',
          filter: { logical: 'all', conditions: [{ property: 'name', operator: 'is_null' }] },
        },
      ],
    });
    const destination = new ByIdDestination();
    const first = await runEngine(stripe, config);
    destination.apply(first.items);
    expect(destination.ids()).toEqual(['cus_a']);
    // Stripe reports the unset name before the update as '' (as public integrations see it).
    stripe.update('cus_a', { name: 'Ann' }, { event: { previous: { name: '' } } });
    stripe.advance(30);
    const second = await runEngine(stripe, config, { state: first.states.at(-1) });
    destination.apply(second.items);
    expect(destination.ids()).toEqual([]);
  });
});

describe('payloads of another API version', () => {
  it('decide nothing they cannot: a customer that left the filter is deleted downstream', async () => {
    const stripe = new ScriptedStripe();
    stripe.create({ id: 'cus_rich', balance: 500 }, { silent: true, created: stripe.now - 100 });
    const config = configWith({
      pipelines: [
        {
          name: 'customers',
          filter: {
            logical: 'all',
            conditions: [{ property: 'balance', operator: 'greater_than', values: [100] }],
          },
        },
      ],
    });
    const destination = new ByIdDestination();
    const first = await runEngine(stripe, config);
    destination.apply(first.items);
    expect(destination.ids()).toEqual(['cus_rich']);
    // The account renders events in 2019-09-09, where `balance` was still `account_balance`.
    stripe.update(
      'cus_rich',
      { balance: 50 },
      {
        event: {
          apiVersion: '2019-09-09',
          object: {
            id: 'cus_rich',
            object: 'customer',
            created: stripe.now - 100,
            account_balance: 50,
          },
          previous: { account_balance: 500 },
        },
      },
    );
    stripe.advance(30);
    const second = await runEngine(stripe, config, { state: first.states.at(-1) });
    destination.apply(second.items);
    expect(destination.ids()).toEqual([]);
    expect(second.items.map((item) => item.change)).toEqual(['deleted']);
  });

  it('judge what they can: a payload holding every field the filter reads decides', async () => {
    const stripe = seeded(6);
    const config = configWith({ pipelines: [{ name: 'customers', filter: gold }] });
    const first = await runEngine(stripe, config);
    // A free customer changes, rendered in 2019-09-09: `metadata` is there, so it is judged as
    // never selected, and nothing is emitted for it.
    const free = stripe.update(
      'cus_0001',
      { name: 'still free' },
      { event: { apiVersion: '2019-09-09' } },
    );
    expect((free.metadata as Record<string, string>).plan).toBe('free');
    stripe.advance(30);
    const second = await runEngine(stripe, config, { state: first.states.at(-1) });
    expect(second.items).toEqual([]);
  });
});

describe('checkpoints', () => {
  it('never pass a change that could not be emitted; the next run lands it', async () => {
    const stripe = seeded(3);
    const config = configWith({ events_overlap_seconds: 0 });
    const first = await runEngine(stripe, config);
    stripe.update('cus_0001', { name: 'early' });
    stripe.advance(5);
    const heldEventAt = stripe.now;
    stripe.update('cus_0002', { name: 'damaged' }, { event: { apiVersion: 'old' } });
    stripe.damageRetrieves('cus_0002', 2);
    stripe.advance(5);
    stripe.update('cus_0000', { name: 'later' });
    stripe.advance(30);
    const second = await runEngine(stripe, config, { state: first.states.at(-1) });
    expect(second.items.map((item) => item.record.id).sort()).toEqual(['cus_0000', 'cus_0001']);
    const saved = second.states.at(-1) as SingleAccountState;
    expect(saved.events_cursor).toBeLessThanOrEqual(heldEventAt);
    expect(second.logs.join('\n')).toMatch(/cus_0002.*held back/);
    const third = await runEngine(stripe, config, { state: saved });
    expect(third.items.map((item) => item.record.id)).toContain('cus_0002');
  });
});
