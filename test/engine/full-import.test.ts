/**
 * Full imports through the customers list and the Search API at once, in process against a
 * scripted Stripe: every customer exactly once, whichever endpoint read it; a killed import
 * resumes without losing any and without repeating customers of finished slices; Search failing
 * leaves the list to finish alone.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const HOUR = 3600;

/** `count` customers spread over two years, a few dozen in the last hours. */
function account(count: number): ScriptedStripe {
  const stripe = new ScriptedStripe();
  const start = stripe.now - 2 * 365 * 86_400;
  for (let i = 0; i < count; i++) {
    // Denser recently: the last 5% within the last three hours.
    const created =
      i < count * 0.95
        ? start + Math.floor((i / (count * 0.95)) * (2 * 365 * 86_400 - 10 * HOUR))
        : stripe.now - 3 * HOUR + (i % 1000);
    stripe.create({ id: `cus_${String(i).padStart(6, '0')}` }, { silent: true, created });
  }
  return stripe;
}

const listAndSearch = () =>
  configWith({ full_import_endpoints: 'list_and_search', concurrency: 8 });

describe('full imports through list and search', () => {
  it('read every customer exactly once, the older ones through Search', async () => {
    const stripe = account(3000);
    const run = await runEngine(stripe, listAndSearch(), { syncMode: 'incremental' });
    expect(run.failure).toBeUndefined();
    const ids = run.items.map((item) => String(item.record.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(3000);
    const searches = stripe.calls.filter((call) => call.call === 'searchCustomers');
    const lists = stripe.calls.filter((call) => call.call === 'listCustomers');
    expect(searches.length).toBeGreaterThan(5);
    expect(lists.length).toBeGreaterThan(5);
    // Nothing created in the last six hours is searched (Search lags behind writes).
    for (const { params } of searches) {
      const upper = Number(/created<=(\d+)/.exec((params as { query: string }).query)?.[1]);
      expect(upper).toBeLessThan(stripe.now - 6 * HOUR);
    }
    // Change tracking starts before the horizon: whatever Search returned stale is read again.
    const state = run.states.at(-1) as PipelineState;
    expect(state.phase).toBe('incremental');
    expect(state.events_cursor).toBeLessThanOrEqual(stripe.now - 6 * HOUR);
  });

  it('changes Search missed are read from events by the next run', async () => {
    const stripe = account(1200);
    stripe.freezeSearch();
    // Changed after the search index froze: Search still shows the old names.
    const changed = Array.from({ length: 60 }, (_, i) => `cus_${String(i * 10).padStart(6, '0')}`);
    for (const id of changed) stripe.update(id, { name: 'renamed' });
    stripe.advance(30);
    const first = await runEngine(stripe, listAndSearch());
    const stale = first.items.filter(
      (item) => changed.includes(String(item.record.id)) && item.record.name !== 'renamed',
    );
    // Some of them were read through the lagging Search...
    expect(stale.length).toBeGreaterThan(0);
    stripe.advance(60);
    const next = await runEngine(stripe, listAndSearch(), { state: first.states.at(-1) });
    // ...and every one of those is read again, current.
    for (const item of stale) {
      const again = next.items.find((candidate) => candidate.record.id === item.record.id);
      expect(again?.record.name).toBe('renamed');
    }
  });

  it('resumes a killed import without losing customers or repeating finished slices', async () => {
    const stripe = account(2500);
    const config = listAndSearch();
    const full = await runEngine(stripe, config, { syncMode: 'full_refresh' });
    const total = new Set(full.items.map((item) => String(item.record.id)));
    for (const stopAfter of [1, 4, 9, 15]) {
      const killed = await runEngine(stripe, config, {
        syncMode: 'full_refresh',
        stopAfterCheckpoints: stopAfter,
      });
      const state = killed.states.at(-1) as Extract<PipelineState, { phase: 'full_import' }>;
      expect(state.phase).toBe('full_import');
      const before = new Map(killed.items.map((item) => [String(item.record.id), item.record]));
      const resumed = await runEngine(stripe, config, { syncMode: 'full_refresh', state });
      const after = resumed.items.map((item) => item.record);
      const union = new Set([...before.keys(), ...after.map((record) => String(record.id))]);
      expect(union).toEqual(total);
      // A repeat is only ever a customer of a slice still open at the checkpoint, read whole
      // again (a searched slice has no cursor to resume from).
      const open = state.remaining.filter((slice) => slice.length === 2);
      for (const record of after) {
        if (!before.has(String(record.id))) continue;
        const created = record.created as number;
        expect(open.some(([gte, lte]) => created >= gte && created <= lte)).toBe(true);
      }
    }
  });

  it('falls back to the list alone, with one warning, when Search is not available', async () => {
    const stripe = account(1500);
    stripe.failNext('searchCustomers', () =>
      Object.assign(new Error('Search is not available for accounts in India.'), {}),
    );
    const run = await runEngine(stripe, listAndSearch());
    expect(run.failure).toBeUndefined();
    const ids = run.items.map((item) => String(item.record.id));
    expect(new Set(ids).size).toBe(1500);
    const warnings = run.logs.filter((line) => /Search API is not available/.test(line));
    expect(warnings).toHaveLength(1);
    // No search starts after the failure; one already in flight may finish its slice.
    const started = stripe.calls.filter(
      (call) => call.call === 'searchCustomers' && !(call.params as { page?: string }).page,
    );
    expect(started.length).toBeLessThanOrEqual(2);
  });

  it('cuts search chunks to about the pages asked for, however unevenly customers were created', async () => {
    // Two sparse years with a dense month in the middle: 60 times the density of the years
    // around it. A chunk sized from the density read elsewhere swallows the whole month.
    const stripe = new ScriptedStripe();
    const start = stripe.now - 2 * 365 * 86_400;
    const month = start + 365 * 86_400;
    for (let i = 0; i < 20_000; i++) {
      const created =
        i % 2 === 0
          ? start + Math.floor((i / 20_000) * (2 * 365 * 86_400 - 10 * HOUR))
          : month + Math.floor((i / 20_000) * 30 * 86_400);
      stripe.create({ id: `cus_${String(i).padStart(6, '0')}` }, { silent: true, created });
    }
    const run = await runEngine(
      stripe,
      configWith({ full_import_endpoints: 'list_and_search', concurrency: 2 }),
    );
    expect(new Set(run.items.map((item) => item.record.id)).size).toBe(20_000);
    const pagesPerChunk = new Map<string, number>();
    for (const { call, params } of stripe.calls) {
      if (call !== 'searchCustomers') continue;
      const { query } = params as { query: string };
      pagesPerChunk.set(query, (pagesPerChunk.get(query) ?? 0) + 1);
    }
    expect(pagesPerChunk.size).toBeGreaterThan(5);
    // 20 pages asked for; a chunk is read one page after the other, so a long one is the last
    // thing the import waits for.
    expect(Math.max(...pagesPerChunk.values())).toBeLessThanOrEqual(30);
  });

  it('keeps as many list readers as the pace can use, not the whole concurrency', async () => {
    /** A Stripe that answers after a few milliseconds and counts list requests in flight. */
    class TimedStripe extends ScriptedStripe {
      inFlight = 0;
      mostInFlight = 0;
      constructor(private readonly worth: number | undefined) {
        super();
      }
      inFlightWorth = () => this.worth;
      override async listCustomers(params: Parameters<ScriptedStripe['listCustomers']>[0]) {
        this.inFlight++;
        this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 3));
        try {
          return await super.listCustomers(params);
        } finally {
          this.inFlight--;
        }
      }
    }
    const fill = (stripe: ScriptedStripe) => {
      for (let i = 0; i < 6000; i++) {
        const created = stripe.now - 400 * 86_400 + i * 5000;
        stripe.create({ id: `cus_${String(i).padStart(6, '0')}` }, { silent: true, created });
      }
      return stripe;
    };
    const config = configWith({ full_import_endpoints: 'list', concurrency: 24 });
    // Pace x answer time = 2 requests worth having in flight: 2 x 1.5 + 2 = 5 readers.
    const paced = fill(new TimedStripe(2)) as TimedStripe;
    const run = await runEngine(paced, config);
    expect(new Set(run.items.map((item) => item.record.id)).size).toBe(6000);
    expect(paced.mostInFlight).toBeLessThanOrEqual(5);
    // A port that cannot tell (no pace): the whole concurrency.
    const unpaced = fill(new TimedStripe(undefined)) as TimedStripe;
    const all = await runEngine(unpaced, config);
    expect(new Set(all.items.map((item) => item.record.id)).size).toBe(6000);
    expect(unpaced.mostInFlight).toBeGreaterThan(10);
  });

  it('sends no upper bound on created for an import without one, new or resumed', async () => {
    const openEnded = (stripe: ScriptedStripe) =>
      stripe.calls.filter(({ call, params }) => {
        if (call === 'searchCustomers')
          return /created<=\d{11}/.test((params as { query: string }).query);
        const lte = (params as { created?: { lte?: number } }).created?.lte;
        return lte !== undefined && lte > stripe.now + 86_400;
      });
    const stripe = account(1500);
    const listed = await runEngine(stripe, configWith({ concurrency: 8 }), {
      syncMode: 'full_refresh',
      stopAfterCheckpoints: 2,
    });
    const both = account(1500);
    await runEngine(both, listAndSearch(), { syncMode: 'full_refresh' });
    // A state saved by an earlier version, whose open end is 99999999999: read without it too.
    const resumed = account(1500);
    await runEngine(resumed, configWith(), {
      syncMode: 'full_refresh',
      state: {
        ...(listed.states.at(-1) as PipelineState),
        remaining: [[0, 99_999_999_999]],
      } as PipelineState,
    });
    for (const run of [stripe, both, resumed]) {
      expect(run.calls.some(({ call }) => call === 'listCustomers')).toBe(true);
      expect(openEnded(run)).toEqual([]);
    }
    // The first page of a new import asks for every customer created since 0.
    expect(stripe.calls[0]?.params).toMatchObject({ created: { gte: 0 } });
  });

  it('lists only for sandbox keys by default', async () => {
    const stripe = account(800);
    await runEngine(stripe, configWith({ concurrency: 8 }));
    expect(stripe.calls.some((call) => call.call === 'searchCustomers')).toBe(false);
    const live = account(800);
    await runEngine(live, configWith({ api_key: 'sk_live_scripted', concurrency: 8 }));
    expect(live.calls.some((call) => call.call === 'searchCustomers')).toBe(true);
  });
});
