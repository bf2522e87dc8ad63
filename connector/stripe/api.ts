import Stripe from 'stripe';
import { ConfigError, TransientError } from '../errors';
import type { DeletedStripeCustomer, StripeCustomer } from './customer-schema';
import { MissingObjectError, toConnectorError } from './errors';
import {
  CUSTOMER_EVENT_TYPES,
  PAGE_SIZE,
  type CreatedRange,
  type CustomerEvent,
  type CustomerEventType,
  type EventPage,
  type Page,
  type SearchPage,
  type StripePort,
} from './port';
import { ENDPOINTS, keyMode, rateBudgets, type Endpoint } from './rate-budgets';
import { RequestGate, type GateStats, type Slowdown } from './request-gate';

/** Where and how to reach Stripe: the connection part of the config, shared by every pipeline. */
export interface StripeConnection {
  apiKey: string;
  /** Stripe Connect: read the customers of this connected account (acct_...). */
  accountId?: string;
  /** Defaults to Stripe's; tests and the demo point it at the emulator. */
  apiBaseUrl?: string;
  /** An extra global cap, requests per second, below the budgets Stripe's limits give. */
  requestsPerSecond?: number;
  /** 0.05-1: the share of Stripe's limits (per endpoint and per account) this connector uses. */
  maxShareOfRateLimits?: number;
  requestTimeoutMs?: number;
  maxAttempts?: number;
  /** How long one request may wait out 429s before it fails (default 5 minutes). */
  rateLimitPatienceMs?: number;
}

/**
 * The engine's only door to Stripe: the official SDK behind a rate-limited, retrying gate, with
 * errors turned into actionable ones. Everything is plain JSON past this class.
 */
export class StripeApi implements StripePort {
  readonly apiVersion: string;
  private readonly stripe: Stripe;
  private readonly gate: RequestGate;
  private readonly secrets: string[];

  constructor(connection: StripeConnection, onRateLimited?: (slowdown: Slowdown) => void) {
    this.secrets = [connection.apiKey];
    const base = parseBaseUrl(connection.apiBaseUrl);
    this.stripe = new Stripe(connection.apiKey, {
      ...base,
      telemetry: false,
      // Retries happen in the gate, where 429s are honoured too (the SDK does not retry them).
      maxNetworkRetries: 0,
      timeout: connection.requestTimeoutMs ?? 60_000,
      ...(connection.accountId ? { stripeAccount: connection.accountId } : {}),
      appInfo: { name: 'source-stripe-customers' },
    });
    this.apiVersion = Stripe.API_VERSION;
    this.gate = new RequestGate(
      {
        budgets: rateBudgets(
          keyMode(connection.apiKey),
          connection.maxShareOfRateLimits ?? 0.8,
          connection.requestsPerSecond,
        ),
        maxAttempts: connection.maxAttempts ?? 8,
        initialDelayMs: 500,
        maxDelayMs: 30_000,
        ...(connection.rateLimitPatienceMs !== undefined
          ? { rateLimitPatienceMs: connection.rateLimitPatienceMs }
          : {}),
      },
      onRateLimited,
    );
  }

  get stats(): GateStats {
    return this.gate.stats;
  }

  inFlightWorth(endpoint: Endpoint): number | undefined {
    return this.gate.inFlightWorth(endpoint);
  }

  /** One page of customers, newest first, within a created range. */
  async listCustomers(params: {
    created?: CreatedRange;
    email?: string;
    startingAfter?: string;
    limit?: number;
  }): Promise<Page<StripeCustomer>> {
    const list = await this.call(ENDPOINTS.listCustomers, 'customers', () =>
      this.stripe.customers.list({
        limit: params.limit ?? PAGE_SIZE,
        ...(hasBounds(params.created) ? { created: params.created } : {}),
        ...(params.email !== undefined ? { email: params.email } : {}),
        ...(params.startingAfter ? { starting_after: params.startingAfter } : {}),
      }),
    );
    return {
      items: listData(list) as StripeCustomer[],
      hasMore: list.has_more,
      serverTime: serverTimeOf(list),
    };
  }

  /** One page of results of the Search API (eventually consistent: about a minute behind). */
  async searchCustomers(
    query: string,
    page?: string,
    options: { withTotalCount?: boolean } = {},
  ): Promise<SearchPage> {
    const result = await this.call(ENDPOINTS.searchCustomers, 'customers', () =>
      this.stripe.customers.search({
        query,
        limit: PAGE_SIZE,
        ...(page ? { page } : {}),
        ...(options.withTotalCount ? { expand: ['total_count'] } : {}),
      }),
    );
    return {
      items: listData(result) as StripeCustomer[],
      hasMore: result.has_more,
      nextPage: result.next_page,
      serverTime: serverTimeOf(result),
      ...(typeof result.total_count === 'number' ? { totalCount: result.total_count } : {}),
    };
  }

