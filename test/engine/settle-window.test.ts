/**
 * Changes younger than `events_settle_seconds` are left for the next run; incremental runs count
 * them (`settlingEvents`) so the shells can say they come next time, at the cost of one extra
 * request at most. In process against a scripted Stripe.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

/** An account imported once, an hour ago, with `count` customers. */
async function imported(count: number) {
  const stripe = new ScriptedStripe();
  stripe.advance(-7_200);
  for (let i = 0; i < count; i++) {
    stripe.create({ id: `cus_${String(i).padStart(4, '0')}` }, { silent: true });
  }
  stripe.advance(3_600);
  const first = await runEngine(stripe, configWith());
  stripe.advance(3_600);
  return { stripe, state: first.states.at(-1) as PipelineState };
}

const eventRequests = (stripe: ScriptedStripe) =>
  stripe.calls.filter((call) => call.call === 'listCustomerEvents').length;

describe('the settle window', () => {
  it('counts the changes left for the next run, which then brings them', async () => {
    const { stripe, state } = await imported(10);
    stripe.update('cus_0001', { name: 'older' });
    stripe.advance(30);
    for (const id of ['cus_0002', 'cus_0003', 'cus_0004']) stripe.update(id, { name: 'just now' });
    stripe.advance(3);
    const run = await runEngine(stripe, configWith(), { state });
    expect(run.items.map((item) => item.record.id)).toEqual(['cus_0001']);
    expect(run.summary).toMatchObject({ mode: 'incremental', settlingEvents: 3 });
    expect(run.logs.at(-1)).toMatch(
      /changes read: 1 record\(s\) emitted, 3 event\(s\) younger than events_settle_seconds left for the next run\.$/,
    );

    stripe.advance(30);
    const next = await runEngine(stripe, configWith(), { state: run.states.at(-1) });
    expect(next.items.map((item) => item.record.id).sort()).toEqual([
      'cus_0002',
      'cus_0003',
      'cus_0004',
    ]);
    expect(next.summary?.settlingEvents).toBe(0);
  });

  it('reads at most one more page when the settling events fill the first one', async () => {
    const { stripe, state } = await imported(300);
    stripe.update('cus_0000', { name: 'older' });
    stripe.advance(30);
    for (let i = 1; i <= 150; i++)
      stripe.update(`cus_${String(i).padStart(4, '0')}`, { name: 'now' });
    stripe.advance(2);
    const before = eventRequests(stripe);
    const run = await runEngine(stripe, configWith(), { state });
    expect(run.summary?.settlingEvents).toBe(150);
    expect(run.items.map((item) => item.record.id)).toEqual(['cus_0000']);
    // The first page, one more for the settling events, and the window's own pages.
    const window = stripe.calls
      .slice(before)
      .filter(
        (call) =>
          call.call === 'listCustomerEvents' &&
          (call.params as { created: { gte: number } }).created.gte === stripe.now - 10,
      );
    expect(window).toHaveLength(1);
  });

  it('costs no extra request when the first page holds every event', async () => {
    const { stripe, state } = await imported(10);
    stripe.update('cus_0001', { name: 'just now' });
    stripe.advance(1);
    const before = eventRequests(stripe);
    const run = await runEngine(stripe, configWith(), { state });
    expect(run.summary?.settlingEvents).toBe(1);
    expect(eventRequests(stripe) - before).toBe(1);
  });
});
