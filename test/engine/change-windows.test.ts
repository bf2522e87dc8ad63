/**
 * How incremental runs read the event log, in process against a scripted Stripe: a backlog in
 * windows (each emitted and checkpointed before the next is read), a burst far denser than the
 * window was sized for read again shorter, a page cursor purged meanwhile, a page that says there
 * is more but holds nothing, cursors older than the event retention or ahead of Stripe's clock,
 * the lookback window and a record limit.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../connector';
import { StaleCursorError } from '../../connector/stripe/errors';
import type { EventPage } from '../../connector/stripe/port';
import { ScriptedStripe } from '../support/scripted-stripe';
import { ByIdDestination, configWith, idsOf, runEngine } from './harness';

/** `count` customers created silently two days ago, `cus_00000`…, and the clock now. */
function account(count: number): ScriptedStripe {
  const stripe = new ScriptedStripe();
  for (let i = 0; i < count; i++) {
    stripe.create(
      { id: `cus_${String(i).padStart(5, '0')}` },
      { silent: true, created: stripe.now - 2 * 86_400 + i },
    );
  }
  return stripe;
}

const id = (i: number) => `cus_${String(i).padStart(5, '0')}`;

/** An incremental state whose cursor is `seconds` before now. */
const stateAt = (cursor: number): PipelineState => ({
  version: 1,
  phase: 'incremental',
  events_cursor: cursor,
});

const config = (extra: Record<string, unknown> = {}) =>
  configWith({ events_overlap_seconds: 0, events_settle_seconds: 10, ...extra });

describe('a backlog of events', () => {
  it('is read window by window, each checkpointed, every change once', async () => {
    const stripe = account(3_000);
    const cursor = stripe.now;
    // Three hours of changes, one a second or so.
    for (let i = 0; i < 3_000; i++) {
      stripe.advance(i % 3 === 0 ? 4 : 3);
      stripe.update(id(i), { name: `changed ${i}` });
    }
    stripe.advance(60);
    const run = await runEngine(stripe, config(), { state: stateAt(cursor) });
    expect(run.failure).toBeUndefined();
    const ids = run.items.map((item) => String(item.record.id));
    expect(ids).toHaveLength(3_000);
    expect(new Set(ids).size).toBe(3_000);
    const windows = run.logs.filter((line) => /customer\(s\) changed from/.test(line));
    expect(windows.length).toBeGreaterThan(2);
    // Every checkpoint moves forward, and the last one is where the read ended.
    const cursors = run.states.map((state) => state.events_cursor);
    expect(cursors.length).toBeGreaterThan(windows.length);
    expect([...cursors].sort((a, b) => a - b)).toEqual(cursors);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(cursors.at(-1)).toBe(stripe.now - 10);
  });

  it('reads a burst far denser than its window was sized for again, shorter, losing nothing', async () => {
    const stripe = account(4_000);
    const cursor = stripe.now;
    // A quiet hour (one change a minute), then 3,500 changes within a minute.
    for (let i = 0; i < 60; i++) {
      stripe.advance(60);
      stripe.update(id(i), { name: 'quiet' });
    }
    for (let i = 60; i < 3_560; i++) {
      if (i % 60 === 0) stripe.advance(1);
      stripe.update(id(i), { name: 'burst' });
    }
    stripe.advance(3_600);
    for (let i = 3_560; i < 3_600; i++) {
      stripe.advance(30);
      stripe.update(id(i), { name: 'after' });
    }
    stripe.advance(60);
    const run = await runEngine(stripe, config(), { state: stateAt(cursor) });
    expect(run.failure).toBeUndefined();
    expect(new Set(run.items.map((item) => String(item.record.id))).size).toBe(3_600);
    expect(run.items).toHaveLength(3_600);
  });

  it('goes on from the second of a page cursor that was purged meanwhile', async () => {
    class PurgingStripe extends ScriptedStripe {
      purged = 0;
      override async listCustomerEvents(
        params: Parameters<ScriptedStripe['listCustomerEvents']>[0],
      ): Promise<EventPage> {
        if (params.startingAfter && this.purged === 0) {
          this.purged++;
          this.calls.push({ call: 'listCustomerEvents', params });
          throw new StaleCursorError('No such event');
        }
        return super.listCustomerEvents(params);
      }
    }
    const stripe = new PurgingStripe();
    for (let i = 0; i < 400; i++) {
      stripe.create({ id: id(i) }, { silent: true, created: stripe.now - 86_400 });
    }
    const cursor = stripe.now;
    for (let i = 0; i < 400; i++) {
      stripe.advance(1);
      stripe.update(id(i), { name: 'changed' });
    }
    stripe.advance(60);
    const run = await runEngine(stripe, config(), { state: stateAt(cursor) });
    expect(run.failure).toBeUndefined();
    expect(stripe.purged).toBe(1);
    expect(new Set(run.items.map((item) => String(item.record.id))).size).toBe(400);
    expect(run.items).toHaveLength(400);
  });

  it('stops, without passing its checkpoint, on a page that says there is more but holds nothing', async () => {
    class HollowStripe extends ScriptedStripe {
      override async listCustomerEvents(
        params: Parameters<ScriptedStripe['listCustomerEvents']>[0],
      ): Promise<EventPage> {
        const page = await super.listCustomerEvents(params);
        return params.startingAfter ? { ...page, items: [], hasMore: true } : page;
      }
    }
    const stripe = new HollowStripe();
    for (let i = 0; i < 300; i++) {
      stripe.create({ id: id(i) }, { silent: true, created: stripe.now - 86_400 });
    }
    const cursor = stripe.now;
    for (let i = 0; i < 300; i++) {
      stripe.advance(1);
      stripe.update(id(i), { name: 'changed' });
    }
    stripe.advance(60);
    const run = await runEngine(stripe, config(), { state: stateAt(cursor) });
    expect(run.failure?.message).toMatch(
      /a page of events that has more after it but no usable entry to continue from/,
    );
    expect((run.failure as { kind?: string }).kind).toBe('transient');
    expect(run.states).toEqual([]);
  });
});

