/**
 * Webhook deliveries through the engine, in process against a scripted Stripe: which pipelines
 * take them, duplicates, deliveries out of order, same-second events, customers entering and
 * leaving a filter, and how deliveries and runs share one record of processed events. The
 * destination here writes the way the standalone tool's tables do: a record older than the
 * row (or than the latest change applied to the customer) changes nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  WebhookApplier,
  foreignEventReason,
  readWebhookEvent,
  type EmittedRecord,
  type PipelineState,
  type SingleAccountState,
  type WebhookOutcome,
} from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const gold = {
  logical: 'all',
  conditions: [{ property: 'metadata.plan', operator: 'is', values: ['gold'] }],
};
const MODEL = [
  { name: 'email', type: 'string' },
  { name: 'plan', type: 'string' },
];
const mapping = {
  type: 'mapping',
  mappings: [
    { to: 'email', from: 'email' },
    { to: 'plan', from: 'metadata.plan' },
  ],
};

/** A table as the standalone tool keeps it: rows by key, and the version of every change applied. */
class Table {
  readonly rows = new Map<string, Record<string, unknown>>();
  private readonly versions = new Map<string, number>();
  state: PipelineState | undefined;

  constructor(
    readonly key = 'id',
    readonly cursor = 'updated',
  ) {}

  write(items: EmittedRecord[], versions: ReadonlyMap<string, number> = new Map()): void {
    for (const { record } of items) {
      const id = String(record[this.key]);
      const version = record[this.cursor] as number;
      const row = this.rows.get(id);
      if (((row?.[this.cursor] as number | undefined) ?? -1) > version) continue;
      if ((this.versions.get(id) ?? -1) > version) continue;
      if (record._ab_cdc_deleted_at) this.rows.delete(id);
      else this.rows.set(id, record);
    }
    for (const [id, version] of versions) {
      this.versions.set(id, Math.max(version, this.versions.get(id) ?? -1));
    }
  }

  async held(ids: string[]): Promise<Map<string, number>> {
    const held = new Map<string, number>();
    for (const id of ids) {
      const row = this.rows.get(id)?.[this.cursor] as number | undefined;
      const version = Math.max(row ?? -1, this.versions.get(id) ?? -1);
      if (version >= 0) held.set(id, version);
    }
    return held;
  }
}

/** Delivers `events` to the pipelines' tables; returns each pipeline's outcome. */
async function deliver(
  applier: WebhookApplier,
  tables: Record<string, Table>,
  events: unknown[],
  extra: { importUnderWay?: string[] } = {},
): Promise<Record<string, WebhookOutcome>> {
  const outcomes: Record<string, WebhookOutcome> = {};
  const requests = Object.entries(tables).map(([name, table]) => ({
    name,
    state: table.state,
    importUnderWay: extra.importUnderWay?.includes(name) ?? false,
    heldVersions: (ids: string[]) => table.held(ids),
  }));
  for await (const outcome of applier.apply(events, requests)) {
    outcomes[outcome.pipeline] = outcome;
    if (outcome.kind !== 'applied') continue;
    const table = tables[outcome.pipeline]!;
    table.write(outcome.items, outcome.versions);
    table.state = outcome.state;
  }
  return outcomes;
}

/** A run of the pipeline, written through the same table rules. */
async function run(
  stripe: ScriptedStripe,
  config: ReturnType<typeof configWith>,
  name: string,
  table: Table,
) {
  const result = await runEngine(stripe, config, {
    name,
    ...(table.state ? { state: table.state } : {}),
  });
  if (result.failure) throw result.failure;
  table.write(result.items);
  table.state = result.states.at(-1);
  return result;
}

function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  stripe.advance(-3_600);
  for (let i = 0; i < 6; i++) {
    stripe.create(
      {
        id: `cus_${i}`,
        email: `c${i}@example.com`,
        metadata: { plan: i % 2 === 0 ? 'gold' : 'free' },
      },
      { silent: true },
    );
  }
  stripe.advance(3_600);
  return stripe;
}

const applied = (outcome: WebhookOutcome | undefined) => {
  if (outcome?.kind !== 'applied') throw new Error(`not applied: ${JSON.stringify(outcome)}`);
  return outcome;
};

