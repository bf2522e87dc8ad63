import { BoundedQueue } from '../util/bounded-queue';
import type { StripePort } from './port';
import { isWellFormedCustomer, type StripeCustomer } from './customer-schema';
import { TransientError, errorMessage } from '../errors';
import { StaleCursorError } from './errors';
import { CreatedDensity } from './created-density';
import { ENDPOINTS } from './rate-budgets';

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
  /** True once a page showed there is more to read: such a slice is worth splitting. */
  dense = false;
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

  /** Some worker is reading it. */
  get busy(): boolean {
    return this.via !== undefined;
  }

  /** Nothing of it has been read yet (a search can take it whole). */
  get fresh(): boolean {
    return this.cursor === undefined && !this.dense && !this.readDone;
  }
}

/** Customers per page, the most Stripe's list and search return. */
const PAGE_SIZE = 100;
/**
 * A search takes about this many pages' worth of a slice at a time: a searched slice is
 * checkpointed only once done, so a killed run repeats at most this much of it; and each chunk
 * ends with a partly filled page, so fewer, longer chunks waste fewer requests.
 */
const SEARCH_CHUNK_PAGES = 20;
/**
 * A chunk whose first page counts more than this many times the pages expected (plus one) is cut
 * down before it is read: read whole, it would be the last thing the import waits for.
 */
const OVERSIZED_CHUNK = 1.5;
/**
 * List readers kept beyond what the list's pace can use (its pace times Stripe's answer time),
 * as a share of it and as a number: room for slower answers without starving the pace.
 */
const LIST_READERS_HEADROOM = 1.5;
const LIST_READERS_SPARE = 2;
const MIN_LIST_READERS = 4;

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

/**
 * Stands for "no upper bound" in a saved slice (states written by every version hold it). It is
 * never sent: a request for such a slice leaves its upper bound out.
 */
export const OPEN_END = 99_999_999_999;

/** A slice's bounds as a request sends them: an open end is left out, not sent as a far date. */
export function createdBounds(gte: number, lte: number): { gte: number; lte?: number } {
  return lte >= OPEN_END ? { gte } : { gte, lte };
}

