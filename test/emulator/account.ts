/**
 * One Stripe account in one mode (test or live): its customers, its event log and its
 * idempotency cache. Stripe keeps test and live data, and each connected account's data,
 * entirely separate; so does the emulator. Mutations here emit the events Stripe would.
 */
import type { Behaviour } from './behaviour.js';
import type { Clock } from './clock.js';
import { buildCustomer, previousAttributes, updateCustomer } from './customer-write.js';
import { resourceMissing } from './errors.js';
import { eventData } from './event-payload.js';
import { type Customer, type DeletedCustomer, type StripeEvent } from './model.js';
import type { ParamTree } from './params.js';
import { deriveSeed, Rng } from './prng.js';
import { RelatedObjects } from './related.js';
import { generateSeed } from './seed.js';
import { CustomerStore, EventStore, type SameSecondEventOrder } from './store.js';
import type { DenseAccount } from './dense.js';

export interface RequestContext {
  requestId: string;
  idempotencyKey: string | null;
}

export interface IdempotentResult {
  fingerprint: string;
  status: number;
  body: string;
  at: number;
}

const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const IDEMPOTENCY_MAX_KEYS = 10_000;

export class Account {
  readonly customers: CustomerStore;
  readonly events: EventStore;
  /** Sources, payment methods, discounts and balance transactions: see related.ts. */
  readonly related: RelatedObjects;
  private readonly rng: Rng;
  private readonly idempotency = new Map<string, IdempotentResult>();
  /** Told of every event as it happens (webhook deliveries). */
  onEvent: ((event: StripeEvent) => void) | undefined;

  /**
   * `behaviour` holds the live data knobs (behaviour.ts): the account's event API version and
   * `previous_attributes` style (read when an event happens), event lateness, search lag.
   */
  constructor(
    readonly id: string,
    readonly livemode: boolean,
    private readonly clock: Clock,
    seed: number,
    customerCount: number,
    private readonly behaviour: Behaviour,
    sameSecondEvents?: SameSecondEventOrder,
    dense?: DenseAccount,
  ) {
    this.events = new EventStore(sameSecondEvents, deriveSeed(seed, 'event-delay'), behaviour);
    // Its own stream, so ids of customers created through the API do not depend on seeding.
    this.rng = new Rng(deriveSeed(seed, 'api'));
    const data = generateSeed({ count: customerCount, now: clock.now(), livemode, seed, dense });
    this.customers = new CustomerStore(data.materialize, {
      nowMs: () => clock.nowMs(),
      lagMs: () => behaviour.searchLagSeconds * 1000,
    });
    this.customers.load(data.live, data.deleted);
    // Seeded history happened under the account's current API version and payload style.
    this.events.load(data.events.map((event) => this.restyle(event)));
    this.related = new RelatedObjects(this);
  }

  /** The emulator clock, unix seconds. */
  now(): number {
    return this.clock.now();
  }

  /** A fresh id from the account's own stream (`prefix` + `length` alphanumerics). */
  newId(prefix: string, length: number): string {
    return this.rng.id(prefix, length);
  }

  get customerUpdatedForRelatedChanges(): boolean {
    return this.behaviour.customerUpdatedForRelatedChanges;
  }

  /**
   * Stores a customer's new state, changed through another object (related.ts), with
   * `customer.updated` when `customerUpdated` says Stripe would send it.
   */
  replaceCustomer(
    before: Customer,
    after: Customer,
    ctx: RequestContext,
    options: { customerUpdated: boolean },
  ): void {
    const previous = previousAttributes(before, after);
    if (!previous) return;
    this.customers.replace(after);
    if (options.customerUpdated) this.emit('customer.updated', after, ctx, previous);
  }

  /** An event about any object, rendered as the account renders events. */
  emitEvent(
    type: string,
    object: object,
    ctx: RequestContext,
    previous?: Record<string, unknown>,
  ): void {
    this.emit(type, object, ctx, previous);
  }

  /**
   * The account's default API version, which Stripe renders event payloads in (not the version
   * of the request that caused them). An old one makes payloads differ from retrieved objects.
   */
  get eventApiVersion(): string {
    return this.behaviour.eventApiVersion;
  }

  /** Events older than 30 days (by the emulator clock) are gone. */
  liveEvents(): EventStore {
    this.events.prune(this.clock.now());
    return this.events;
  }

  getCustomer(id: string): Customer {
    const c = this.customers.get(id);
    if (!c) throw resourceMissing('customer', id, 'id');
    return c;
  }

  createCustomer(params: ParamTree, ctx: RequestContext): Customer {
    let id = this.rng.id('cus_', 14);
    while (this.customers.has(id)) id = this.rng.id('cus_', 14);
    const customer = buildCustomer(params, {
      id,
      created: this.clock.now(),
      livemode: this.livemode,
      invoicePrefix: this.rng.hex(8),
    });
    this.customers.add(customer);
    this.emit('customer.created', customer, ctx);
    return customer;
  }

  updateCustomer(id: string, params: ParamTree, ctx: RequestContext): Customer {
    const current = this.getCustomer(id);
    const next = updateCustomer(current, params);
    const previous = previousAttributes(current, next);
    // Stripe sends no event (and changes nothing) for an update that changes nothing.
    if (!previous) return current;
    this.customers.replace(next);
    this.emit('customer.updated', next, ctx, previous);
    return next;
  }

  deleteCustomer(id: string, ctx: RequestContext): DeletedCustomer {
    const removed = this.customers.remove(id);
    if (!removed) throw resourceMissing('customer', id, 'id');
    this.emit('customer.deleted', removed, ctx);
    return { id, object: 'customer', deleted: true };
  }

  idempotentResult(key: string): IdempotentResult | undefined {
    const hit = this.idempotency.get(key);
    if (hit && hit.at < this.clock.now() - IDEMPOTENCY_TTL_SECONDS) {
      this.idempotency.delete(key);
      return undefined;
    }
    return hit;
  }

  rememberResult(key: string, result: Omit<IdempotentResult, 'at'>): void {
    if (this.idempotency.size >= IDEMPOTENCY_MAX_KEYS) {
      const oldest = this.idempotency.keys().next().value;
      if (oldest !== undefined) this.idempotency.delete(oldest);
    }
    this.idempotency.set(key, { ...result, at: this.clock.now() });
  }

  private emit(
    type: string,
    object: object,
    ctx: RequestContext,
    previous?: Record<string, unknown>,
  ): void {
    const event: StripeEvent = {
      id: this.rng.id('evt_', 24),
      object: 'event',
      api_version: this.eventApiVersion,
      created: this.clock.now(),
      data: eventData(object, previous, this.payloadStyle()),
      livemode: this.livemode,
      pending_webhooks: 0,
      request: { id: ctx.requestId, idempotency_key: ctx.idempotencyKey },
      type,
    };
    this.events.add(event);
    this.onEvent?.(event);
  }

  private payloadStyle(): { apiVersion: string; emptyAs: Behaviour['previousAttributesEmptyAs'] } {
    return {
      apiVersion: this.behaviour.eventApiVersion,
      emptyAs: this.behaviour.previousAttributesEmptyAs,
    };
  }

  /** A seeded event (rendered in the SDK's version, `null` style) in the account's style. */
  private restyle(event: StripeEvent): StripeEvent {
    const style = this.payloadStyle();
    if (style.apiVersion === event.api_version && style.emptyAs === 'null') return event;
    const { object, previous_attributes: previous } = event.data;
    return { ...event, api_version: style.apiVersion, data: eventData(object, previous, style) };
  }
}
