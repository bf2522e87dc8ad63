/**
 * Per-account storage: live customers in list order with an id index, tombstones of deleted
 * customers (so retrieving one answers `{deleted: true}` and a cursor on it still works), and the
 * event log trimmed to Stripe's 30-day retention.
 */
import { type CreatedRange, type Cursor, Ordered, type Page } from './ordered.js';
import { type Customer, EVENT_RETENTION_SECONDS, type StripeEvent } from './model.js';
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

  constructor(private readonly materialize: (slot: CustomerSlot) => Customer) {}

  load(live: CustomerSlot[], deleted: Customer[]): void {
    for (const s of live) this.live.set(s.id, s);
    for (const c of deleted) this.deleted.set(c.id, c);
    // Seeds come oldest first: reversed, they are nearly in list order and sort in ~O(N).
    this.ordered.load(live.slice().reverse());
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
  }

  /** A new version of a live customer (same id and created, so same position). */
  replace(customer: Customer): void {
    const slot = this.live.get(customer.id);
    if (!slot) return;
    slot.customer = customer;
    slot.email = customer.email;
  }

  remove(id: string): Customer | undefined {
    const slot = this.live.get(id);
    if (!slot) return undefined;
    const c = this.full(slot);
    this.live.delete(id);
    this.deleted.set(id, c);
    this.ordered.remove({ created: c.created, tie: c.id });
    return c;
  }

  /** Forgets a customer entirely, with no event (Dashboard > "Delete all test data" does this). */
  purge(id: string): boolean {
    const slot = this.live.get(id);
    if (slot) this.ordered.remove({ created: slot.created, tie: slot.id });
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

  /** Visits live customers newest first from a position (search scans this way). */
  scan(from: Cursor | undefined, visit: (c: Customer) => boolean): void {
    const start = from ? this.ordered.firstOlderThan(from) : 0;
    this.ordered.scan(start, (slot) => visit(this.full(slot)));
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
}

/**
 * Stripe does not document the order of events created in the same second. `newest_first` is
 * what it appears to do; `oldest_first` lets tests prove a client does not depend on it.
 */
export type SameSecondEventOrder = 'newest_first' | 'oldest_first';

export class EventStore {
  private readonly ordered: Ordered<StoredEvent>;
  private readonly byId = new Map<string, StoredEvent>();
  private seq = 0;

  constructor(order: SameSecondEventOrder = 'newest_first') {
    this.ordered = new Ordered<StoredEvent>(
      order === 'newest_first' ? (e) => e.seq : (e) => -e.seq,
    );
  }

  /** `events` in the order they happened. */
  load(events: StripeEvent[]): void {
    const stored = events.map((event) => this.wrap(event));
    this.ordered.load(stored);
  }

  add(event: StripeEvent): void {
    this.ordered.insert(this.wrap(event));
  }

  get(id: string): StripeEvent | undefined {
    return this.byId.get(id)?.event;
  }

  cursor(id: string): Cursor | undefined {
    const e = this.byId.get(id);
    return e ? this.ordered.cursorOf(e) : undefined;
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

  page(query: {
    limit: number;
    startingAfter?: Cursor;
    endingBefore?: Cursor;
    created?: CreatedRange;
    filter?: (e: StripeEvent) => boolean;
  }): Page<StripeEvent> {
    const filter = query.filter;
    const page = this.ordered.page({
      ...query,
      filter: filter ? (stored) => filter(stored.event) : undefined,
    });
    return { data: page.data.map((s) => s.event), hasMore: page.hasMore };
  }

  private wrap(event: StripeEvent): StoredEvent {
    const stored = { created: event.created, seq: this.seq++, event };
    this.byId.set(event.id, stored);
    return stored;
  }
}