  /**
   * The customer as it is now, or its deleted stub. A customer Stripe no longer knows at all
   * (test data wiped from the dashboard deletes customers without events) counts as deleted.
   */
  async retrieveCustomer(
    id: string,
  ): Promise<{ customer: StripeCustomer | DeletedStripeCustomer; serverTime: number }> {
    let customer: Stripe.Response<Stripe.Customer | Stripe.DeletedCustomer>;
    try {
      customer = await this.call(ENDPOINTS.retrieveCustomer, 'customers', () =>
        this.stripe.customers.retrieve(id),
      );
    } catch (error) {
      if (!(error instanceof MissingObjectError)) throw error;
      return {
        customer: { id, object: 'customer', deleted: true },
        serverTime: Math.floor(Date.now() / 1000),
      };
    }
    return {
      customer: customer as unknown as StripeCustomer | DeletedStripeCustomer,
      serverTime: serverTimeOf(customer),
    };
  }

  /** One page of the events a customer change can come with (CUSTOMER_EVENT_TYPES), newest first. */
  async listCustomerEvents(params: {
    created: CreatedRange;
    startingAfter?: string;
    limit?: number;
  }): Promise<EventPage> {
    const list = await this.call(ENDPOINTS.listEvents, 'events', () =>
      this.stripe.events.list({
        limit: params.limit ?? PAGE_SIZE,
        // Exact types: `customer.*` would also match subscriptions, sources, tax ids...
        types: [...CUSTOMER_EVENT_TYPES],
        created: params.created,
        ...(params.startingAfter ? { starting_after: params.startingAfter } : {}),
      }),
    );
    // An entry that is not even an event cannot be placed or paged after: it is counted and
    // left out, and the caller reports it.
    const entries = listData(list);
    const items = entries.filter(isEventShaped).map(toCustomerEvent);
    return {
      items,
      malformed: entries.length - items.length,
      hasMore: list.has_more,
      serverTime: serverTimeOf(list),
    };
  }

  private async call<T>(
    endpoint: Endpoint,
    resource: 'customers' | 'events',
    request: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.gate.run(endpoint, request);
    } catch (error) {
      throw toConnectorError(error, resource, this.secrets);
    }
  }
}

/** A list's entries; a list answered without a `data` array is a transient failure, not a crash. */
function listData(list: { data?: unknown }): unknown[] {
  if (Array.isArray(list.data)) return list.data;
  throw new TransientError(
    'Stripe answered a list without its `data` array; the next run continues from the last checkpoint.',
  );
}

function isEventShaped(value: unknown): value is Stripe.Event {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as { id?: unknown; type?: unknown; created?: unknown; data?: unknown };
  return (
    typeof event.id === 'string' &&
    typeof event.type === 'string' &&
    Number.isInteger(event.created) &&
    typeof event.data === 'object' &&
    event.data !== null
  );
}

function toCustomerEvent(event: Stripe.Event): CustomerEvent {
  const data = event.data as { object: unknown; previous_attributes?: Record<string, unknown> };
  return {
    id: event.id,
    type: event.type as CustomerEventType,
    created: event.created,
    apiVersion: event.api_version ?? null,
    object: data.object as StripeCustomer,
    previousAttributes: data.previous_attributes,
  };
}

function hasBounds(range: CreatedRange | undefined): range is CreatedRange {
  return !!range && Object.values(range).some((bound) => bound !== undefined);
}

function serverTimeOf(response: { lastResponse?: { headers: Record<string, string> } }): number {
  const date = response.lastResponse?.headers?.date;
  const millis = date ? Date.parse(date) : NaN;
  return Math.floor((Number.isFinite(millis) ? millis : Date.now()) / 1000);
}

function parseBaseUrl(apiBaseUrl: string | undefined): {
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
} {
  if (!apiBaseUrl) return {};
  let url: URL;
  try {
    url = new URL(apiBaseUrl);
  } catch {
    throw new ConfigError({
      at: ['api_base_url'],
      problem: `not a URL: expected something like https://api.stripe.com, got "${apiBaseUrl}"`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError({ at: ['api_base_url'], problem: 'must start with http:// or https://' });
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
  };
}