describe('saved cursors', () => {
  it('older than the event retention lead to a full import, with a warning', async () => {
    const stripe = account(50);
    const run = await runEngine(stripe, config(), { state: stateAt(stripe.now - 31 * 86_400) });
    expect(run.failure).toBeUndefined();
    expect(run.logs.join('\n')).toMatch(/^WARN [^\n]*older than Stripe's 30-day event retention/m);
    expect(run.items.map((item) => item.change)).toEqual(Array(50).fill('listed'));
    expect(run.states.at(-1)?.phase).toBe('incremental');
  });

  it('within the retention (by an hour of margin) are read', async () => {
    const stripe = account(5);
    stripe.update(id(1), { name: 'changed' });
    stripe.advance(60);
    // Exactly at the margin: still read.
    const cursor = stripe.now - 30 * 86_400 + 3_600;
    const run = await runEngine(stripe, config(), { state: stateAt(cursor) });
    expect(run.logs.join('\n')).not.toMatch(/retention/);
    expect(run.items.map((item) => item.record.id)).toEqual([id(1)]);
  });

  it('ahead of Stripe clock read nothing and keep the state, with a warning', async () => {
    const stripe = account(5);
    const ahead = stateAt(stripe.now + 3_600);
    const run = await runEngine(stripe, config(), { state: ahead });
    expect(run.items).toEqual([]);
    expect(run.logs.join('\n')).toMatch(/^WARN [^\n]*is ahead of Stripe's clock/m);
    expect(run.states).toEqual([ahead]);
    // A few minutes of clock skew are tolerated.
    const skewed = stateAt(stripe.now + 200);
    const tolerated = await runEngine(stripe, config(), { state: skewed });
    expect(tolerated.logs.join('\n')).not.toMatch(/ahead of Stripe's clock/);
    expect(tolerated.states.at(-1)?.events_cursor).toBe(skewed.events_cursor);
  });
});

describe('the lookback window', () => {
  it('re-reads whole days before the cursor, repeating what was emitted', async () => {
    const stripe = account(10);
    const first = await runEngine(stripe, config());
    stripe.update(id(3), { name: 'changed' });
    stripe.advance(60);
    const second = await runEngine(stripe, config(), { state: first.states.at(-1) });
    expect(second.items.map((item) => item.record.id)).toEqual([id(3)]);
    stripe.advance(60);
    const again = await runEngine(stripe, config({ lookback_window_days: 1 }), {
      state: second.states.at(-1),
    });
    expect(again.items.map((item) => item.record.id)).toEqual([id(3)]);
    const without = await runEngine(stripe, config(), { state: second.states.at(-1) });
    expect(without.items).toEqual([]);
  });
});

describe('a destination fed window by window', () => {
  it('ends equal to Stripe after a backlog of creations, changes and deletions', async () => {
    const stripe = account(600);
    const destination = new ByIdDestination();
    const first = await runEngine(stripe, config());
    destination.apply(first.items);
    for (let i = 0; i < 600; i++) {
      stripe.advance(2);
      if (i % 5 === 0) stripe.delete(id(i));
      else if (i % 5 === 1) stripe.create({ id: `cus_new_${i}` });
      else stripe.update(id(i), { name: `n${i}` });
    }
    stripe.advance(60);
    const second = await runEngine(stripe, config(), { state: first.states.at(-1) });
    destination.apply(second.items);
    expect(destination.ids()).toEqual(idsOf(stripe.liveCustomers()));
    for (const customer of stripe.liveCustomers()) {
      expect(destination.rows.get(String(customer.id))?.name).toBe(customer.name);
    }
    const changes = second.items.map((item) => item.change);
    expect(changes.filter((change) => change === 'deleted')).toHaveLength(120);
    expect(changes.filter((change) => change === 'created')).toHaveLength(120);
  });
});
