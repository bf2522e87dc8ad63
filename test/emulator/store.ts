/**
 * Per-account storage: live customers in list order with an id index, tombstones of deleted
 * customers (so retrieving one answers `{deleted: true}` and a cursor on it still works), the
 * search index that trails them (search-index.ts), and the event log trimmed to Stripe's 30-day
 * retention, whose late events stay out of lists until their time (event-delay.ts).
 */
import type { Behaviour } from './behaviour.js';
import { type EventDraws, EventDelays, listedFrom } from './event-delay.js';
import { type CreatedRange, type Cursor, Ordered, type Page } from './ordered.js';
import { type Customer, EVENT_RETENTION_SECONDS, type StripeEvent } from './model.js';
import type { QueryPlan } from './search.js';
import { SearchIndex } from './search-index.js';
import type { CustomerSlot } from './seed.js';

export interface CustomerQuery {
  limit: number;
  startingAfter?: Cursor;
  endingBefore?: Cursor;
  created?: CreatedRange;
  /** Exact, case-sensitive. */
  email?: string;
  /** Customers on a test clock are listed only when asking for that clock. */
  testClock: string | null;
}

export class CustomerStore {
  private readonly ordered = new Ordered<CustomerSlot>((s) => s.id);
  private readonly live = new Map<string, CustomerSlot>();
  /** The last full state of each deleted customer. */
  private readonly deleted = new Map<string, Customer>();
  private readonly searchIndex: SearchIndex;

  /**
   * Slots are never changed in place (an update swaps in a new slot), so the search index can
   * keep an older version while the store serves the newer one.
   */
  constructor(
    private readonly materialize: (slot: CustomerSlot) => Customer,
    clock: { nowMs(): number; lagMs(): number },
  ) {
    this.searchIndex = new SearchIndex(clock, (slot) => this.full(slot));
  }

  load(live: CustomerSlot[], deleted: Customer[]): void {
    for (const s of live) this.live.set(s.id, s);
    for (const c of deleted) this.deleted.set(c.id, c);
    // Seeds come oldest first: reversed, they are nearly in list order and sort in ~O(N).
    this.ordered.load(live.slice().reverse());
    this.searchIndex.load(this.ordered.snapshot());
  }

  get size(): number {
    return this.live.size;
  }

  get(id: string): Customer | undefined {
    const slot = this.live.get(id);
    return slot && this.full(slot);
  }

  wasDeleted(id: string): boolean {
    return this.deleted.has(id);
  }

  has(id: string): boolean {
    return this.live.has(id) || this.deleted.has(id);
  }

  /**
   * Position key of a live customer, for `starting_after` / `ending_before`. A deleted customer
   * is no cursor: Stripe's docs require "an existing object ID", and answering `resource_missing`
   * makes clients handle the harder case (the connector re-anchors on it).
   */
  cursor(id: string): Cursor | undefined {
    const slot = this.live.get(id);
    return slot ? { created: slot.created, tie: slot.id } : undefined;
  }

  add(customer: Customer): void {
    const slot = toSlot(customer);
    this.live.set(customer.id, slot);
    this.ordered.insert(slot);
    this.searchIndex.put(slot);
  }

  /** A new version of a live customer (same id and created, so same position). */
  replace(customer: Customer): void {
    const old = this.live.get(customer.id);
    if (!old) return;
    const slot: CustomerSlot = { ...old, customer, email: customer.email };
    this.live.set(customer.id, slot);
    this.ordered.replace(slot);
    this.searchIndex.put(slot);
  }

  remove(id: string): Customer | undefined {
    const slot = this.live.get(id);
    if (!slot) return undefined;
    const c = this.full(slot);
    this.live.delete(id);
    this.deleted.set(id, c);
    this.ordered.remove({ created: c.created, tie: c.id });
    this.searchIndex.remove(slot);
    return c;
  }

  /** Forgets a customer entirely, with no event (Dashboard > "Delete all test data" does this). */
  purge(id: string): boolean {
    const slot = this.live.get(id);
    if (slot) {
      this.ordered.remove({ created: slot.created, tie: slot.id });
      this.searchIndex.remove(slot);
    }
    return this.live.delete(id) || this.deleted.delete(id);
  }

  page(query: CustomerQuery): Page<Customer> {
    const { email, testClock } = query;
    const filter =
      email !== undefined
        ? (s: CustomerSlot) => s.email === email && s.testClock === testClock
        : (s: CustomerSlot) => s.testClock === testClock;
    const page = this.ordered.page({ ...query, filter });
    return { data: page.data.map((s) => this.full(s)), hasMore: page.hasMore };
  }

