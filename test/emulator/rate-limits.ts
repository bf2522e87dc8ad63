/**
 * Stripe's rate limiters, as its rate-limits page describes them:
 *
 * - a global limit per account and mode: 100 requests/s in live mode, 25/s in a sandbox (test
 *   mode);
 * - a limit per endpoint, 25 requests/s unless noted, where an endpoint is one named operation:
 *   method + route pattern (`GET /v1/customers` list, `GET /v1/customers/:id` retrieve: retrieves
 *   of different ids share one, `POST /v1/customers` create...);
 * - Search (`GET /v1/customers/search`) 20 requests/s.
 *
 * Endpoint calls also count toward the global limit. Each limit is a sliding one-second window
 * over admitted requests, and a request is admitted only if every limit it falls under has room:
 * a rejected request counts toward none of them (otherwise a client retrying fast would lock
 * itself out for good, and a 429 from one limiter would eat another's budget).
 *
 * Defaults are off (0 = no limit) so existing suites run unthrottled; `stripeLimits` turns on
 * Stripe's real numbers. Where Stripe's docs are silent the emulator picks the harsher reading:
 * the search endpoint, when only the endpoint limit is set, gets 20/s (or the endpoint limit if
 * lower); limits are per account *and* mode (connected accounts have their own buckets); and a
 * platform's request made for a connected account (`Stripe-Account`) counts against the
 * connected account's limits AND the platform's own (`connectedAccountLimits`, default
 * `account_and_platform`): Stripe's rate-limits page says "per Stripe account" and its Connect
 * guide says nothing more, so a platform reading many accounts at once may well share its own
 * budget among them.
 */

/**
 * Sliding one-second window over admitted requests: at most `limit` requests are let through in
 * any 1000 ms span, however the client spaces or bursts them.
 */
export class RateLimiter {
  private readonly stamps: number[] = [];

  /** Whether one more request fits now (drops stamps that left the window). */
  hasRoom(limit: number, nowMs: number): boolean {
    while (this.stamps.length > 0 && (this.stamps[0] as number) <= nowMs - 1000) {
      this.stamps.shift();
    }
    return this.stamps.length < limit;
  }

  record(nowMs: number): void {
    this.stamps.push(nowMs);
  }

  admit(limit: number, nowMs: number): boolean {
    if (!this.hasRoom(limit, nowMs)) return false;
    this.record(nowMs);
    return true;
  }
}

/** Requests per second by mode; 0 = no limit. */
export interface PerMode {
  live: number;
  test: number;
}

/** How `rateLimit` may be given: one number for both modes (as before), or per mode. */
export type GlobalRateLimit = number | Partial<PerMode>;

export interface RateLimitSettings {
  /**
   * Global limit per account and mode. A number sets both modes; `{ live, test }` each one (a
   * mode left out keeps its value).
   */
  rateLimit?: GlobalRateLimit;
  /** Limit per endpoint (method + route pattern) per account and mode; 0 = none. */
  endpointRateLimit?: number;
  /**
   * The search endpoint's own limit; 0 = "default": 20 (Stripe's) whenever the endpoint limit is
   * on (or the endpoint limit, if lower), none otherwise.
   */
  searchRateLimit?: number;
  /**
   * true: Stripe's real numbers (global live 100 / test 25, endpoint 25, search 20), applied
   * before any other field of the same settings object, which then override; false: all off.
   */
  stripeLimits?: boolean;
  /**
   * Seconds announced in `Retry-After` on the limiters' own 429s; 0 (default) sends none, since
   * Stripe's docs do not promise the header.
   */
  rateLimitRetryAfter?: number;
  /**
   * What a platform's request for a connected account (`Stripe-Account`) counts against:
   * `account_and_platform` (default, the worst case Stripe's silence allows) the connected
   * account's limits and the platform's own; `account` only the connected account's.
   */
  connectedAccountLimits?: ConnectedAccountLimits;
}

export type ConnectedAccountLimits = 'account' | 'account_and_platform';

export const STRIPE_LIMITS = {
  global: { live: 100, test: 25 },
  endpoint: 25,
  search: 20,
} as const;

const SEARCH_PATTERN = 'GET /v1/customers/search';

export type LimitedBy = 'global' | 'endpoint';

export class RateLimits {
  private global: PerMode = { live: 0, test: 0 };
  private endpoint = 0;
  private search = 0;
  private retryAfter = 0;
  private connected: ConnectedAccountLimits = 'account_and_platform';
  private readonly windows = new Map<string, RateLimiter>();

  constructor(settings: RateLimitSettings = {}) {
    this.set(settings);
  }

