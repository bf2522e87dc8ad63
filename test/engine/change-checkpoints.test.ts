/**
 * Where incremental runs put their checkpoints, and what a run resumed from one must still know,
 * in process against a scripted Stripe:
 * - a change whose events span longer than the overlap (a customer leaves the filter, then changes
 *   again minutes later): a run killed between batches resumes from the change's first event, so
 *   it still sees that the customer left and deletes it downstream;
 * - the overlap's first second: events processed at exactly `cursor - overlap` are kept as
 *   processed, so the next run (or a resumed one), which re-reads that second, skips them instead
 *   of emitting their customers again.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { ByIdDestination, configWith, idsOf, runEngine, type EngineRun } from './harness';

const OVERLAP = 300;
const SETTLE = 10;
/** Changes emitted between two checkpoints of a window (connector/pipeline/run.ts). */
const CHANGE_BATCH = 100;

const gold = {
  logical: 'all',
  conditions: [{ property: 'metadata.plan', operator: 'is', values: ['gold'] }],
};

/** `count` gold customers created a day ago, `cus_0000`…, and the clock now. */
function goldAccount(count: number): ScriptedStripe {
  const stripe = new ScriptedStripe();
  for (let i = 0; i < count; i++) {
    stripe.create(
      { id: `cus_${String(i).padStart(4, '0')}`, metadata: { plan: 'gold' } },
      { silent: true, created: stripe.now - 86_400 + i },
    );
  }
  return stripe;
}

const config = () =>
  configWith({
    events_overlap_seconds: OVERLAP,
    events_settle_seconds: SETTLE,
    pipelines: [{ name: 'customers', filter: gold }],
  });

const goldIds = (stripe: ScriptedStripe) =>
  idsOf(
    stripe
      .liveCustomers()
      .filter((customer) => (customer.metadata as Record<string, string>).plan === 'gold'),
  );

/** How often each customer was emitted, across runs. */
function emissions(...runs: EngineRun[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const run of runs) {
    for (const { record } of run.items) {
      const id = String(record.id);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

describe('a change whose events span longer than the overlap', () => {
  it('still deletes a customer that left the filter when the run is killed before the change and resumed', async () => {
    const stripe = goldAccount(CHANGE_BATCH + 1);
    const destination = new ByIdDestination();
    const imported = await runEngine(stripe, config());
    destination.apply(imported.items);
    stripe.advance(20);
    // A full batch of changes first, so the next checkpoint falls right before the spanning one.
    for (let i = 0; i < CHANGE_BATCH; i++) {
      stripe.update(`cus_${String(i).padStart(4, '0')}`, { name: `renamed ${i}` });
    }
    stripe.advance(5);
    const leftAt = stripe.now;
    const leaver = `cus_${String(CHANGE_BATCH).padStart(4, '0')}`;
    stripe.update(leaver, { metadata: { plan: 'free' } });
    // Longer than the overlap after it, the same customer changes again (still not gold).
    stripe.advance(OVERLAP + 100);
    stripe.update(leaver, { name: 'left, then renamed' });
    stripe.advance(SETTLE + 20);

    const killed = await runEngine(stripe, config(), {
      state: imported.states.at(-1),
      stopAfterCheckpoints: 1,
    });
    destination.apply(killed.items);
    const checkpoint = killed.states.at(-1) as PipelineState;
    // The kill came after the first batch, before the leaver's change was emitted.
    expect(killed.items).toHaveLength(CHANGE_BATCH);
    expect(killed.items.map((item) => item.record.id)).not.toContain(leaver);
    // The checkpoint does not pass the first event of the change still to emit...
    expect(checkpoint.events_cursor).toBeLessThanOrEqual(leftAt);

    const resumed = await runEngine(stripe, config(), { state: checkpoint });
    expect(resumed.failure).toBeUndefined();
    destination.apply(resumed.items);
    // ...so the resumed run sees the customer leave, and deletes it downstream.
    expect(resumed.items.find((item) => item.record.id === leaver)?.change).toBe('deleted');
    expect(destination.ids()).toEqual(goldIds(stripe));
    // Nothing of the first batch comes again.
    expect([...emissions(killed, resumed).values()].every((count) => count === 1)).toBe(true);
  });
});

describe("the overlap's first second", () => {
  it('is kept as processed: the next run re-reads it and emits nothing again', async () => {
    const stripe = goldAccount(3);
    const first = await runEngine(stripe, config());
    stripe.advance(20);
    const changedAt = stripe.now;
    stripe.update('cus_0001', { name: 'changed' });
    // The next run ends exactly one overlap after the change: the change's second is the first
    // second of the overlap the run after it re-reads.
    stripe.advance(OVERLAP + SETTLE);
    const second = await runEngine(stripe, config(), { state: first.states.at(-1) });
    expect(second.items.map((item) => item.record.id)).toEqual(['cus_0001']);
    const saved = second.states.at(-1) as PipelineState;
    expect(saved.events_cursor - OVERLAP).toBe(changedAt);
    expect(saved.seen_events?.map(([second]) => second)).toContain(changedAt);

    stripe.advance(20);
    const third = await runEngine(stripe, config(), { state: saved });
    expect(third.items).toEqual([]);
    expect(third.logs.join('\n')).toMatch(/1 event\(s\) of the overlap were processed/);
  });

  it('is kept as processed at a checkpoint between batches: a resumed run repeats no customer', async () => {
    const stripe = goldAccount(CHANGE_BATCH + 1);
    const imported = await runEngine(stripe, config());
    stripe.advance(20);
    // A first batch spread over exactly one overlap: its first change `OVERLAP` seconds before the
    // change that starts the next batch, which is where the checkpoint between them falls.
    const firstAt = stripe.now;
    for (let i = 0; i < CHANGE_BATCH; i++) {
      stripe.update(`cus_${String(i).padStart(4, '0')}`, { name: `renamed ${i}` });
      if (i < CHANGE_BATCH - 1) stripe.advance(3);
    }
    stripe.now = firstAt + OVERLAP;
    stripe.update(`cus_${String(CHANGE_BATCH).padStart(4, '0')}`, { name: 'next batch' });
    stripe.advance(SETTLE + 20);

    const killed = await runEngine(stripe, config(), {
      state: imported.states.at(-1),
      stopAfterCheckpoints: 1,
    });
    const checkpoint = killed.states.at(-1) as PipelineState;
    expect(killed.items).toHaveLength(CHANGE_BATCH);
    expect(checkpoint.events_cursor).toBe(firstAt + OVERLAP);
    const resumed = await runEngine(stripe, config(), { state: checkpoint });
    expect(resumed.failure).toBeUndefined();
    expect(resumed.items.map((item) => item.record.id)).toEqual([
      `cus_${String(CHANGE_BATCH).padStart(4, '0')}`,
    ]);
    expect([...emissions(killed, resumed).values()].every((count) => count === 1)).toBe(true);
  });
});