/** Two pipelines (every customer as is; gold customers mapped), each past its first run. */
async function twoPipelines() {
  const stripe = account();
  const config = configWith({
    customer_model: MODEL,
    pipelines: [{ name: 'customers' }, { name: 'gold', filter: gold, transformation: mapping }],
  });
  const tables = { customers: new Table(), gold: new Table('_stripe_id', '_stripe_updated') };
  await run(stripe, config, 'customers', tables.customers);
  await run(stripe, config, 'gold', tables.gold);
  stripe.advance(30);
  return { stripe, config, tables, applier: new WebhookApplier(config, { stripe }) };
}

describe('webhook events through the engine', () => {
  it('apply creations, updates and deletions to every pipeline: filter entering and leaving, transformation, model, versions from the events', async () => {
    const { stripe, tables, applier } = await twoPipelines();
    const before = stripe.delivered().length;
    stripe.create({ id: 'cus_new', email: 'new@example.com', metadata: { plan: 'gold' } });
    stripe.advance(2);
    stripe.update('cus_0', { metadata: { plan: 'free' } }); // leaves gold
    stripe.advance(2);
    stripe.update('cus_1', { metadata: { plan: 'gold' } }); // enters gold
    stripe.advance(2);
    stripe.delete('cus_2');
    const events = stripe.delivered().slice(before);
    const outcomes = await deliver(applier, tables, events);

    const customers = applied(outcomes.customers);
    expect(customers.applied).toHaveLength(4);
    expect(tables.customers.rows.get('cus_new')).toMatchObject({
      email: 'new@example.com',
      updated: events[0]!.created,
      is_deleted: false,
    });
    expect(tables.customers.rows.has('cus_2')).toBe(false);
    expect(customers.items.map((item) => [item.record.id, item.change])).toEqual([
      ['cus_new', 'created'],
      ['cus_0', 'updated'],
      ['cus_1', 'updated'],
      ['cus_2', 'deleted'],
    ]);

    const goldOutcome = applied(outcomes.gold);
    expect([...tables.gold.rows.keys()].sort()).toEqual(['cus_1', 'cus_4', 'cus_new']);
    expect(tables.gold.rows.get('cus_1')).toEqual({
      email: 'c1@example.com',
      plan: 'gold',
      _stripe_id: 'cus_1',
      _stripe_updated: events[2]!.created,
      _stripe_is_deleted: false,
      _ab_cdc_deleted_at: null,
    });
    // As a run says it: entering the filter is new to the pipeline, leaving it a deletion;
    // stripeChange keeps what Stripe's events say happened.
    expect(
      goldOutcome.items.map((item) => [item.record._stripe_id, item.change, item.stripeChange]),
    ).toEqual([
      ['cus_new', 'created', 'created'],
      ['cus_1', 'created', 'updated'],
      ['cus_0', 'deleted', 'updated'],
      ['cus_2', 'deleted', 'deleted'],
    ]);
    // Every customer concerned has its version, those without a row included.
    expect(Object.fromEntries(goldOutcome.versions)).toEqual({
      cus_new: events[0]!.created,
      cus_0: events[1]!.created,
      cus_1: events[2]!.created,
      cus_2: events[3]!.created,
    });
    // Payloads of the pinned version stand for the customer: nothing was retrieved.
    expect(stripe.calls.filter((call) => call.call === 'retrieveCustomer')).toEqual([]);
    // The state lists them as processed; the cursor stays where the last run put it.
    expect(goldOutcome.state.events_cursor).toBe(
      (tables.gold.state as SingleAccountState).events_cursor,
    );
  });

  it('apply a duplicate once, within a batch or in a later one', async () => {
    const { stripe, tables, applier } = await twoPipelines();
    stripe.update('cus_3', { email: 'three@example.com' });
    const [event] = stripe.delivered().slice(-1);
    const first = await deliver(applier, tables, [event, event]);
    expect(applied(first.customers).items).toHaveLength(1);
    expect(applied(first.customers).applied).toEqual([event!.id]);
    const again = await deliver(applier, tables, [event]);
    expect(applied(again.customers)).toMatchObject({ items: [], applied: [], alreadyProcessed: 1 });
  });

  it('let an older delivery after a newer one change nothing, a deleted customer included', async () => {
    const { stripe, tables, applier } = await twoPipelines();
    const before = stripe.delivered().length;
    stripe.update('cus_4', { email: 'older@example.com' });
    stripe.advance(1);
    stripe.update('cus_4', { email: 'newer@example.com' });
    stripe.advance(1);
    stripe.update('cus_5', { metadata: { plan: 'gold' } });
    stripe.advance(1);
    stripe.delete('cus_5');
    const [older, newer, enters, deleted] = stripe.delivered().slice(before);
    await deliver(applier, tables, [newer, deleted]);
    expect(tables.customers.rows.get('cus_4')).toMatchObject({ email: 'newer@example.com' });
    const late = await deliver(applier, tables, [older, enters]);
    expect(applied(late.customers)).toMatchObject({ items: [], older: 2 });
    expect(applied(late.gold)).toMatchObject({ items: [], older: 2 });
    expect(tables.customers.rows.get('cus_4')).toMatchObject({ email: 'newer@example.com' });
    expect(tables.customers.rows.has('cus_5')).toBe(false);
    expect(tables.gold.rows.has('cus_5')).toBe(false);
  });

  it('end two same-second events of a customer in its current state, delivered together or one after the other', async () => {
    const { stripe, tables, applier } = await twoPipelines();
    const before = stripe.delivered().length;
    // Two changes in one second: which payload is the later one cannot be told.
    stripe.update('cus_1', { email: 'first@example.com' });
    stripe.update('cus_1', { email: 'second@example.com' });
    const [first, second] = stripe.delivered().slice(before);
    await deliver(applier, tables, [second, first]);
    expect(tables.customers.rows.get('cus_1')).toMatchObject({ email: 'second@example.com' });
    expect(stripe.calls.filter((call) => call.call === 'retrieveCustomer')).toHaveLength(1);

    // Apart: the second delivery finds that second already written, and retrieves.
    stripe.advance(5);
    const start = stripe.delivered().length;
    stripe.update('cus_3', { email: 'a@example.com' });
    stripe.update('cus_3', { email: 'b@example.com' });
    const [a, b] = stripe.delivered().slice(start);
    await deliver(applier, tables, [b]);
    await deliver(applier, tables, [a]);
    expect(tables.customers.rows.get('cus_3')).toMatchObject({ email: 'b@example.com' });
    expect(stripe.calls.filter((call) => call.call === 'retrieveCustomer')).toHaveLength(2);
  });

  it('retrieve a customer whose payload is of another API version, once for every pipeline', async () => {
    const { stripe, tables, applier } = await twoPipelines();
    stripe.update('cus_0', { email: 'zero@example.com' }, { event: { apiVersion: '2019-09-09' } });
    await deliver(applier, tables, stripe.delivered().slice(-1));
    expect(stripe.calls.filter((call) => call.call === 'retrieveCustomer')).toEqual([
      { call: 'retrieveCustomer', params: 'cus_0' },
    ]);
    expect(tables.customers.rows.get('cus_0')).toMatchObject({ email: 'zero@example.com' });
    expect(tables.gold.rows.get('cus_0')).toMatchObject({ email: 'zero@example.com' });
  });

  it('are left to the next run by pipelines that cannot take them, saying why', async () => {
    const stripe = account();
    const config = configWith({
      customer_model: MODEL,
      pipelines: [
        { name: 'fresh' },
        { name: 'importing' },
        { name: 'changed', filter: gold },
        { name: 'refreshed', incremental: false },
        { name: 'off', enabled: false },
      ],
    });
    const importing = new Table();
    await run(stripe, config, 'importing', importing);
    const changed = new Table();
    // Its state was saved before its filter was added.
    await run(stripe, configWith({ pipelines: [{ name: 'changed' }] }), 'changed', changed);
    stripe.update('cus_1', { email: 'x@example.com' });
    const outcomes = await deliver(
      new WebhookApplier(config, { stripe }),
      { fresh: new Table(), importing, changed, refreshed: new Table(), off: new Table() },
      stripe.delivered().slice(-1),
      { importUnderWay: ['importing'] },
    );
    const reasons = Object.fromEntries(
      Object.entries(outcomes).map(([name, outcome]) => [
        name,
        outcome.kind === 'not_applied' ? outcome.reason : outcome.kind,
      ]),
    );
    expect(reasons).toEqual({
      fresh: 'it has not run yet: its first run imports every customer',
      importing:
        'its full import is not finished: when it is, the changes made meanwhile are read from the event log',
      changed: 'its definition changed since its last run, which imports every customer again',
      refreshed: 'it is not incremental: each run imports every customer again',
      off: 'it is disabled',
    });
  });

  it('share processed events with the runs: a run applies only what deliveries missed, and deliveries skip what a run read', async () => {
    const { stripe, config, tables, applier } = await twoPipelines();
    const before = stripe.delivered().length;
    for (let i = 0; i < 6; i++) {
      stripe.update(`cus_${i}`, { email: `round1-${i}@example.com` });
      stripe.advance(1);
    }
    const events = stripe.delivered().slice(before);
    // Every other delivery is dropped; the rest arrive.
    const dropped = events.filter((_, index) => index % 2 === 1);
    await deliver(
      applier,
      tables,
      events.filter((_, index) => index % 2 === 0),
    );
    stripe.advance(60);
    const reconcile = await run(stripe, config, 'customers', tables.customers);
    // The run emits exactly the customers whose delivery was dropped.
    expect(reconcile.items.map((item) => item.record.id).sort()).toEqual(
      dropped.map((event) => (event.data as { object: { id: string } }).object.id).sort(),
    );
    expect(reconcile.summary?.emitted).toBe(3);
    for (let i = 0; i < 6; i++) {
      expect(tables.customers.rows.get(`cus_${i}`)?.email).toBe(`round1-${i}@example.com`);
    }
    // The dropped ones, delivered late after all (a retry), are not applied again.
    const late = await deliver(applier, tables, dropped);
    expect(applied(late.customers)).toMatchObject({ items: [], applied: [], alreadyProcessed: 3 });
  });

  it('a run meeting an event processed by a delivery in the same second retrieves the customer instead of trusting its payload', async () => {
    const { stripe, config, tables, applier } = await twoPipelines();
    const before = stripe.delivered().length;
    stripe.update('cus_5', { email: 'one@example.com' });
    stripe.update('cus_5', { email: 'two@example.com' });
    const [one, two] = stripe.delivered().slice(before);
    // The second is delivered (and applied from its payload); the first is dropped.
    await deliver(applier, tables, [two]);
    expect(tables.customers.rows.get('cus_5')?.email).toBe('two@example.com');
    stripe.advance(60);
    const retrievesBefore = stripe.calls.filter((call) => call.call === 'retrieveCustomer').length;
    await run(stripe, config, 'customers', tables.customers);
    expect(stripe.calls.filter((call) => call.call === 'retrieveCustomer').length).toBe(
      retrievesBefore + 1,
    );
    expect(tables.customers.rows.get('cus_5')?.email).toBe('two@example.com');
    expect(one).toBeDefined();
  });

  it("a run meeting, in a change's second, a related object's event it processed before retrieves the customer", async () => {
    const stripe = account();
    const config = configWith({ pipelines: [{ name: 'customers' }] });
    const table = new Table();
    await run(stripe, config, 'customers', table);
    stripe.advance(30);
    const second = stripe.now;
    // In one second: an update listed late, then a discount (its own event only).
    stripe.update('cus_5', { email: 'late@example.com' }, { event: { listedFrom: second + 60 } });
    const discount = { id: 'di_5', object: 'discount', customer: 'cus_5', subscription: null };
    Object.assign(stripe.customer('cus_5')!, { discount });
    stripe.addEvent({
      id: 'evt_discount_5',
      type: 'customer.discount.created',
      created: second,
      object: discount,
    });
    stripe.advance(30);
    await run(stripe, config, 'customers', table);
    expect(table.rows.get('cus_5')).toMatchObject({ email: 'late@example.com', discount });
    // The update's payload (without the discount) shares the second of what was written: the
    // customer is retrieved instead, and keeps its discount.
    stripe.advance(60);
    const retrievesBefore = stripe.calls.filter((call) => call.call === 'retrieveCustomer').length;
    const late = await run(stripe, config, 'customers', table);
    expect(late.items.map((item) => item.record.id)).toEqual(['cus_5']);
    expect(stripe.calls.filter((call) => call.call === 'retrieveCustomer').length).toBe(
      retrievesBefore + 1,
    );
    expect(table.rows.get('cus_5')).toMatchObject({ email: 'late@example.com', discount });
  });

  it('leave a customer whose transformation fails (on_error: fail) to the next run, and apply the others', async () => {
    const stripe = account();
    const config = configWith({
      customer_model: [{ name: 'email', type: 'string', nullable: false }],
      pipelines: [
        {
          name: 'strict',
          transformation: { type: 'mapping', mappings: [{ to: 'email', from: 'email' }] },
        },
      ],
    });
    const table = new Table('_stripe_id', '_stripe_updated');
    await run(stripe, config, 'strict', table);
    stripe.advance(5);
    const before = stripe.delivered().length;
    stripe.update('cus_1', { email: null });
    stripe.update('cus_2', { email: 'fine@example.com' });
    const outcome = applied(
      (
        await deliver(
          new WebhookApplier(config, { stripe }),
          { strict: table },
          stripe.delivered().slice(before),
        )
      ).strict,
    );
    expect(outcome.items.map((item) => item.record._stripe_id)).toEqual(['cus_2']);
    expect(outcome.leftToRun).toEqual([
      {
        customerId: 'cus_1',
        eventIds: [expect.any(String)],
        reason: expect.stringMatching(
          /customer cus_1 does not fit the Customer Model: email: is not nullable/,
        ),
      },
    ]);
    expect(outcome.versions.has('cus_1')).toBe(false);
    // Not listed as processed: the next run reads it from the event log (and fails on it, visibly).
    stripe.advance(60);
    const next = await runEngine(stripe, config, { name: 'strict', state: table.state });
    expect(next.failure?.kind).toBe('data');
  });

  it('tell what a delivered event is, and whether it belongs to the Stripe data the config reads', () => {
    const stripe = account();
    stripe.update('cus_0', { email: 'x@example.com' });
    const [event] = stripe.delivered().slice(-1);
    const facts = readWebhookEvent(event);
    expect(facts).toMatchObject({
      kind: 'customer',
      type: 'customer.updated',
      customerId: 'cus_0',
      livemode: false,
    });
    expect(readWebhookEvent({ id: 'evt_1', type: 'invoice.paid' })).toEqual({
      kind: 'other',
      id: 'evt_1',
      type: 'invoice.paid',
    });
    expect(
      readWebhookEvent({ id: 'evt_2', type: 'customer.updated', created: 1, data: {} }),
    ).toMatchObject({ kind: 'malformed' });
    // Events of objects that change a customer's fields carry no customer: the runs read them.
    expect(
      readWebhookEvent({
        id: 'evt_3',
        type: 'customer.discount.created',
        created: 1,
        data: { object: { id: 'di_1', object: 'discount', customer: 'cus_0' } },
      }),
    ).toEqual({ kind: 'other', id: 'evt_3', type: 'customer.discount.created' });
    if (facts.kind !== 'customer') throw new Error('not a customer event');
    expect(foreignEventReason(configWith(), facts)).toBeUndefined();
    expect(foreignEventReason(configWith({ api_key: 'rk_live_scripted' }), facts)).toMatch(
      /test-mode event, but the API key reads live-mode data/,
    );
    expect(foreignEventReason(configWith(), { ...facts, account: 'acct_other' })).toMatch(
      /connected account acct_other/,
    );
  });

  it("leave customers on a test clock out, as Stripe's list and the runs do", async () => {
    const { stripe, tables, applier } = await twoPipelines();
    const before = stripe.delivered().length;
    stripe.create({ id: 'cus_clocked', email: 'clocked@example.com', test_clock: 'clock_1' });
    const outcome = applied(
      (await deliver(applier, tables, stripe.delivered().slice(before))).customers,
    );
    expect(outcome.items).toEqual([]);
    expect(outcome.filteredOut).toBe(1);
    expect(tables.customers.rows.has('cus_clocked')).toBe(false);
  });

  it("leave a config reading connected accounts to its runs, which read each account's event log", async () => {
    const { stripe, tables } = await twoPipelines();
    const platform = configWith({ connected_accounts: 'all', include_platform_account: true });
    const before = stripe.delivered().length;
    stripe.update('cus_3', { email: 'three@example.com' });
    const events = stripe.delivered().slice(before);
    const outcomes = await deliver(
      new WebhookApplier(platform, { stripe }),
      { customers: tables.customers },
      events,
    );
    expect(outcomes.customers).toMatchObject({
      kind: 'not_applied',
      reason: expect.stringMatching(/reads connected accounts \(connected_accounts\)/),
    });
    const facts = readWebhookEvent(events[0]);
    if (facts.kind !== 'customer') throw new Error('not a customer event');
    expect(foreignEventReason(platform, { ...facts, account: 'acct_1' })).toMatch(
      /deliveries are applied only for a config reading one account/,
    );
  });
});