  /** A page of search results, from the (possibly lagging) search index. */
  search(plan: QueryPlan, limit: number, from: Cursor | undefined): Page<Customer> {
    return this.searchIndex.page(plan, limit, from);
  }

  searchCount(plan: QueryPlan): number {
    return this.searchIndex.count(plan);
  }

  private full(slot: CustomerSlot): Customer {
    return slot.customer ?? this.materialize(slot);
  }
}

function toSlot(c: Customer): CustomerSlot {
  return {
    id: c.id,
    created: c.created,
    testClock: c.test_clock,
    email: c.email,
    index: -1,
    customer: c,
  };
}

interface StoredEvent {
  created: number;
  /** Arrival order: breaks ties between events of the same second, newest first. */
  seq: number;
  event: StripeEvent;
  /** Whether and how late the event is listed (event-delay.ts). */
  draws: EventDraws;
}

/**
 * Stripe does not document the order of events created in the same second. `newest_first` is
 * what it appears to do; `oldest_first` lets tests prove a client does not depend on it.
 */
export type SameSecondEventOrder = 'newest_first' | 'oldest_first';

export class EventStore {
  private readonly ordered: Ordered<StoredEvent>;
  private readonly byId = new Map<string, StoredEvent>();
  private readonly delays: EventDelays;
  private seq = 0;

  /** `lateness` holds the live `eventDelayShare` / `eventDelayMaxSeconds` knobs. */
  constructor(
    order: SameSecondEventOrder = 'newest_first',
    delaySeed = 0,
    private readonly lateness: Pick<Behaviour, 'eventDelayShare' | 'eventDelayMaxSeconds'> = {
      eventDelayShare: 0,
      eventDelayMaxSeconds: 0,
    },
  ) {
    this.ordered = new Ordered<StoredEvent>(
      order === 'newest_first' ? (e) => e.seq : (e) => -e.seq,
    );
    this.delays = new EventDelays(delaySeed);
  }

  /** `events` in the order they happened. */
  load(events: StripeEvent[]): void {
    const stored = events.map((event) => this.wrap(event));
    this.ordered.load(stored);
  }

  add(event: StripeEvent): void {
    this.ordered.insert(this.wrap(event));
  }

  /** Any stored event, listed yet or not (a retrieve by id finds a late event). */
  get(id: string): StripeEvent | undefined {
    return this.byId.get(id)?.event;
  }

  /**
   * A list cursor: only an event the list shows at `now` (unix seconds) can be one; a late one
   * is unknown to the list index yet.
   */
  cursor(id: string, now: number): Cursor | undefined {
    const e = this.byId.get(id);
    return e && this.isListed(e, now) ? this.ordered.cursorOf(e) : undefined;
  }

  get size(): number {
    return this.ordered.size;
  }

  /** Forgets events older than 30 days, as Stripe does. Cheap: they sit at the end. */
  prune(now: number): void {
    for (const old of this.ordered.dropOlderThan(now - EVENT_RETENTION_SECONDS)) {
      this.byId.delete(old.event.id);
    }
  }

  /** A list page as of `now` (unix seconds, fractional): late events not yet listed are left out. */
  page(query: {
    now: number;
    limit: number;
    startingAfter?: Cursor;
    endingBefore?: Cursor;
    created?: CreatedRange;
    filter?: (e: StripeEvent) => boolean;
  }): Page<StripeEvent> {
    const { filter, now } = query;
    const anyLate = this.lateness.eventDelayShare > 0 && this.lateness.eventDelayMaxSeconds > 0;
    const listed = anyLate ? (stored: StoredEvent) => this.isListed(stored, now) : undefined;
    const page = this.ordered.page({
      ...query,
      filter:
        filter && listed
          ? (stored) => listed(stored) && filter(stored.event)
          : filter
            ? (stored) => filter(stored.event)
            : listed,
    });
    return { data: page.data.map((s) => s.event), hasMore: page.hasMore };
  }

  private isListed(stored: StoredEvent, now: number): boolean {
    const { eventDelayShare, eventDelayMaxSeconds } = this.lateness;
    return listedFrom(stored.created, stored.draws, eventDelayShare, eventDelayMaxSeconds) <= now;
  }

  private wrap(event: StripeEvent): StoredEvent {
    const stored = {
      created: event.created,
      seq: this.seq++,
      event,
      draws: this.delays.draw(event.id),
    };
    this.byId.set(event.id, stored);
    return stored;
  }
}
