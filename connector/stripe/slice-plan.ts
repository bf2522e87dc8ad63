/**
 * How a full import cuts the `created` range into slices and hands them to its readers: which
 * slice a list reader takes next (an idle one, or the older half of the busiest one), which
 * settled stretch a search reader takes (a chunk of about SEARCH_CHUNK_PAGES pages, smaller
 * towards the end), where an oversized search chunk is cut, and what is left to read once the
 * consumer has taken a page (the checkpoint). No request is made here: readCustomerSlices
 * (customer-slices.ts) does the reading, and tells the plan what each page showed.
 */
import { CreatedDensity } from './created-density';

/**
 * An inclusive range of customer `created` times (unix seconds) still to be read; with `after`,
 * the customers of second `lte` up to and including that id (in list order) are already out, so
 * a resumed read continues right after it instead of repeating the second.
 */
export type CreatedSlice =
  readonly [gte: number, lte: number] | readonly [gte: number, lte: number, after: string];

/** Customers per page, the most Stripe's list and search return. */
export const PAGE_SIZE = 100;
/**
 * A search takes about this many pages' worth of a slice at a time: a searched slice is
 * checkpointed only once done, so a killed run repeats at most this much of it; and each chunk
 * ends with a partly filled page, so fewer, longer chunks waste fewer requests.
 */
export const SEARCH_CHUNK_PAGES = 20;
/**
 * A chunk whose first page counts more than this many times the pages expected (plus one) is cut
 * down before it is read: read whole, it would be the last thing the import waits for.
 */
const OVERSIZED_CHUNK = 1.5;

/** One contiguous range of `created`, read newest first by one reader at a time. */
export class Slice {
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

  /** Some reader is reading it. */
  get busy(): boolean {
    return this.via !== undefined;
  }

  /** Nothing of it has been read yet (a search can take it whole). */
  get fresh(): boolean {
    return this.cursor === undefined && !this.dense && !this.readDone;
  }
}

/** Where a page left its slice: read on from `lte` (after `cursor`), done, or done only once searched whole. */
export type PageEnd = { lte: number; cursor: string | undefined } | 'done' | 'pending';

export class SlicePlan {
  readonly slices: Slice[];
  /** How densely customers were created, from what has been read (it sizes every cut). */
  readonly density = new CreatedDensity();

  /** `readers`: list readers, and search readers, that take work at once. */
  constructor(
    start: ReadonlyArray<CreatedSlice>,
    private readonly readers: { list: number; search: number },
  ) {
    this.slices = start.map(([gte, lte, after]) => new Slice(gte, lte, after));
  }

  /** Estimated pages of `slice` still to read. */
  pagesLeft(slice: Slice): number {
    return this.density.customersIn(slice.gte, slice.readLte) / PAGE_SIZE;
  }

  /** Every slice is read (what is read may still be on its way to the consumer). */
  get allRead(): boolean {
    return this.slices.every((slice) => slice.readDone);
  }

  /**
   * A slice for a list reader: an idle one, or else the older half (in customers, not in
   * seconds) of the busy slice with the most pages left, when it has two or more.
   */
  listWork(): Slice | undefined {
    const idle = this.slices.find((slice) => !slice.busy && !slice.readDone);
    if (idle) return idle;
    const best = this.busiestSplittable(() => true);
    if (!best || best.pages < 2) return undefined;
    return this.splitOff(best.slice, this.olderHalfEnd(best));
  }

  /**
   * A settled stretch for a search reader (created before `settledBefore`), and the pages it is
   * expected to hold: from the oldest end of a fresh slice, about SEARCH_CHUNK_PAGES pages, fewer
   * towards the end of the import (a chunk is read one page after the other, and one taken late
   * must not be the last thing the import waits for); else at most the older half of what the
   * list has left in a settled slice, down to a single page.
   */
  searchWork(settledBefore: number): { chunk: Slice; pages: number } | undefined {
    if (this.density.empty) return undefined;
    const pagesToGo = this.slices.reduce(
      (sum, slice) => sum + (slice.readDone ? 0 : this.pagesLeft(slice)),
      0,
    );
    const chunkPages = Math.max(
      1,
      Math.min(SEARCH_CHUNK_PAGES, pagesToGo / (this.readers.list + this.readers.search)),
    );
    const chunkEnd = (gte: number) => this.density.endFor(gte, chunkPages * PAGE_SIZE);
    const planned = (chunk: Slice) => ({ chunk, pages: this.pagesLeft(chunk) });
    for (const slice of this.slices) {
      if (slice.busy || !slice.fresh || slice.gte >= settledBefore) continue;
      const end = Math.min(slice.readLte, settledBefore - 1, chunkEnd(slice.gte));
      return planned(end >= slice.readLte ? slice : this.splitOff(slice, end));
    }
    // The list has the newer half in flight: the two finish sooner together.
    const best = this.busiestSplittable((slice) => slice.gte < settledBefore);
    if (!best || best.pages < 1) return undefined;
    const end = Math.min(this.olderHalfEnd(best), settledBefore - 1, chunkEnd(best.slice.gte));
    return planned(this.splitOff(best.slice, end));
  }

  /**
   * A search chunk that counts `total` customers, more than the pages it was expected to hold
   * allow: its older part, cut to about the pages expected, to be searched instead (the newer
   * rest goes back to be taken again). undefined when it is fine as it is, or cannot be cut.
   */
  cutOversized(chunk: Slice, total: number, expectedPages: number): Slice | undefined {
    const tooLong = total > (expectedPages * OVERSIZED_CHUNK + 1) * PAGE_SIZE;
    if (!tooLong || chunk.readLte <= chunk.gte) return undefined;
    const width = chunk.readLte - chunk.gte + 1;
    const share = (expectedPages * PAGE_SIZE) / total;
    const end = Math.max(chunk.gte, chunk.gte + Math.floor(width * share) - 1);
    return this.splitOff(chunk, end);
  }

  /** Takes [gte, end] off `slice` as a new slice, leaving it the rest. */
  splitOff(slice: Slice, end: number): Slice {
    const stolen = new Slice(slice.gte, end);
    slice.gte = end + 1;
    this.slices.push(stolen);
    return stolen;
  }

  /** The consumer took a page of `slice` that ended at `end`: the checkpoint moves past it. */
  taken(slice: Slice, end: PageEnd): void {
    if (end === 'done') slice.committedDone = true;
    else if (end !== 'pending') {
      slice.committedLte = end.lte;
      slice.committedCursor = end.cursor;
    }
  }

  /** What a checkpoint holds: every slice the consumer has not taken in full. */
  remaining(): CreatedSlice[] {
    return this.slices.filter((slice) => !slice.committedDone).map((slice) => slice.saved());
  }

  private splittable(slice: Slice): boolean {
    return (
      slice.busy &&
      slice.via === 'list' &&
      !slice.readDone &&
      slice.dense &&
      slice.readLte - slice.gte >= 2
    );
  }

  private busiestSplittable(
    eligible: (slice: Slice) => boolean,
  ): { slice: Slice; pages: number } | undefined {
    let best: { slice: Slice; pages: number } | undefined;
    for (const slice of this.slices) {
      if (!this.splittable(slice) || !eligible(slice)) continue;
      const pages = this.pagesLeft(slice);
      if (!best || pages > best.pages) best = { slice, pages };
    }
    return best;
  }

  /** Where the older half (in customers, not in seconds) of what a busy slice has left ends. */
  private olderHalfEnd({ slice, pages }: { slice: Slice; pages: number }): number {
    return Math.min(this.density.endFor(slice.gte, (pages * PAGE_SIZE) / 2), slice.readLte - 1);
  }
}
