import { BoundedQueue } from '../util/bounded-queue';
import type { StripePort } from './port';
import { isWellFormedCustomer, type StripeCustomer } from './customer-schema';
import { TransientError, errorMessage } from '../errors';
import { StaleCursorError } from './errors';

/**
 * An inclusive range of customer `created` times (unix seconds) still to be read; with `after`,
 * the customers of second `lte` up to and including that id (in list order) are already out, so
 * a resumed read continues right after it instead of repeating the second.
 */
export type CreatedSlice =
  readonly [gte: number, lte: number] | readonly [gte: number, lte: number, after: string];

export interface SliceReadOptions {
  /** Pages read at once. The request gate still bounds requests per second. */
  concurrency: number;
  /** Exact email pushed down to the list (Stripe's `email` parameter). */
  email?: string;
  /**
   * Also read through the Search API (its own endpoint and rate limit), at the same time as the
   * list: slices created before `settledBefore(serverTime)` may be searched. Search results lag
   * behind writes: the caller starts change tracking early enough to correct them.
   */
  search?: {
    /** The created time below which a slice is settled enough to search, from Stripe's clock. */
    settledBefore: (serverTime: number) => number;
    /** Search failed (not offered for the account, not allowed for the key...): list alone. */
    onUnavailable: (reason: string) => void;
  };
}

export interface SlicePage {
  customers: StripeCustomer[];
  /** Objects in the page without a string id or an integer `created`, left out. */
  malformed: number;
  /** Server time the page was read at. */
  serverTime: number;
  /**
   * The slices still to emit once this page's customers are out. Saved as the checkpoint, it
   * makes a resumed run read exactly what is left (a few repeats only if the customer a slice
   * continues after was deleted meanwhile).
   */
  remaining: CreatedSlice[];
}

/** One contiguous range of `created`, read newest first by one worker at a time. */
class Slice {
  /** The endpoint reading it now. A searched slice is done or not at all: search pages have no cursor to resume from. */
  via: 'list' | 'search' | undefined;
  /** Read position: the next request asks for created <= readLte (after `cursor`). */
  readLte: number;
  cursor: string | undefined;
  /** Everything above committedLte (and at it, down to committedCursor) is with the consumer. */
  committedLte: number;
  committedCursor: string | undefined;
  busy = false;
  /** True once a page showed there is more to read: such a slice is worth splitting. */
  dense = false;
  /** Seconds of `created` the last full page covered: how dense the slice is. */
  lastPageSpan = 1;
  readDone = false;
  committedDone = false;

  constructor(
    public gte: number,
    lte: number,
    after?: string,
  ) {
    this.readLte = lte;
    this.committedLte = lte;
    this.cursor = after;
    this.committedCursor = after;
  }

  /** The slice as a checkpoint holds it. */
  saved(): CreatedSlice {
    return this.committedCursor === undefined
      ? [this.gte, this.committedLte]
      : [this.gte, this.committedLte, this.committedCursor];
  }

  /** Estimated pages still to read, at the density of the last page. */
  pagesLeft(): number {
    return (this.readLte - this.gte) / this.lastPageSpan;
  }

  /** Nothing of it has been read yet (a search can take it whole). */
  get fresh(): boolean {
    return this.cursor === undefined && !this.dense && !this.readDone;
  }
}

/**
 * A search takes at most about this many pages' worth of a slice at a time: a searched slice is
 * checkpointed only once done, so a killed run repeats at most this much of it.
 */
const SEARCH_CHUNK_PAGES = 10;
/** A chunk at most this many times longer than the last, so a dense year is not taken blindly. */
const MAX_CHUNK_GROWTH = 8;

interface PageResult {
  slice: Slice;
  customers: StripeCustomer[];
  malformed: number;
  serverTime: number;
  /** Read position after the page, 'done' when the slice is exhausted, 'pending' while searched. */
  next: number | 'done' | 'pending';
  /** The last customer of the page: where the read continues within second `next`. */
  cursor?: string;
}

/** Far enough in the future to stand for "no upper bound" in a saved slice. */
export const OPEN_END = 99_999_999_999;

/**
 * Lists every customer once by slicing the `created` range and reading slices concurrently.
 * Slices adapt to the data: a worker with nothing to do splits the widest slice that turned out
 * dense, and a slice that is empty costs one request. Pages leave through a bounded queue, so
 * memory stays flat, and the checkpoint reflects only what the consumer has taken.
 */
