/**
 * A pipeline run's less travelled paths, in process against a scripted Stripe: where change
 * tracking starts after an import that Search may have read (and after one it could not), the
 * overlap read once per import, a full refresh over an incremental state, a record limit in an
 * incremental run, malformed events, retrieves answered with a deletion or another customer, and
 * runs that cannot move their cursor.
 */
import { describe, expect, it } from 'vitest';
import { syncPipelines, type PipelineState } from '../../connector';
import type { StripeCustomer } from '../../connector/stripe/customer-schema';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const HOUR = 3_600;
const id = (i: number) => `cus_${String(i).padStart(4, '0')}`;

function account(count: number, oldest: number, spacing: number): ScriptedStripe {
  const stripe = new ScriptedStripe();
  for (let i = 0; i < count; i++) {
    stripe.create({ id: id(i) }, { silent: true, created: stripe.now - oldest + i * spacing });
  }
  return stripe;
}

const calls = (stripe: ScriptedStripe, call: string) =>
  stripe.calls.filter((entry) => entry.call === call);

const listAndSearch = (extra: Record<string, unknown> = {}) =>
  configWith({ full_import_endpoints: 'list_and_search', concurrency: 4, ...extra });

const createdFrom = (gte: number) => ({
  pipelines: [
    {
      name: 'customers',
      filter: {
        logical: 'all',
        conditions: [{ property: 'created', operator: 'greater_than_or_equal', values: [gte] }],
      },
    },
  ],
});

describe('change tracking after a full import', () => {
  it('searches nothing newer than the search horizon', async () => {
    const stripe = account(600, 3 * HOUR, 15);
    const run = await runEngine(stripe, listAndSearch());
    // Only the (empty) older range may be searched; every customer comes through the list.
    for (const { params } of calls(stripe, 'searchCustomers')) {
      const upper = Number(/created<=(\d+)/.exec((params as { query: string }).query)?.[1]);
      expect(upper).toBeLessThan(stripe.now - 6 * HOUR);
    }
    expect(new Set(run.items.map((item) => item.record.id)).size).toBe(600);
    // Customers may be that old (no created filter): Search could have read them.
    expect(run.states.at(-1)?.events_cursor).toBe(stripe.now - 10 - 6 * HOUR);
  });

  it('starts at the import when the filter keeps Search out, up to the horizon itself', async () => {
    for (const [gte, expected] of [
      [6 * HOUR - 1, 10],
      [6 * HOUR, 10],
      [6 * HOUR + 1, 10 + 6 * HOUR],
    ] as const) {
      const stripe = account(300, 3 * HOUR, 30);
      const run = await runEngine(stripe, listAndSearch(createdFrom(stripe.now - gte)));
      expect(run.states.at(-1)?.events_cursor, `created from now - ${gte}`).toBe(
        stripe.now - expected,
      );
    }
  });

  it('starts before the horizon when a resumed import still has old slices to read', async () => {
    const stripe = account(400, 30 * 86_400, 6_000);
    const state: PipelineState = {
      version: 1,
      phase: 'full_import',
      events_cursor: stripe.now - 10,
      remaining: [
        [stripe.now - 30 * 86_400, stripe.now - 10 * 86_400],
        [stripe.now - 2 * HOUR, stripe.now],
      ],
    };
    const run = await runEngine(stripe, listAndSearch(), { state });
    expect(run.failure).toBeUndefined();
    expect(run.states.at(-1)?.events_cursor).toBe(stripe.now - 10 - 6 * HOUR);
  });

  it('skips the overlap it read once when the import began, and a full refresh reads none', async () => {
    const stripe = account(350, 86_400, 60);
    stripe.update(id(3), { name: 'changed just before' });
    stripe.advance(100);
    const config = configWith({ concurrency: 1 });
    const first = await runEngine(stripe, config);
    // One probe of the event log, one read of the overlap: not one per page.
    expect(calls(stripe, 'listCustomerEvents')).toHaveLength(2);
    stripe.advance(30);
    const next = await runEngine(stripe, config, { state: first.states.at(-1) });
    expect(next.items).toEqual([]);
    const refreshed = account(350, 86_400, 60);
    await runEngine(refreshed, config, { syncMode: 'full_refresh' });
    expect(calls(refreshed, 'listCustomerEvents')).toEqual([]);
    // A resumed import reads no overlap either (the first attempt did).
    const killed = await runEngine(refreshed, config, { stopAfterCheckpoints: 1 });
    const before = calls(refreshed, 'listCustomerEvents').length;
    await runEngine(refreshed, config, { state: killed.states.at(-1) });
    expect(calls(refreshed, 'listCustomerEvents').length - before).toBe(1);
  });

  it('is not read by a full refresh, whatever the state says', async () => {
    const stripe = account(20, 86_400, 60);
    const first = await runEngine(stripe, configWith());
    stripe.update(id(1), { name: 'changed' });
    stripe.advance(30);
    const refresh = await runEngine(stripe, configWith(), {
      syncMode: 'full_refresh',
      state: first.states.at(-1),
    });
    expect(refresh.items.map((item) => item.change)).toEqual(Array(20).fill('listed'));
  });
});

