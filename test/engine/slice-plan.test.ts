/**
 * The full import's slice planner on its own, without a request: which slice each reader takes,
 * where slices are cut, what a checkpoint holds; and that however it cuts, the slices cover the
 * range exactly once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PAGE_SIZE,
  SEARCH_CHUNK_PAGES,
  SlicePlan,
  type CreatedSlice,
  type Slice,
} from '../../connector/stripe/slice-plan';

const DAY = 86_400;
const START = 1_600_000_000;
const END = START + 100 * DAY - 1;

/** A plan over 100 days that has learned one customer per `every` seconds, evenly. */
function planned(every = 86.4, readers = { list: 4, search: 2 }): SlicePlan {
  const plan = new SlicePlan([[START, END]], readers);
  plan.density.observe(START, END, Math.round((END - START + 1) / every));
  return plan;
}

/** A list reader on `slice`: it read a page and has more to go, as far down as `lte`. */
function reading(slice: Slice, lte: number): Slice {
  slice.via = 'list';
  slice.dense = true;
  slice.readLte = lte;
  slice.cursor = `cus_at_${lte}`;
  return slice;
}

/** Whether the slices cover [gte, lte] exactly once. */
function partitions(slices: readonly Slice[], gte: number, lte: number): boolean {
  const sorted = [...slices].sort((a, b) => a.gte - b.gte);
  let next = gte;
  for (const slice of sorted) {
    if (slice.gte !== next) return false;
    next = slice.committedLte + 1;
  }
  return next === lte + 1;
}

describe('the slice planner', () => {
  it('gives list readers idle slices first, then the older half of the busiest one', () => {
    const plan = planned();
    const [whole] = plan.slices;
    expect(plan.listWork()).toBe(whole);
    reading(whole!, END - DAY);
    // 99 days left at 1,000 customers a day: the older half, by customers, is 49.5 days.
    const older = plan.listWork()!;
    expect(older.gte).toBe(START);
    expect(older.readLte).toBeGreaterThan(START + 49 * DAY);
    expect(older.readLte).toBeLessThan(START + 50 * DAY);
    expect(whole!.gte).toBe(older.readLte + 1);
    expect(plan.slices).toHaveLength(2);
  });

  it('splits the half in customers, not in seconds, where customers are denser', () => {
    const plan = new SlicePlan([[START, END]], { list: 4, search: 0 });
    // The last 10 days hold as many customers as the 90 before them.
    plan.density.observe(START, START + 90 * DAY - 1, 9_000);
    plan.density.observe(START + 90 * DAY, END, 9_000);
    const whole = reading(plan.listWork()!, END);
    const older = plan.listWork()!;
    // Well past the half in seconds; about half the customers, as far as the density knows.
    expect(older.readLte).toBeGreaterThan(START + 60 * DAY);
    const left = plan.density.customersIn(START, END);
    const share = plan.density.customersIn(older.gte, older.readLte) / left;
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
    expect(whole.gte).toBe(older.readLte + 1);
  });

  it('leaves a slice with less than two pages to go to its reader', () => {
    const plan = planned(DAY / 1.5); // 1.5 customers a day: 150 customers in all
    reading(plan.listWork()!, END);
    expect(plan.listWork()).toBeUndefined();
  });

  it('gives search readers settled chunks of about SEARCH_CHUNK_PAGES pages from the oldest end', () => {
    const plan = planned(8.64, { list: 4, search: 2 }); // 10,000 customers a day
    const settledBefore = END - 10 * DAY;
    const work = plan.searchWork(settledBefore)!;
    expect(work.chunk.gte).toBe(START);
    expect(work.pages).toBeGreaterThan(SEARCH_CHUNK_PAGES * 0.9);
    expect(work.pages).toBeLessThan(SEARCH_CHUNK_PAGES * 1.1);
    expect(work.chunk.readLte).toBeLessThan(settledBefore);
    // Nothing before the density is known, and nothing unsettled.
    expect(new SlicePlan([[START, END]], { list: 4, search: 2 }).searchWork(END)).toBeUndefined();
    const recent = planned(8.64);
    expect(recent.searchWork(START)).toBeUndefined();
  });

  it('makes search chunks smaller towards the end of the import', () => {
    // 60 pages left in all, for 6 readers: 10 pages each, not 20.
    const plan = planned((100 * DAY) / (60 * PAGE_SIZE), { list: 4, search: 2 });
    const work = plan.searchWork(END)!;
    expect(work.pages).toBeGreaterThan(9);
    expect(work.pages).toBeLessThan(11);
  });

  it('cuts a chunk that counts far more than expected to its older part, the rest going back', () => {
    const plan = planned();
    const chunk = plan.searchWork(END)!.chunk;
    const { gte, readLte } = chunk;
    expect(plan.cutOversized(chunk, 30 * PAGE_SIZE, 20)).toBeUndefined();
    const older = plan.cutOversized(chunk, 200 * PAGE_SIZE, 20)!;
    expect(older.gte).toBe(gte);
    // A tenth of the customers counted: about a tenth of the seconds.
    const width = readLte - gte + 1;
    expect(older.readLte - gte + 1).toBeGreaterThan(width * 0.09);
    expect(older.readLte - gte + 1).toBeLessThan(width * 0.11);
    expect(chunk.gte).toBe(older.readLte + 1);
  });

  it('checkpoints what the consumer has taken: list pages move it, search pages only once done', () => {
    const plan = new SlicePlan([[START, END]], { list: 2, search: 1 });
    const [slice] = plan.slices as [Slice];
    plan.taken(slice, { lte: END - 5, cursor: 'cus_5' });
    expect(plan.remaining()).toEqual([[START, END - 5, 'cus_5']]);
    plan.taken(slice, 'pending');
    expect(plan.remaining()).toEqual([[START, END - 5, 'cus_5']]);
    plan.taken(slice, 'done');
    expect(plan.remaining()).toEqual([]);
    const resumed = new SlicePlan([[START, END, 'cus_9']], { list: 2, search: 0 });
    expect(resumed.slices[0]).toMatchObject({ gte: START, readLte: END, cursor: 'cus_9' });
  });

  it('however readers take work, the slices cover the range exactly once', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('list' as const) }),
      fc.record({ kind: fc.constant('search' as const), settled: fc.integer({ min: 0, max: 99 }) }),
      fc.record({
        kind: fc.constant('page' as const),
        which: fc.nat(),
        share: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
      }),
      fc.record({
        kind: fc.constant('cut' as const),
        which: fc.nat(),
        total: fc.integer({ min: 0, max: 100_000 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const plan = planned();
        for (const action of steps) {
          if (action.kind === 'list') plan.listWork();
          else if (action.kind === 'search') plan.searchWork(START + action.settled * DAY);
          else {
            const slice = plan.slices[action.which % plan.slices.length]!;
            if (action.kind === 'cut') plan.cutOversized(slice, action.total, 1);
            else if (slice.readLte > slice.gte) {
              const lte = slice.gte + Math.floor((slice.readLte - slice.gte) * action.share);
              reading(slice, Math.max(lte, slice.gte));
            }
          }
        }
        const saved: CreatedSlice[] = plan.remaining();
        expect(saved).toHaveLength(plan.slices.length);
        expect(partitions(plan.slices, START, END)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
