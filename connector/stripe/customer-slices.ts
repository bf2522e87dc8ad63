import { BoundedQueue } from '../util/bounded-queue';
import type { StripePort } from './port';
import { isWellFormedCustomer, type StripeCustomer } from './customer-schema';
import { TransientError, errorMessage } from '../errors';
import { StaleCursorError } from './errors';
import { ENDPOINTS } from './rate-budgets';
import { SlicePlan, type CreatedSlice, type PageEnd, type Slice } from './slice-plan';

export type { CreatedSlice };

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
  /** Where the page left its slice (see PageEnd). */
  end: PageEnd;
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
  const searchers = options.search ? Math.max(2, Math.ceil(options.concurrency / 4)) : 0;
  const plan = new SlicePlan(start, { list: options.concurrency, search: searchers });
  const { density } = plan;
  // Pages waiting for the consumer: enough to keep it busy, few enough to keep memory flat.
  const queue = new BoundedQueue<PageResult>(Math.max(4, Math.ceil(options.concurrency / 2)));
  let stopped = false;

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

  // Search: the settled part of the range (older than the horizon), taken from the oldest end
  // so the list keeps the newest customers.
  let settledBefore = -Infinity;
  let searchOn = options.search !== undefined;

  // Readers with nothing to take wait for the next page: it may make a slice worth splitting.
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
        end: slice.readDone ? 'done' : { lte: slice.readLte, cursor: slice.cursor },
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
          const older = stopped
            ? undefined
            : plan.cutOversized(slice, result.totalCount, expectedPages);
          if (older) {
            // The newer rest goes back; the older part is searched instead.
            slice.via = undefined;
            slice = older;
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
          end: done ? 'done' : 'pending',
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
      const slice = listReaders < listReadersWanted() ? plan.listWork() : undefined;
      if (slice) await readSlice(slice);
      else if (plan.allRead) break;
      else await new Promise<void>((resolve) => idleWorkers.push(resolve));
    }
  };

  const searchWorker = async (): Promise<void> => {
    while (!stopped && searchOn) {
      const work = plan.searchWork(settledBefore);
      if (work) await searchSlice(work.chunk, work.pages);
      else if (plan.allRead) break;
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
    const [first] = plan.slices;
    if (first && plan.slices.length === 1) await readSlice(first, 1).catch(fail);
    await Promise.all([
      ...Array.from({ length: options.concurrency }, () => worker().catch(fail)),
      ...Array.from({ length: searchers }, () => searchWorker().catch(fail)),
    ]);
    queue.close();
  })();

  try {
    for (let result = await queue.pop(); result; result = await queue.pop()) {
      plan.taken(result.slice, result.end);
      yield {
        customers: result.customers,
        malformed: result.malformed,
        serverTime: result.serverTime,
        remaining: plan.remaining(),
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