/** The same bounds as a Search API query. */
export function createdQuery(gte: number, lte: number): string {
  const bounds = createdBounds(gte, lte);
  return bounds.lte === undefined
    ? `created>=${bounds.gte}`
    : `created>=${bounds.gte} AND created<=${bounds.lte}`;
}

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
  const density = new CreatedDensity();
  /** Estimated pages of `slice` still to read. */
  const pagesLeft = (slice: Slice) => density.customersIn(slice.gte, slice.readLte) / PAGE_SIZE;

  // List readers beyond what the list's pace can use do not read faster: each one only holds a
  // slice of its own (which ends with a partly filled page) and queues a page for its turn, and
  // the queued pages are what the end of the import waits for. Ports that do not pace: no cap.
  let listReaders = 0;
  const listReadersWanted = (): number => {
    const worth = api.inFlightWorth?.(ENDPOINTS.listCustomers);
    if (worth === undefined) return options.concurrency;
    const wanted = Math.ceil(worth * LIST_READERS_HEADROOM) + LIST_READERS_SPARE;
    return Math.min(options.concurrency, Math.max(MIN_LIST_READERS, wanted));
  };

  const takeListWork = (): Slice | undefined => {
    const idle = slices.find((slice) => !slice.busy && !slice.readDone);
    if (idle) return idle;
    // Steal the older half (in customers, not in seconds) of the busy slice with the most pages left.
    const best = busiestSplittable(() => true);
    if (!best || best.pages < 2) return undefined;
    return splitOff(best.slice, olderHalfEnd(best));
  };

  const splittable = (slice: Slice) =>
    slice.busy &&
    slice.via === 'list' &&
    !slice.readDone &&
    slice.dense &&
    slice.readLte - slice.gte >= 2;
  const busiestSplittable = (
    eligible: (slice: Slice) => boolean,
  ): { slice: Slice; pages: number } | undefined => {
    let best: { slice: Slice; pages: number } | undefined;
    for (const slice of slices) {
      if (!splittable(slice) || !eligible(slice)) continue;
      const pages = pagesLeft(slice);
      if (!best || pages > best.pages) best = { slice, pages };
    }
    return best;
  };
  /** Where the older half (in customers, not in seconds) of what a busy slice has left ends. */
  const olderHalfEnd = ({ slice, pages }: { slice: Slice; pages: number }): number =>
    Math.min(density.endFor(slice.gte, (pages * PAGE_SIZE) / 2), slice.readLte - 1);

  // Search: the settled part of the range (older than the horizon), in chunks of about
  // SEARCH_CHUNK_PAGES, taken from the oldest end so the list keeps the newest customers.
  const searchers = options.search ? Math.max(2, Math.ceil(options.concurrency / 4)) : 0;
  let settledBefore = -Infinity;
  let searchOn = options.search !== undefined;
  /** A settled slice for a search worker, and the pages it is expected to hold. */
  const takeSearchWork = (): { chunk: Slice; pages: number } | undefined => {
    if (!searchOn || density.empty) return undefined;
    // Chunks shrink towards the end of the import: a chunk is read one page after the other, and
    // one taken late must not be the last thing the import waits for.
    const pagesToGo = slices.reduce(
      (sum, slice) => sum + (slice.readDone ? 0 : pagesLeft(slice)),
      0,
    );
    const chunkPages = Math.max(
      1,
      Math.min(SEARCH_CHUNK_PAGES, pagesToGo / (options.concurrency + searchers)),
    );
    const chunkEnd = (gte: number) => density.endFor(gte, chunkPages * PAGE_SIZE);
    const planned = (chunk: Slice) => ({ chunk, pages: pagesLeft(chunk) });
    for (const slice of slices) {
      if (slice.busy || !slice.fresh || slice.gte >= settledBefore) continue;
      const end = Math.min(slice.readLte, settledBefore - 1, chunkEnd(slice.gte));
      return planned(end >= slice.readLte ? slice : splitOff(slice, end));
    }
    // At most the older half of what the list has left there, down to a single page at the end
    // of the run: the list has the newer half in flight, and the two finish sooner together.
    const best = busiestSplittable((slice) => slice.gte < settledBefore);
    if (!best || best.pages < 1) return undefined;
    const end = Math.min(olderHalfEnd(best), settledBefore - 1, chunkEnd(best.slice.gte));
    return planned(splitOff(best.slice, end));
  };

  /** Takes [gte, end] off `slice` as a new slice, leaving it the rest. */
  const splitOff = (slice: Slice, end: number): Slice => {
    const stolen = new Slice(slice.gte, end);
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
    slice.via = 'list';
    listReaders++;
    for (let pages = 0; pages < maxPages && !slice.readDone && !stopped; pages++) {
      // More readers than the pace can use: leave the slice for the others to continue.
      if (pages > 0 && listReaders > listReadersWanted()) break;
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
        // Everything the slice held from its lower end up to where this page started.
        density.observe(slice.gte, slice.readLte, customers.length);
        slice.readDone = true;
      } else {
        density.observe(last.created, (customers[0] as StripeCustomer).created, customers.length);
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
    listReaders--;
    slice.via = undefined;
  };

  /**
   * Reads a settled slice whole through the Search API (or hands it back to the list). The first
   * page also counts every match: a chunk holding far more than the pages expected (customers
   * denser there than anything read nearby) is cut down to its older part before any of it is
   * out, and the rest goes back to be taken again.
   */
  const searchSlice = async (chunk: Slice, estimatedPages: number): Promise<void> => {
    // A chunk thought nearly empty may hold a page or two: not worth another request to cut.
    const expectedPages = Math.max(1, estimatedPages);
    let slice = chunk;
    slice.via = 'search';
    let page: string | undefined;
    let customersRead = 0;
    let counted = false;
    try {
      for (;;) {
        const query = createdQuery(slice.gte, slice.readLte);
        const result = await api.searchCustomers(query, page, { withTotalCount: !page });
        if (!page && result.totalCount !== undefined) {
          density.observe(slice.gte, slice.readLte, result.totalCount);
          counted = true;
          const tooLong = result.totalCount > (expectedPages * OVERSIZED_CHUNK + 1) * PAGE_SIZE;
          if (tooLong && slice.readLte > slice.gte && !stopped) {
            const width = slice.readLte - slice.gte + 1;
            const share = (expectedPages * PAGE_SIZE) / result.totalCount;
            const end = Math.max(slice.gte, slice.gte + Math.floor(width * share) - 1);
            // The newer rest goes back; the older part is searched instead.
            slice.via = undefined;
            slice = splitOff(slice, end);
            slice.via = 'search';
            wakeIdleWorkers();
            continue;
          }
        }
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
      if (!counted) density.observe(slice.gte, slice.readLte, customersRead);
    } catch (error) {
      if (stopped) return;
      // Search is an extra lane: if it fails, the list reads this slice again (customers it had
      // already handed out are repeated, never lost) and the import goes on through the list.
      searchOn = false;
      slice.readDone = false;
      options.search?.onUnavailable(errorMessage(error));
    } finally {
      slice.via = undefined;
      wakeIdleWorkers();
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopped) {
      const slice = listReaders < listReadersWanted() ? takeListWork() : undefined;
      if (slice) await readSlice(slice);
      else if (slices.every((s) => s.readDone)) break;
      else await new Promise<void>((resolve) => idleWorkers.push(resolve));
    }
  };

  const searchWorker = async (): Promise<void> => {
    while (!stopped && searchOn) {
      const work = takeSearchWork();
      if (work) await searchSlice(work.chunk, work.pages);
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
  const params = { created: createdBounds(slice.gte, slice.readLte), email };
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
