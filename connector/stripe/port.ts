/**
 * The engine's Stripe port: the few reads a pipeline needs, in plain JSON. `StripeApi` implements
 * it over the official SDK (paced, retried, errors made actionable); engine tests script it
 * directly, so no test has to patch the engine's internals to stage what Stripe would answer.
 */
import type { DeletedStripeCustomer, StripeCustomer } from './customer-schema';
import type { Endpoint } from './rate-budgets';

/** Events whose object is the customer itself. */
export const CUSTOMER_OBJECT_EVENT_TYPES = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
] as const;

/**
 * Events of other objects that change a customer field, which Stripe may send without
 * `customer.updated` (customer-changes.ts says which field each one changes, and why). Stripe
 * takes at most 20 names in `types[]`: these and the customer's own are 9.
 */
export const RELATED_EVENT_TYPES = [
  'customer.discount.created',
  'customer.discount.updated',
  'customer.discount.deleted',
  'customer.source.created',
  'customer.source.deleted',
  'payment_method.detached',
] as const;

/** Every event the engine reads, asked for by exact name. */
export const CUSTOMER_EVENT_TYPES = [...CUSTOMER_OBJECT_EVENT_TYPES, ...RELATED_EVENT_TYPES];
export type CustomerEventType = (typeof CUSTOMER_EVENT_TYPES)[number];

/** The parts of a Stripe event the engine reads. */
export interface CustomerEvent {
  id: string;
  type: CustomerEventType;
  created: number;
  apiVersion: string | null;
  /**
   * The event's object as Stripe sent it: the customer for CUSTOMER_OBJECT_EVENT_TYPES, the
   * discount, source or payment method for the others. The events reader checks it.
   */
  object: unknown;
  previousAttributes: Record<string, unknown> | undefined;
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
  /** Server time of the response (its Date header), unix seconds: Stripe's clock, not ours. */
  serverTime: number;
}

/** A page of events: `malformed` counts the entries that were not events at all. */
export interface EventPage extends Page<CustomerEvent> {
  malformed: number;
}

export interface SearchPage extends Page<StripeCustomer> {
  nextPage: string | null;
  /**
   * How many customers match in all, when asked for (Stripe's `expand[]=total_count`). Stripe
   * counts exactly up to 10,000 only: a larger figure means "at least 10,000".
   */
  totalCount?: number;
}

export interface CreatedRange {
  gte?: number;
  lte?: number;
  lt?: number;
}

export const PAGE_SIZE = 100;

/** Requests made so far, for summaries and benchmarks. */
export interface RequestStats {
  requests: number;
  retries: number;
  rateLimited: number;
}

export interface StripePort {
  /** The API version responses are rendered in (the SDK's pinned one). */
  readonly apiVersion: string;
  readonly stats: RequestStats;
  /**
   * How many requests of an endpoint are worth having in flight at once (its pace times how long
   * Stripe takes to answer); undefined while unknown. Ports that do not pace leave it out.
   */
  inFlightWorth?(endpoint: Endpoint): number | undefined;
  /** One page of customers, newest first, within a created range. */
  listCustomers(params: {
    created?: CreatedRange;
    email?: string;
    startingAfter?: string;
    limit?: number;
  }): Promise<Page<StripeCustomer>>;
  /** One page of results of the Search API (eventually consistent). */
  searchCustomers(
    query: string,
    page?: string,
    options?: { withTotalCount?: boolean },
  ): Promise<SearchPage>;
  /**
   * The customer as it is now, or its deleted stub. A customer Stripe no longer knows at all
   * (test data wiped from the dashboard) counts as deleted.
   */
  retrieveCustomer(
    id: string,
  ): Promise<{ customer: StripeCustomer | DeletedStripeCustomer; serverTime: number }>;
  /** One page of the events of CUSTOMER_EVENT_TYPES, newest first. */
  listCustomerEvents(params: {
    created: CreatedRange;
    startingAfter?: string;
    limit?: number;
  }): Promise<EventPage>;
}