describe('an incremental run', () => {
  it('stops after the batch that reaches its record limit, without a checkpoint past it', async () => {
    const stripe = account(250, 86_400, 60);
    const first = await runEngine(stripe, configWith());
    for (let i = 0; i < 250; i++) {
      stripe.update(id(i), { name: `n${i}` });
      stripe.advance(1);
    }
    stripe.advance(30);
    const items: unknown[] = [];
    const states: PipelineState[] = [];
    for await (const event of syncPipelines(configWith(), {
      stripe,
      pipelines: [
        { name: 'customers', syncMode: 'incremental', state: first.states.at(-1), limit: 150 },
      ],
    })) {
      if (event.kind === 'records') items.push(...event.items);
      if (event.kind === 'checkpoint') states.push(event.state);
    }
    // Batches of 100: the second one reaches the limit; the checkpoint after the first is kept.
    expect(items).toHaveLength(200);
    expect(states).toHaveLength(1);
    expect(states[0]!.events_cursor).toBeLessThan(stripe.now - 30 - 250 + 100 + 1);
  });

  it('counts and reports events too malformed to key, and goes on', async () => {
    const stripe = account(5, 86_400, 60);
    const first = await runEngine(stripe, configWith());
    stripe.addEvent({
      id: 'evt_damaged',
      type: 'customer.updated',
      created: stripe.now,
      object: { object: 'customer' },
    });
    stripe.update(id(2), { name: 'changed' });
    stripe.advance(30);
    const second = await runEngine(stripe, configWith(), { state: first.states.at(-1) });
    expect(second.items.map((item) => item.record.id)).toEqual([id(2)]);
    expect(second.logs).toContain(
      'WARN Pipeline "customers": 1 event(s) were malformed (not an event, or a customer without a string id or an integer created time); they were left out.',
    );
  });

  it('takes a deleted answer to a retrieve as a deletion, without an event saying so', async () => {
    const stripe = account(5, 86_400, 60);
    const first = await runEngine(stripe, configWith());
    // An update in another API version (so the customer is retrieved); the customer is gone since.
    stripe.addEvent({
      id: 'evt_old_version',
      type: 'customer.updated',
      created: stripe.now,
      object: { id: 'cus_gone', object: 'customer', created: stripe.now - 50 },
      apiVersion: '2019-09-09',
    });
    stripe.advance(30);
    const second = await runEngine(stripe, configWith(), { state: first.states.at(-1) });
    expect(second.items.map((item) => [item.record.id, item.change])).toEqual([
      ['cus_gone', 'deleted'],
    ]);
    expect(second.logs.filter((line) => line.startsWith('WARN '))).toEqual([]);
  });

  it('retrieves only what its events cannot tell: not deleted customers, not current payloads', async () => {
    const stripe = account(5, 86_400, 60);
    const first = await runEngine(stripe, configWith());
    stripe.update(id(1), { name: 'changed' });
    stripe.delete(id(2));
    stripe.advance(30);
    const second = await runEngine(stripe, configWith(), { state: first.states.at(-1) });
    expect(second.items).toHaveLength(2);
    expect(calls(stripe, 'retrieveCustomer')).toEqual([]);
  });

  it('holds back every change whose retrieve is damaged or names another customer, naming them', async () => {
    class WrongStripe extends ScriptedStripe {
      override async retrieveCustomer(customerId: string) {
        const answer = await super.retrieveCustomer(customerId);
        if (customerId !== id(3)) return answer;
        const other = this.customer(id(0)) as unknown as StripeCustomer;
        return { ...answer, customer: structuredClone(other) };
      }
    }
    const stripe = new WrongStripe();
    for (let i = 0; i < 5; i++) {
      stripe.create({ id: id(i) }, { silent: true, created: stripe.now - 86_400 + i });
    }
    const first = await runEngine(stripe, configWith({ events_overlap_seconds: 0 }));
    const heldAt = stripe.now;
    stripe.update(id(3), { name: 'x' }, { event: { apiVersion: 'old' } });
    stripe.update(id(4), { name: 'y' }, { event: { apiVersion: 'old' } });
    stripe.damageRetrieves(id(4), 2);
    stripe.advance(30);
    const second = await runEngine(stripe, configWith({ events_overlap_seconds: 0 }), {
      state: first.states.at(-1),
    });
    expect(second.items).toEqual([]);
    expect(second.logs).toContain(
      `WARN Pipeline "customers": Stripe answered retrieves of ${id(3)}, ${id(4)} with an object lacking its id or an integer created time, twice; held back: the next run tries again (the saved cursor stays before their events).`,
    );
    expect(second.states.at(-1)?.events_cursor).toBeLessThanOrEqual(heldAt);
  });

  it('that cannot move its cursor hands back one checkpoint, and no WARN', async () => {
    const stripe = account(5, 86_400, 60);
    const first = await runEngine(stripe, configWith());
    const again = await runEngine(stripe, configWith(), { state: first.states.at(-1) });
    expect(again.failure).toBeUndefined();
    expect(again.states).toEqual([first.states.at(-1)]);
    expect(again.logs.filter((line) => line.startsWith('WARN '))).toEqual([]);
  });
});