  /** Throws a TypeError naming the field when a value is malformed; changes nothing then. */
  static validate(settings: RateLimitSettings): void {
    const { rateLimit } = settings;
    if (typeof rateLimit === 'object' && rateLimit !== null) {
      for (const [mode, value] of Object.entries(rateLimit)) {
        if (mode !== 'live' && mode !== 'test') {
          throw new TypeError(`rateLimit modes are live and test, got '${mode}'`);
        }
        nonNegative(`rateLimit.${mode}`, value);
      }
    } else if (rateLimit !== undefined) nonNegative('rateLimit', rateLimit);
    for (const name of ['endpointRateLimit', 'searchRateLimit', 'rateLimitRetryAfter'] as const) {
      if (settings[name] !== undefined) nonNegative(name, settings[name]);
    }
    if (settings.stripeLimits !== undefined && typeof settings.stripeLimits !== 'boolean') {
      throw new TypeError('stripeLimits must be true or false');
    }
    const connected = settings.connectedAccountLimits;
    if (
      connected !== undefined &&
      connected !== 'account' &&
      connected !== 'account_and_platform'
    ) {
      throw new TypeError(
        `connectedAccountLimits must be 'account' or 'account_and_platform', got ${JSON.stringify(connected)}`,
      );
    }
  }

  set(settings: RateLimitSettings): void {
    RateLimits.validate(settings);
    if (settings.stripeLimits === true) {
      this.global = { ...STRIPE_LIMITS.global };
      this.endpoint = STRIPE_LIMITS.endpoint;
      this.search = STRIPE_LIMITS.search;
    } else if (settings.stripeLimits === false) {
      this.global = { live: 0, test: 0 };
      this.endpoint = 0;
      this.search = 0;
    }
    const { rateLimit } = settings;
    if (typeof rateLimit === 'number') this.global = { live: rateLimit, test: rateLimit };
    else if (rateLimit) this.global = { ...this.global, ...rateLimit };
    if (settings.endpointRateLimit !== undefined) this.endpoint = settings.endpointRateLimit;
    if (settings.searchRateLimit !== undefined) this.search = settings.searchRateLimit;
    if (settings.rateLimitRetryAfter !== undefined) this.retryAfter = settings.rateLimitRetryAfter;
    if (settings.connectedAccountLimits !== undefined) {
      this.connected = settings.connectedAccountLimits;
    }
  }

  settings(): Required<RateLimitSettings> {
    const { live, test } = this.global;
    return {
      // One number when both modes agree, as the setting was before it had modes.
      rateLimit: live === test ? live : { live, test },
      endpointRateLimit: this.endpoint,
      searchRateLimit: this.search,
      stripeLimits:
        live === STRIPE_LIMITS.global.live &&
        test === STRIPE_LIMITS.global.test &&
        this.endpoint === STRIPE_LIMITS.endpoint &&
        this.search === STRIPE_LIMITS.search,
      rateLimitRetryAfter: this.retryAfter,
      connectedAccountLimits: this.connected,
    };
  }

  /** `Retry-After` seconds for the limiters' 429s, or undefined for none. */
  get retryAfterSeconds(): number | undefined {
    return this.retryAfter > 0 ? this.retryAfter : undefined;
  }

  /**
   * Admits one request of `account` (id and mode) to `endpoint` (`METHOD /pattern`, or undefined
   * for an unrecognized URL, which only the global limit covers), or names the limit it broke.
   * `platform`: the platform whose key made a request for the connected account `account`; with
   * `account_and_platform` the request needs room under the platform's limits too, and counts
   * against them.
   */
  admit(
    account: string,
    livemode: boolean,
    endpoint: string | undefined,
    nowMs: number,
    platform?: string,
  ): LimitedBy | undefined {
    const mode = livemode ? 'live' : 'test';
    const owners =
      platform !== undefined && platform !== account && this.connected === 'account_and_platform'
        ? [account, platform]
        : [account];
    const globalLimit = livemode ? this.global.live : this.global.test;
    const endpointLimit = endpoint === undefined ? 0 : this.endpointLimit(endpoint);
    const endpointWindows =
      endpointLimit > 0 ? owners.map((owner) => this.window(`${owner}:${mode} ${endpoint}`)) : [];
    const globalWindows =
      globalLimit > 0 ? owners.map((owner) => this.window(`${owner}:${mode}`)) : [];
    if (endpointWindows.some((window) => !window.hasRoom(endpointLimit, nowMs))) return 'endpoint';
    if (globalWindows.some((window) => !window.hasRoom(globalLimit, nowMs))) return 'global';
    for (const window of [...endpointWindows, ...globalWindows]) window.record(nowMs);
    return undefined;
  }

  private endpointLimit(endpoint: string): number {
    if (endpoint !== SEARCH_PATTERN) return this.endpoint;
    if (this.search > 0) return this.search;
    return this.endpoint > 0 ? Math.min(this.endpoint, STRIPE_LIMITS.search) : 0;
  }

  private window(key: string): RateLimiter {
    let limiter = this.windows.get(key);
    if (!limiter) this.windows.set(key, (limiter = new RateLimiter()));
    return limiter;
  }
}

function nonNegative(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a number >= 0 (0 = off), got ${JSON.stringify(value)}`);
  }
}

/**
 * `--rate-limit` text: `100` (both modes) or `live=100,test=25` (either part may be left out).
 */
export function parseGlobalRateLimit(text: string): GlobalRateLimit {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Number(text);
  const out: Partial<PerMode> = {};
  for (const part of text.split(',')) {
    const m = /^\s*(live|test)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) {
      throw new Error(`--rate-limit expects a number (both modes) or live=N,test=N, got '${text}'`);
    }
    out[m[1] as keyof PerMode] = Number(m[2]);
  }
  return out;
}
