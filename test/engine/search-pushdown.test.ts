/**
 * Full imports through a filter pushed down to the Search API (`use_search_api`), in process
 * against a scripted Stripe: every matching customer comes once, change tracking starts early
 * enough to correct what a lagging Search missed, a killed search resumes by listing its range,
 * and a Search that is not available leaves the list to do the work, with one warning.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const gold = {
  logical: 'all',
  conditions: [
    { property: 'metadata.plan', operator: 'is', values: ['gold'], case_sensitive: true },
  ],
};

/** 450 customers over a year, every third one gold. */
function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  for (let i = 0; i < 450; i++) {
    stripe.create(
      {
        id: `cus_${String(i).padStart(4, '0')}`,
        metadata: { plan: i % 3 === 0 ? 'gold' : 'free' },
      },
      { silent: true, created: stripe.now - 365 * 86_400 + i * 60_000 },
    );
  }
  return stripe;
}

const config = (extra: Record<string, unknown> = {}) =>
  configWith({
    use_search_api: true,
    search_lag_seconds: 1_800,
    events_settle_seconds: 10,
    pipelines: [{ name: 'customers', filter: gold }],
    ...extra,
  });

const goldIds = (stripe: ScriptedStripe) =>
  stripe
    .liveCustomers()
    .filter((customer) => (customer.metadata as Record<string, string>).plan === 'gold')
    .map((customer) => String(customer.id))
    .sort();

describe('full imports through the Search API', () => {
  it('read every matching customer once, and start change tracking before Search could lag', async () => {
    const stripe = account();
    const run = await runEngine(stripe, config());
    expect(run.failure).toBeUndefined();
    const ids = run.items.map((item) => String(item.record.id));
    expect(ids.length - new Set(ids).size).toBe(0);
    expect([...ids].sort()).toEqual(goldIds(stripe));
    const searches = stripe.calls.filter((call) => call.call === 'searchCustomers');
    expect(searches.length).toBe(5);
    expect((searches[0]!.params as { query: string }).query).toMatch(/metadata\['plan'\]:'gold'/);
    expect(stripe.calls.some((call) => call.call === 'listCustomers')).toBe(false);
    expect(run.logs.join('\n')).toMatch(/^INFO [^\n]*reading through the Search API: /m);
    // Search lags writes: the next run reads every change from lag + settle before the search.
    const state = run.states.at(-1) as PipelineState;
    expect(state.phase).toBe('incremental');
    expect(state.events_cursor).toBe(stripe.now - 10 - 1_800);
    // Each page is checkpointed with the whole range still to do until the search is done.
    const pages = run.states.slice(0, -1) as Array<
      Extract<PipelineState, { phase: 'full_import' }>
    >;
    expect(pages.map((page) => page.remaining)).toEqual([
      ...Array.from({ length: 4 }, () => [[0, 99_999_999_999]]),
      [],
    ]);
  });

  it('resume a killed search by listing its range: nothing lost', async () => {
    const stripe = account();
    const killed = await runEngine(stripe, config(), { stopAfterCheckpoints: 2 });
    const state = killed.states.at(-1) as PipelineState;
    expect(state.phase).toBe('full_import');
    const resumed = await runEngine(stripe, config(), { state });
    const all = new Set([...killed.items, ...resumed.items].map((item) => String(item.record.id)));
    expect([...all].sort()).toEqual(goldIds(stripe));
    expect(resumed.items.map((item) => String(item.record.id)).sort()).toEqual(goldIds(stripe));
    // The resumed run lists (search pages cannot be resumed) and keeps the search's early cursor.
    expect(resumed.states.at(-1)?.events_cursor).toBe(state.events_cursor);
  });

  it('fall back to the list, with one warning, when Search is not available', async () => {
    const stripe = account();
    stripe.failNext('searchCustomers', () => new Error('Search is not available in India.'));
    const run = await runEngine(stripe, config());
    expect(run.failure).toBeUndefined();
    expect(run.items.map((item) => String(item.record.id)).sort()).toEqual(goldIds(stripe));
    const warnings = run.logs.filter((line) => /^WARN .*Search API is not available/.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Search is not available in India\.\); listing customers instead/);
    // Listed, not searched: change tracking starts at the import (no lag to make up for).
    expect(run.states.at(-1)?.events_cursor).toBe(stripe.now - 10);
  });

  it('is not used without use_search_api, nor for a filter it cannot answer', async () => {
    const listed = account();
    await runEngine(listed, config({ use_search_api: false }));
    expect(listed.calls.some((call) => call.call === 'searchCustomers')).toBe(false);
    const unanswerable = account();
    await runEngine(
      unanswerable,
      config({
        pipelines: [
          {
            name: 'customers',
            filter: {
              logical: 'all',
              conditions: [{ property: 'balance', operator: 'greater_than', values: [0] }],
            },
          },
        ],
      }),
    );
    expect(unanswerable.calls.some((call) => call.call === 'searchCustomers')).toBe(false);
  });
});