export async function* readCustomerSlices(
  api: StripePort,
  /** What to read: the whole `created` range of a new import, or a resumed one's saved slices. */
  start: ReadonlyArray<CreatedSlice>,
  options: SliceReadOptions,
): AsyncGenerator<SlicePage> {
  const slices: Slice[] = start.map(([gte, lte, after]) => new Slice(gte, lte, after));
  // Pages waiting for the consumer: enough to keep it busy, few enough to keep memory flat.
  const queue = new BoundedQueue<PageResult>(Math.max(4, Math.ceil(options.concurrency / 2)));
  let stopped = false;

  const takeListWork = (): Slice | undefined => {
    const idle = slices.find((slice) => !slice.busy && !slice.readDone);
    if (idle) return idle;
    // Steal the older half of the busy slice with the most pages left, judged by how much time
    // its last page spanned (customers are denser in some years than in others).
    let best: Slice | undefined;
    for (const slice of slices) {
      if (!splittable(slice)) continue;
      if (!best || slice.pagesLeft() > best.pagesLeft()) best = slice;
    }
    if (!best || best.pagesLeft() < 2) return undefined;
    return splitOff(best, Math.floor((best.gte + best.readLte) / 2));
  };

  const splittable = (slice: Slice) =>
    slice.busy &&
    slice.via === 'list' &&
    !slice.readDone &&
    slice.dense &&
    slice.readLte - slice.gte >= 2;

  // Search: the settled part of the range (older than the horizon), in chunks of about
  // SEARCH_CHUNK_PAGES, taken from the oldest end so the list keeps the newest customers.
  let settledBefore = -Infinity;
  let searchOn = options.search !== undefined;
  // Seconds of `created` per page where search read last: chunks are adjacent, so this is the
  // best guess for the next one (customers are much sparser in some years than in others).
  let searchSpan: number | undefined;
  const takeSearchWork = (): Slice | undefined => {
    if (!searchOn) return undefined;
    const chunk = (slice: Slice) =>
      Math.max(1, Math.floor(SEARCH_CHUNK_PAGES * (searchSpan ?? slice.lastPageSpan)));
    for (const slice of slices) {
      if (slice.busy || !slice.fresh || slice.gte >= settledBefore) continue;
      const end = Math.min(slice.readLte, settledBefore - 1, slice.gte + chunk(slice) - 1);
      return end >= slice.readLte ? slice : splitOff(slice, end);
    }
    let best: Slice | undefined;
    for (const slice of slices) {
      if (!splittable(slice) || slice.gte >= settledBefore) continue;
      if (!best || slice.pagesLeft() > best.pagesLeft()) best = slice;
    }
    if (!best || best.pagesLeft() < 2) return undefined;
    const end = Math.min(
      Math.floor((best.gte + best.readLte) / 2),
      settledBefore - 1,
      best.gte + chunk(best) - 1,
    );
    return splitOff(best, end);
  };

  /** Takes [gte, end] off `slice` as a new slice (of the same density), leaving it the rest. */
  const splitOff = (slice: Slice, end: number): Slice => {
    const stolen = new Slice(slice.gte, end);
    stolen.lastPageSpan = slice.lastPageSpan;
    slice.gte = end + 1;
    slices.push(stolen);
    return stolen;
  };
  // Workers with nothing to take wait for the next page: it may make a slice worth splitting.
  let idleWorkers: Array<() => void> = [];
  const wakeIdleWorkers = () => {
    const waiting = idleWorkers;
    idleWorkers = [];
    for (const wake of waiting) wake();
  };

  const readSlice = async (slice: Slice, maxPages = Infinity): Promise<void> => {
    slice.busy = true;
    slice.via = 'list';
    for (let pages = 0; pages < maxPages && !slice.readDone && !stopped; pages++) {
      const page = await listPage(api, slice, options.email);
      if (options.search && settledBefore === -Infinity) {
        settledBefore = options.search.settledBefore(page.serverTime);
      }
      const wellFormed = page.items.filter(isWellFormedCustomer);
      if (page.hasMore && wellFormed.length === 0) {
        // Nothing to continue after: ending the slice here would skip the rest of it.
        throw new TransientError(
          'Stripe answered a page of customers that has more after it but no usable customer to continue from; stopping so that no customer is skipped. The next run continues from the last checkpoint.',
        );
      }
      // A split may have raised gte while this request was in flight: what falls below it now
      // belongs to the stolen slice.
      const customers = wellFormed.filter((customer) => customer.created >= slice.gte);
      const last = customers.at(-1);
      if (!page.hasMore || !last || customers.length < wellFormed.length) {
        slice.readDone = true;
      } else {
        slice.lastPageSpan = Math.max(1, (customers[0] as StripeCustomer).created - last.created);
        slice.readLte = last.created;
        slice.cursor = last.id;
        slice.dense = true;
      }
      await queue.push({
        slice,
        customers,
        malformed: page.items.length - wellFormed.length,
        serverTime: page.serverTime,
        next: slice.readDone ? 'done' : slice.readLte,
        cursor: slice.readDone ? undefined : slice.cursor,
      });
      wakeIdleWorkers();
    }
    slice.busy = false;
    slice.via = undefined;
  };

  /** Reads a settled slice whole through the Search API (or hands it back to the list). */
  const searchSlice = async (slice: Slice): Promise<void> => {
    slice.busy = true;
    slice.via = 'search';
    const query = `created>=${slice.gte} AND created<=${slice.readLte}`;
    let page: string | undefined;
    let pages = 0;
    let customersRead = 0;
    try {
      for (;;) {
        const result = await api.searchCustomers(query, page);
        pages++;
        const wellFormed = result.items.filter(isWellFormedCustomer);
        const customers = wellFormed.filter(
          (customer) => customer.created >= slice.gte && customer.created <= slice.readLte,
        );
        customersRead += customers.length;
        const done = !result.hasMore || !result.nextPage;
        if (done) slice.readDone = true;
        await queue.push({
          slice,
          customers,
          malformed: result.items.length - wellFormed.length,
          serverTime: result.serverTime,
          // A searched slice is committed only once done (search pages cannot be resumed).
          next: done ? 'done' : 'pending',
        });
        if (done || stopped) break;
        page = result.nextPage ?? undefined;
      }
      const width = slice.readLte - slice.gte + 1;
      const observed = Math.max(1, (width * 100) / Math.max(customersRead, 1));
      searchSpan = Math.min(observed, (searchSpan ?? observed) * MAX_CHUNK_GROWTH);
    } catch (error) {
      if (stopped) return;
      // Search is an extra lane: if it fails, the list reads this slice again (customers it had
      // already handed out are repeated, never lost) and the import goes on through the list.
      searchOn = false;
      slice.readDone = false;
      options.search?.onUnavailable(errorMessage(error));
    } finally {
      slice.busy = false;
      slice.via = undefined;
      wakeIdleWorkers();
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopped) {
      const slice = takeListWork();
      if (slice) await readSlice(slice);
      else if (slices.every((s) => s.readDone)) break;
      else await new Promise<void>((resolve) => idleWorkers.push(resolve));
    }
  };

  const searchWorker = async (): Promise<void> => {
    while (!stopped && searchOn) {
      const slice = takeSearchWork();
      if (slice) await searchSlice(slice);
      else if (slices.every((s) => s.readDone)) break;
      else await new Promise<void>((resolve) => idleWorkers.push(resolve));
    }
  };
  const fail = (error: unknown) => {
    stopped = true;
    queue.fail(error);
    wakeIdleWorkers();
  };

  // The first page is read alone: it tells whether there is anything to split at all, and
  // gives Stripe's clock, which places the search horizon.
  const workers = (async () => {
    const first = slices[0];
    if (first && slices.length === 1) await readSlice(first, 1).catch(fail);
    const searchers = options.search ? Math.max(2, Math.ceil(options.concurrency / 4)) : 0;
    await Promise.all([
      ...Array.from({ length: options.concurrency }, () => worker().catch(fail)),
      ...Array.from({ length: searchers }, () => searchWorker().catch(fail)),
    ]);
    queue.close();
  })();

  try {
    for (let result = await queue.pop(); result; result = await queue.pop()) {
      if (result.next === 'done') result.slice.committedDone = true;
      else if (result.next !== 'pending') {
        result.slice.committedLte = result.next;
        result.slice.committedCursor = result.cursor;
      }
      yield {
        customers: result.customers,
        malformed: result.malformed,
        serverTime: result.serverTime,
        remaining: slices.filter((slice) => !slice.committedDone).map((slice) => slice.saved()),
      };
    }
  } finally {
    stopped = true;
    queue.close();
    wakeIdleWorkers();
    await workers;
  }
}

async function listPage(api: StripePort, slice: Slice, email: string | undefined) {
  const params = { created: { gte: slice.gte, lte: slice.readLte }, email };
  try {
    return await api.listCustomers({ ...params, startingAfter: slice.cursor });
  } catch (error) {
    // The customer we paged after was deleted meanwhile: continue from its `created` second
    // instead (a few repeats, no gap).
    if (!(error instanceof StaleCursorError) || !slice.cursor) throw error;
    slice.cursor = undefined;
    return api.listCustomers(params);
  }
}
