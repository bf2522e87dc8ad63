/**
 * The customer search index: a replica of an account's customers that Stripe's search answers
 * from, kept `lag` seconds behind writes. Stripe's search is eventually consistent ("usually
 * within a minute", "up to an hour behind during outages", its API reference), so with a lag of
 * N seconds (emulator clock) customers created in the last N seconds are missing, updated ones
 * show their state of N seconds ago, and deleted ones still appear as they were.
 *
 * Writes go to a log stamped with the emulator clock; the log is applied, in order, up to
 * `now - lag` whenever the index is read or written, so each write costs O(log N) once and a
 * search never replays history. Raising the lag at runtime holds back later writes; it cannot
 * take back what the index already shows.
 *
 * The index is ordered like lists (created descending, then id descending), so a query whose
 * AND-ed clauses bound `created` reads only that slice (O(log N + page)), however many
 * customers the account holds.
 */
import { type Cursor, Ordered, type Page } from './ordered.js';
import type { Customer } from './model.js';
import type { QueryPlan } from './search.js';
import type { CustomerSlot } from './seed.js';

interface Write {
  atMs: number;
  op: 'put' | 'remove';
  slot: CustomerSlot;
}

/** Compact the applied part of the log once it is this long. */
const COMPACT_AFTER = 1024;
/** Stripe's search counts its matches exactly up to this many. */
const TOTAL_COUNT_ACCURATE_UP_TO = 10_000;

export class SearchIndex {
  private readonly ordered = new Ordered<CustomerSlot>((s) => s.id);
  private log: Write[] = [];
  private applied = 0;

  constructor(
    private readonly clock: { nowMs(): number; lagMs(): number },
    private readonly materialize: (slot: CustomerSlot) => Customer,
  ) {}

  /** Starts from `sorted` (already in list order), as if it had been indexed long ago. */
  load(sorted: CustomerSlot[]): void {
    this.ordered.loadSorted(sorted);
    this.log = [];
    this.applied = 0;
  }

  /** A live customer's current version (created or changed). */
  put(slot: CustomerSlot): void {
    this.write('put', slot);
  }

  remove(slot: CustomerSlot): void {
    this.write('remove', slot);
  }

  /** One page of matches, newest first, after the customer at `from` (a page token). */
  page(plan: QueryPlan, limit: number, from: Cursor | undefined): Page<Customer> {
    this.catchUp();
    const page = this.ordered.page({
      limit,
      startingAfter: from,
      created: plan.range,
      filter: this.filter(plan),
    });
    return { data: page.data.map(this.materialize), hasMore: page.hasMore };
  }

  /**
   * `total_count`: the matches (in the `created` slice when the query bounds it). Stripe's is
   * "only accurate up to 10,000"; this one stops counting there, the least a client can get.
   */
  count(plan: QueryPlan): number {
    this.catchUp();
    const filter = this.filter(plan);
    let total = 0;
    this.ordered.scanRange(plan.range, (slot) => {
      if (filter(slot)) total++;
      return total < TOTAL_COUNT_ACCURATE_UP_TO;
    });
    return total;
  }

  private filter(plan: QueryPlan): (slot: CustomerSlot) => boolean {
    const residual = plan.residual;
    // Test-clock customers are not searchable.
    return residual
      ? (s) => s.testClock === null && residual(this.materialize(s))
      : (s) => s.testClock === null;
  }

  private write(op: Write['op'], slot: CustomerSlot): void {
    this.log.push({ atMs: this.clock.nowMs(), op, slot });
    this.catchUp();
  }

  private catchUp(): void {
    const until = this.clock.nowMs() - this.clock.lagMs();
    while (this.applied < this.log.length) {
      const write = this.log[this.applied] as Write;
      if (write.atMs > until) break;
      this.apply(write);
      this.applied++;
    }
    if (this.applied >= COMPACT_AFTER && this.applied * 2 >= this.log.length) {
      this.log = this.log.slice(this.applied);
      this.applied = 0;
    }
  }

  private apply({ op, slot }: Write): void {
    const cursor = this.ordered.cursorOf(slot);
    if (op === 'remove') this.ordered.remove(cursor);
    else if (!this.ordered.replace(slot)) this.ordered.insert(slot);
  }
}
