/**
 * A scripted Stripe for in-process engine tests: a small fake of the engine's own Stripe port
 * (connector/stripe/port.ts), holding customers and events in memory on a clock the test moves.
 * It answers like Stripe's list endpoints (newest first, created ranges, starting_after, has_more)
 * and lets a test stage what an emulator makes awkward: the order of same-second events, events
 * listed late, `''` in previous_attributes, payloads of another API version, damaged answers.
 * End-to-end behaviour stays with the HTTP emulator (test/emulator); this is for the engine's
 * own rules, fast.
 */
import type {
  CreatedRange,
  CustomerEvent,
  CustomerEventType,
  EventPage,
  Page,
  RequestStats,
  SearchPage,
  StripePort,
} from '../../connector/stripe/port';
import type { StripeCustomer } from '../../connector/stripe/customer-schema';

export const PINNED_VERSION = 'pinned-version';

export interface ScriptedEvent {
  id: string;
  type: CustomerEventType;
  created: number;
  object: Record<string, unknown>;
  previous?: Record<string, unknown>;
  apiVersion?: string;
  /** Listed only once the clock reaches this (Stripe lists some events late). */
  listedFrom?: number;
}

type Call = 'listCustomers' | 'searchCustomers' | 'retrieveCustomer' | 'listCustomerEvents';

export class ScriptedStripe implements StripePort {
  readonly apiVersion = PINNED_VERSION;
  readonly stats: RequestStats = { requests: 0, retries: 0, rateLimited: 0 };
  /** Every call, in order, with its parameters: what the engine asked for. */
  readonly calls: Array<{ call: Call; params: unknown }> = [];
  now: number;
  private readonly customers = new Map<string, Record<string, unknown>>();
  private readonly deleted = new Set<string>();
  private events: ScriptedEvent[] = [];
  private seq = 0;
  private failures: Array<{ call: Call; error: () => Error }> = [];
  private readonly damaged = new Map<string, number>();
  /** Search answers from this copy when set: Stripe's search index lags behind writes. */
  private searchIndex: Map<string, Record<string, unknown>> | undefined;
  /** Same-second events: listed newest first (as Stripe appears to) or oldest first. */
  sameSecond: 'newest_first' | 'oldest_first' = 'newest_first';

  constructor(now = 1_800_000_000) {
    this.now = now;
  }

  advance(seconds: number): void {
    this.now += seconds;
  }

  /** The next call of this kind throws what `error` builds. */
  failNext(call: Call, error: () => Error): void {
    this.failures.push({ call, error });
  }

  /** The next `times` retrieves of `id` answer an object without an id (a damaged answer). */
  damageRetrieves(id: string, times: number): void {
    this.damaged.set(id, times);
  }

  /** From now on, search answers from the customers as they are now, until `thawSearch`. */
  freezeSearch(): void {
    this.searchIndex = new Map(
      [...this.customers].map(([id, customer]) => [id, structuredClone(customer)]),
    );
  }

  thawSearch(): void {
    this.searchIndex = undefined;
  }

  customer(id: string): Record<string, unknown> | undefined {
    return this.customers.get(id);
  }

  liveCustomers(): Array<Record<string, unknown>> {
    return [...this.customers.values()];
  }

  /** Creates a customer now (or at `created`), with a customer.created event unless `silent`. */
  create(
    fields: Record<string, unknown> & { id: string },
    options: { created?: number; silent?: boolean; event?: Partial<ScriptedEvent> } = {},
  ): Record<string, unknown> {
    const customer = {
      object: 'customer',
      metadata: {},
      email: null,
      name: null,
      balance: 0,
      ...fields,
      created: options.created ?? this.now,
    };
    this.customers.set(customer.id, customer);
    if (!options.silent) this.emit('customer.created', customer, undefined, options.event);
    return customer;
  }

