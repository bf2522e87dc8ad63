/**
 * The events of the overlap before a new cursor, marked processed when the cursor is set (after a
 * full import, or for a "start from now" state): exactly the events of `[cursor - overlap,
 * cursor)`, at most five pages of them, none without an overlap.
 */
import { describe, expect, it } from 'vitest';
import { eventsAlreadyReflected } from '../../connector/pipeline/overlap';
import { stateStartingNow } from '../../connector/pipeline/start-now';
import { SeenEvents } from '../../connector/pipeline/seen-events';
import { ScriptedStripe } from '../support/scripted-stripe';

/** `count` updates, one customer each, `spacing` seconds apart, the last at `stripe.now`. */
function changes(stripe: ScriptedStripe, count: number, spacing: number): void {
  stripe.advance(-count * spacing);
  for (let i = 0; i < count; i++) {
    const id = `cus_${String(i).padStart(4, '0')}`;
    stripe.create({ id }, { silent: true, created: stripe.now - 86_400 });
    stripe.update(id, { name: `n${i}` });
    stripe.advance(spacing);
  }
}

const eventsOf = (stripe: ScriptedStripe) =>
  stripe.calls.filter((call) => call.call === 'listCustomerEvents');

describe('the events already reflected at a new cursor', () => {
  it('are those of [cursor - overlap, cursor), its first second included, its end excluded', async () => {
    const stripe = new ScriptedStripe();
    changes(stripe, 10, 10);
    const cursor = stripe.now - 20;
    const seen = await eventsAlreadyReflected(stripe, cursor, 50);
    // Events at cursor-50, -40, -30, -20, -10 (five); the one at the cursor is the next run's.
    expect(seen.size).toBe(5);
    const saved = seen.saved(cursor, 50).map(([second]) => second);
    expect(saved).toEqual([cursor - 50, cursor - 40, cursor - 30, cursor - 20, cursor - 10]);
    expect(eventsOf(stripe).map((call) => call.params)).toEqual([
      { created: { gte: cursor - 50, lt: cursor } },
    ]);
  });

  it('are read over several pages, up to five', async () => {
    const stripe = new ScriptedStripe();
    changes(stripe, 260, 1);
    const all = await eventsAlreadyReflected(stripe, stripe.now + 1, 3_600);
    expect(all.size).toBe(260);
    expect(eventsOf(stripe)).toHaveLength(3);
    // Each page continues after the last event of the one before.
    const pages = eventsOf(stripe).map((call) => call.params as { startingAfter?: string });
    expect(pages[0]!.startingAfter).toBeUndefined();
    expect(pages[1]!.startingAfter).toMatch(/^evt_/);
    expect(pages[2]!.startingAfter).not.toBe(pages[1]!.startingAfter);

    const busy = new ScriptedStripe();
    changes(busy, 700, 1);
    const capped = await eventsAlreadyReflected(busy, busy.now + 1, 3_600);
    expect(eventsOf(busy)).toHaveLength(5);
    // The newest 500: the older ones are processed again by the next run (a repeat, not a loss).
    expect(capped.size).toBe(500);
  });

  it('are none, without a request, when there is no overlap', async () => {
    const stripe = new ScriptedStripe();
    changes(stripe, 5, 1);
    expect((await eventsAlreadyReflected(stripe, stripe.now, 0)).size).toBe(0);
    expect(stripe.calls).toEqual([]);
  });
});

describe('a state starting now', () => {
  it("tracks changes from Stripe's clock less the settle time, with the overlap's events processed", async () => {
    const stripe = new ScriptedStripe();
    changes(stripe, 30, 10);
    const state = await stateStartingNow(stripe, 'fp', 10, 100);
    // Stripe's clock comes from one event, the cheapest request there is.
    expect(stripe.calls[0]).toEqual({
      call: 'listCustomerEvents',
      params: { created: { gte: 0 }, limit: 1 },
    });
    expect(state).toMatchObject({ version: 1, phase: 'incremental', fingerprint: 'fp' });
    expect(state.events_cursor).toBe(stripe.now - 10);
    // The events of the 100 seconds before the cursor: ten of them.
    const seen = SeenEvents.from(state.seen_events);
    expect(seen.size).toBe(10);
    expect(state.seen_events?.[0]?.[0]).toBe(stripe.now - 110);
  });
});
