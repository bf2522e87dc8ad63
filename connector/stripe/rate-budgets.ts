/**
 * Stripe's rate limits, as its rate-limits page states them, and the budgets the connector takes
 * of them. Stripe limits each account globally (100 requests/s in live mode, 25/s in a sandbox)
 * AND each endpoint (25 requests/s unless noted; Search 20/s), where each named operation is its
 * own endpoint and endpoint calls also count toward the global limit. The connector uses only a
 * share of each (`max_share_of_rate_limits`, default 0.8), so the merchant's own production calls
 * to the same endpoints keep the rest.
 */

/** The endpoints the connector calls, named as Stripe's limits count them. */
export const ENDPOINTS = {
  listCustomers: 'GET /v1/customers',
  searchCustomers: 'GET /v1/customers/search',
  retrieveCustomer: 'GET /v1/customers/:id',
  listEvents: 'GET /v1/events',
  /** The connected accounts of a Connect platform (`connected_accounts: "all"`). */
  listAccounts: 'GET /v1/accounts',
} as const;
export type Endpoint = (typeof ENDPOINTS)[keyof typeof ENDPOINTS];

export const STRIPE_LIMITS = {
  global: { live: 100, test: 25 },
  endpoint: 25,
  search: 20,
} as const;

export type KeyMode = 'live' | 'test';

export interface RateBudgets {
  /** Requests per second across every endpoint. */
  global: number;
  /** Requests per second per endpoint. */
  endpoints: Record<Endpoint, number>;
}

/**
 * The paces the connector keeps: `share` of each of Stripe's limits, and the global one capped by
 * `requests_per_second` when set. Even the whole of a limit is paced one request under it:
 * Stripe counts requests in any one-second window, and a request whose timer fired late can land
 * in the same window as the pace's full second after it.
 */
export function rateBudgets(mode: KeyMode, share: number, requestsPerSecond?: number): RateBudgets {
  const pace = (limit: number) => Math.min(limit * share, limit - 1);
  const global = Math.min(
    pace(STRIPE_LIMITS.global[mode]),
    requestsPerSecond ?? Number.POSITIVE_INFINITY,
  );
  const endpoint = Math.min(pace(STRIPE_LIMITS.endpoint), global);
  return {
    global,
    endpoints: {
      [ENDPOINTS.listCustomers]: endpoint,
      [ENDPOINTS.retrieveCustomer]: endpoint,
      [ENDPOINTS.listEvents]: endpoint,
      [ENDPOINTS.listAccounts]: endpoint,
      [ENDPOINTS.searchCustomers]: Math.min(pace(STRIPE_LIMITS.search), global),
    },
  };
}

export function keyMode(apiKey: string): KeyMode {
  return /^(sk|rk)_live_/.test(apiKey) ? 'live' : 'test';
}