  /** Applies `changes` (top-level fields; metadata merged) with a customer.updated event. */
  update(
    id: string,
    changes: Record<string, unknown>,
    options: { event?: Partial<ScriptedEvent> } = {},
  ): Record<string, unknown> {
    const before = this.customers.get(id);
    if (!before) throw new Error(`no customer ${id}`);
    const after: Record<string, unknown> = { ...before };
    const previous: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(changes)) {
      if (field === 'metadata') {
        const old = before.metadata as Record<string, string>;
        const next = { ...old, ...(value as Record<string, string>) };
        previous.metadata = Object.fromEntries(
          Object.keys(value as object).map((key) => [key, old[key] ?? null]),
        );
        after.metadata = next;
      } else {
        previous[field] = before[field] ?? null;
        after[field] = value;
      }
    }
    this.customers.set(id, after);
    this.emit('customer.updated', after, previous, options.event);
    return after;
  }

  delete(id: string, options: { event?: Partial<ScriptedEvent> } = {}): void {
    const customer = this.customers.get(id);
    if (!customer) throw new Error(`no customer ${id}`);
    this.customers.delete(id);
    this.deleted.add(id);
    this.emit('customer.deleted', customer, undefined, options.event);
  }

  /** Every event so far as a webhook delivers it (the JSON body Stripe POSTs), oldest first. */
  delivered(): Array<Record<string, unknown>> {
    return this.events.map((event) => ({
      id: event.id,
      object: 'event',
      api_version: event.apiVersion ?? PINNED_VERSION,
      created: event.created,
      data: {
        object: structuredClone(event.object),
        ...(event.previous ? { previous_attributes: structuredClone(event.previous) } : {}),
      },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: event.type,
    }));
  }

  /** Adds an event as given (for payloads no write here would produce). */
  addEvent(event: ScriptedEvent): void {
    this.events.push({ ...event });
  }

  private emit(
    type: CustomerEventType,
    object: Record<string, unknown>,
    previous: Record<string, unknown> | undefined,
    extra: Partial<ScriptedEvent> = {},
  ): void {
    this.events.push({
      id: `evt_${String(++this.seq).padStart(6, '0')}`,
      type,
      created: this.now,
      object: structuredClone(object),
      ...(previous ? { previous } : {}),
      ...extra,
    });
  }

  private take(call: Call, params: unknown): void {
    this.calls.push({ call, params });
    this.stats.requests++;
    const at = this.failures.findIndex((failure) => failure.call === call);
    if (at >= 0) {
      const [failure] = this.failures.splice(at, 1);
      throw failure!.error();
    }
  }

  async listCustomers(params: {
    created?: CreatedRange;
    email?: string;
    startingAfter?: string;
    limit?: number;
  }): Promise<Page<StripeCustomer>> {
    this.take('listCustomers', params);
    const matching = [...this.customers.values()]
      .filter((customer) => inRange(customer.created as number, params.created))
      .filter((customer) => params.email === undefined || customer.email === params.email)
      .sort(newestFirst);
    return this.page(matching, params.startingAfter, params.limit) as Page<StripeCustomer>;
  }

  async searchCustomers(
    query: string,
    page?: string,
    options: { withTotalCount?: boolean } = {},
  ): Promise<SearchPage> {
    this.take('searchCustomers', { query, page });
    const range = createdRangeOf(query);
    const matching = [...(this.searchIndex ?? this.customers).values()]
      .filter((customer) => inRange(customer.created as number, range))
      .sort(newestFirst);
    const offset = page ? Number(page) : 0;
    const items = matching.slice(offset, offset + 100);
    const hasMore = offset + 100 < matching.length;
    return {
      items: items.map((customer) => structuredClone(customer)) as StripeCustomer[],
      hasMore,
      nextPage: hasMore ? String(offset + 100) : null,
      serverTime: this.now,
      ...(options.withTotalCount ? { totalCount: matching.length } : {}),
    };
  }

  async retrieveCustomer(id: string) {
    this.take('retrieveCustomer', id);
    const damage = this.damaged.get(id) ?? 0;
    if (damage > 0) {
      this.damaged.set(id, damage - 1);
      return {
        customer: { object: 'customer' } as unknown as StripeCustomer,
        serverTime: this.now,
      };
    }
    const customer = this.customers.get(id);
    return {
      customer: customer
        ? (structuredClone(customer) as StripeCustomer)
        : { id, object: 'customer' as const, deleted: true as const },
      serverTime: this.now,
    };
  }

  async listCustomerEvents(params: {
    created: CreatedRange;
    startingAfter?: string;
    limit?: number;
  }): Promise<EventPage> {
    this.take('listCustomerEvents', params);
    const order = new Map(this.events.map((event, index) => [event.id, index]));
    const listed = this.events
      .filter((event) => (event.listedFrom ?? event.created) <= this.now)
      .filter((event) => inRange(event.created, params.created))
      .sort(
        (a, b) =>
          b.created - a.created ||
          (this.sameSecond === 'newest_first' ? 1 : -1) * (order.get(b.id)! - order.get(a.id)!),
      );
    const page = this.page(listed, params.startingAfter, params.limit);
    return {
      ...page,
      items: page.items.map(toCustomerEvent),
      malformed: 0,
    };
  }

  private page<T extends { id?: unknown }>(
    sorted: T[],
    startingAfter: string | undefined,
    limit = 100,
  ): Page<T> {
    const start = startingAfter ? sorted.findIndex((item) => item.id === startingAfter) + 1 : 0;
    if (startingAfter && start === 0) throw new Error(`starting_after ${startingAfter} not found`);
    const items = sorted.slice(start, start + limit).map((item) => structuredClone(item));
    return { items, hasMore: start + limit < sorted.length, serverTime: this.now };
  }
}

function toCustomerEvent(event: ScriptedEvent): CustomerEvent {
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    apiVersion: event.apiVersion ?? PINNED_VERSION,
    object: event.object as StripeCustomer,
    previousAttributes: event.previous,
  };
}

function inRange(value: number, range: CreatedRange | undefined): boolean {
  if (!range) return true;
  if (range.gte !== undefined && value < range.gte) return false;
  if (range.lte !== undefined && value > range.lte) return false;
  if (range.lt !== undefined && value >= range.lt) return false;
  return true;
}

function newestFirst(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return (b.created as number) - (a.created as number) || String(b.id).localeCompare(String(a.id));
}

/** The created bounds of a search query (`created>=A AND created<=B`); other clauses ignored. */
function createdRangeOf(query: string): CreatedRange {
  const range: CreatedRange = {};
  for (const [, op, value] of query.matchAll(/created\s*(>=|<=|>|<)\s*(\d+)/g)) {
    const n = Number(value);
    if (op === '>=') range.gte = n;
    else if (op === '>') range.gte = n + 1;
    else if (op === '<=') range.lte = n;
    else range.lt = n;
  }
  return range;
}
