/**
 * A collection kept sorted newest first, the order Stripe lists objects in: by `created`
 * descending, ties broken by a secondary key descending (customer id, event sequence). The order is
 * total, so a cursor object's position can be found by binary search even after the object
 * itself was removed, and listing costs O(log N + page) rather than O(N).
 */

export interface CreatedRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface Cursor {
  created: number;
  tie: string | number;
}

export interface PageQuery<T> {
  limit: number;
  startingAfter?: Cursor;
  endingBefore?: Cursor;
  created?: CreatedRange;
  filter?: (item: T) => boolean;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

export class Ordered<T extends { created: number }> {
  private items: T[] = [];

  constructor(private readonly tie: (item: T) => string | number) {}

  get size(): number {
    return this.items.length;
  }

  at(index: number): T | undefined {
    return this.items[index];
  }

  /** Replaces the content; `items` need not be sorted. */
  load(items: T[]): void {
    const tie = this.tie;
    this.items = items.sort((a, b) => {
      if (a.created !== b.created) return b.created - a.created;
      const ta = tie(a);
      const tb = tie(b);
      return ta === tb ? 0 : ta > tb ? -1 : 1;
    });
  }

  /** Replaces the content with items already in list order (a copy of another collection). */
  loadSorted(items: T[]): void {
    this.items = items;
  }

  /** The items in list order (a copy). */
  snapshot(): T[] {
    return this.items.slice();
  }

  cursorOf(item: T): Cursor {
    return { created: item.created, tie: this.tie(item) };
  }

  insert(item: T): void {
    const at = this.firstNotNewerThan(this.cursorOf(item));
    if (at === 0) this.items.unshift(item);
    else this.items.splice(at, 0, item);
  }

  /** Swaps an item for a new version with the same created and tie key (an update). */
  replace(next: T): boolean {
    const at = this.indexOf(this.cursorOf(next));
    if (at < 0) return false;
    this.items[at] = next;
    return true;
  }

  remove(cursor: Cursor): T | undefined {
    const at = this.indexOf(cursor);
    if (at < 0) return undefined;
    return this.items.splice(at, 1)[0];
  }

  /** Drops every item created before `created` (they sit at the end); returns them. */
  dropOlderThan(created: number): T[] {
    const cut = this.firstCreatedAtMost(created - 1);
    if (cut >= this.items.length) return [];
    return this.items.splice(cut);
  }

  indexOf(cursor: Cursor): number {
    const at = this.firstNotNewerThan(cursor);
    const item = this.items[at];
    return item && item.created === cursor.created && this.tie(item) === cursor.tie ? at : -1;
  }

  /** Scans in order from `start` while `visit` returns true. */
  scan(start: number, visit: (item: T, index: number) => boolean): void {
    for (let i = start; i < this.items.length; i++) {
      if (!visit(this.items[i] as T, i)) return;
    }
  }

  /**
   * Visits, in order, every item whose `created` is in the range (all items without one), until
   * `visit` returns false.
   */
  scanRange(range: CreatedRange | undefined, visit: (item: T) => boolean | void): void {
    const [lo, hi] = this.bounds(range);
    for (let i = lo; i < hi; i++) if (visit(this.items[i] as T) === false) return;
  }

  /** The index span `[lo, hi)` of items whose `created` is in the range. */
  private bounds(range: CreatedRange | undefined): [number, number] {
    let lo = 0;
    let hi = this.items.length;
    if (range) {
      const max = Math.min(range.lte ?? Infinity, range.lt !== undefined ? range.lt - 1 : Infinity);
      const min = Math.max(
        range.gte ?? -Infinity,
        range.gt !== undefined ? range.gt + 1 : -Infinity,
      );
      if (max !== Infinity) lo = this.firstCreatedAtMost(max);
      if (min !== -Infinity) hi = this.firstCreatedAtMost(min - 1);
    }
    return [lo, Math.max(lo, hi)];
  }

  /**
   * One page, Stripe's semantics: without cursors the newest `limit` items; `starting_after` the
   * next older ones; `ending_before` the `limit` items just newer than the cursor, still listed
   * newest first, with `has_more` telling whether even newer ones exist.
   */
  page(query: PageQuery<T>): Page<T> {
    const { limit, filter } = query;
    const [lo, hi] = this.bounds(query.created);
    const data: T[] = [];
    let hasMore = false;
    if (query.endingBefore) {
      const end = Math.min(hi, this.firstNotNewerThan(query.endingBefore));
      for (let i = end - 1; i >= lo; i--) {
        const item = this.items[i] as T;
        if (filter && !filter(item)) continue;
        if (data.length === limit) {
          hasMore = true;
          break;
        }
        data.push(item);
      }
      data.reverse();
      return { data, hasMore };
    }
    const start = query.startingAfter ? Math.max(lo, this.firstOlderThan(query.startingAfter)) : lo;
    for (let i = start; i < hi; i++) {
      const item = this.items[i] as T;
      if (filter && !filter(item)) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(item);
    }
    return { data, hasMore };
  }

  /** Negative when `a` sorts before (is newer than) the cursor. */
  private compare(a: T, b: Cursor): number {
    if (a.created !== b.created) return b.created - a.created;
    const ta = this.tie(a);
    return ta === b.tie ? 0 : ta > b.tie ? -1 : 1;
  }

  /** First index whose item is not newer than the cursor (the cursor itself or older). */
  firstNotNewerThan(cursor: Cursor): number {
    return this.search((item) => this.compare(item, cursor) >= 0);
  }

  /** First index whose item is strictly older than the cursor. */
  firstOlderThan(cursor: Cursor): number {
    return this.search((item) => this.compare(item, cursor) > 0);
  }

  /** First index whose item was created at or before `created`. */
  firstCreatedAtMost(created: number): number {
    return this.search((item) => item.created <= created);
  }

  /** Binary search for the first index where the monotone predicate holds. */
  private search(holds: (item: T) => boolean): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (holds(this.items[mid] as T)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
