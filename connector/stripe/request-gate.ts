import { backOff } from 'exponential-backoff';
import { classifyFailure } from './errors';
import { Pace, sleep, waitForTurn } from './pace';
import type { RequestStats } from './port';
import type { Endpoint, RateBudgets } from './rate-budgets';

export interface GateOptions {
  /** Paces per endpoint and across them (see rate-budgets.ts). */
  budgets: RateBudgets;
  /** Attempts per call, the first included; a call still failing after them gives up. */
  maxAttempts: number;
  /** First back-off delay; it doubles (with jitter) up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** How long one call may keep waiting out 429s before it fails (default 5 minutes). */
  rateLimitPatienceMs?: number;
  /** How to wait between attempts (tests pass one that records the delays). */
  sleep?: (ms: number) => Promise<void>;
}

export interface GateStats extends RequestStats {
  /** The same counts for each endpoint called. */
  byEndpoint: Partial<Record<Endpoint, RequestStats>>;
}

/** A 429 slowed an endpoint down to `pace` requests per second (of a connected account's gate). */
export interface Slowdown {
  endpoint: Endpoint;
  pace: number;
  account?: string;
}

/** On a 429 the pace drops by this factor, then climbs back a little with every success (AIMD). */
const SLOWDOWN = 0.8;
const RECOVERY_PER_SUCCESS = 0.002;
const SLOWEST = 0.2;
/** How long one call may keep waiting out 429s before the read gives up on it, by default. */
const RATE_LIMIT_PATIENCE_MS = 5 * 60_000;
const RATE_LIMIT_FIRST_DELAY_MS = 250;
const RATE_LIMIT_MAX_DELAY_MS = 5_000;

/** Exponential back-off with full jitter: a random delay up to first x 2^n, capped. */
function backoffMs(firstMs: number, retry: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, firstMs * 2 ** retry);
}

/**
 * One endpoint's pace, kept together with the account's (global) one. A connected account's lane
 * also has the platform's lane for the same endpoint (`shared`): its requests count against the
 * platform's limits too (Stripe's docs do not say otherwise), so they take a slot there as well.
 */
class EndpointLane {
  private readonly own: Pace;
  readonly stats: RequestStats = { requests: 0, retries: 0, rateLimited: 0 };
  /** Retry-After: none of the endpoint's requests goes out before this time (ms). */
  pausedUntil = 0;
  /** How long Stripe takes to answer, from sending (ms; a moving average). */
  answerMs: number | undefined;

  constructor(
    readonly fullPace: number,
    private readonly global: Pace,
    readonly shared?: { lane: EndpointLane; global: Pace },
  ) {
    this.own = new Pace(fullPace);
  }

  get pace(): number {
    return this.own.perSecond;
  }

  set pace(value: number) {
    this.own.perSecond = Math.min(this.fullPace, Math.max(this.fullPace * SLOWEST, value));
  }

  /** The pace its requests actually get: its own, or the shared lane's when that is slower. */
  get effectivePace(): number {
    return Math.min(this.pace, this.shared?.lane.effectivePace ?? Infinity);
  }

  answered(ms: number): void {
    this.answerMs = this.answerMs === undefined ? ms : this.answerMs * 0.8 + ms * 0.2;
    this.shared?.lane.answered(ms);
  }

  /** Waits for the endpoint's next slot, with room under the account's limit, past any Retry-After. */
  async waitForTurn(): Promise<void> {
    const shared = this.shared;
    await waitForTurn(
      shared ? [this.own, shared.lane.own] : [this.own],
      shared ? [this.global, shared.lane.global, shared.global] : [this.global],
      () => Math.max(this.pausedUntil, shared?.lane.pausedUntil ?? 0),
    );
  }
}

/**
 * Every request to Stripe passes this gate. Each endpoint has its own pace, under its budget,
 * and every request also counts toward the account's (global) one, so all workers together stay
 * under both of Stripe's limits. Failures Stripe calls retryable are retried with exponential
 * back-off. A 429 means someone else uses the same limit (the merchant's own traffic): the
 * endpoint that got it slows down and recovers gradually, instead of the run failing. A
 * Retry-After header pauses that endpoint's callers, who would only collect 429s of their own.
 */
export class RequestGate {
  private readonly global: Pace;
  private readonly lanes = new Map<Endpoint, EndpointLane>();
  private readonly totals: RequestStats = { requests: 0, retries: 0, rateLimited: 0 };

  constructor(
    private readonly options: GateOptions,
    /** Told the endpoint and its new pace after each 429. */
    private readonly onRateLimited: (slowdown: Slowdown) => void = () => {},
    /**
     * A connected account's gate: the platform's, whose paces its requests also take a slot of and
     * whose counts include them. `account` names it in slowdowns.
     */
    private readonly platform?: { gate: RequestGate; account: string },
  ) {
    const { global } = options.budgets;
    this.global = new Pace(global);
  }

  /**
   * The gate of a connected account: its own paces (Stripe limits each account), every request
   * also under the platform's (this gate's) paces, and counted in this gate's stats.
   */
  forAccount(account: string): RequestGate {
    return new RequestGate(this.options, this.onRateLimited, { gate: this, account });
  }

  get stats(): GateStats {
    return {
      ...this.totals,
      byEndpoint: Object.fromEntries(
        [...this.lanes].map(([endpoint, lane]) => [endpoint, { ...lane.stats }]),
      ),
    };
  }

  /**
   * How many requests of an endpoint are worth having in flight at once: its pace times how long
   * Stripe takes to answer it (Little's law). Undefined before its first answer.
   */
  inFlightWorth(endpoint: Endpoint): number | undefined {
    const lane = this.lanes.get(endpoint);
    return lane?.answerMs === undefined ? undefined : (lane.effectivePace * lane.answerMs) / 1000;
  }

  /** The current pace of an endpoint, requests per second (lower than its budget after 429s). */
  pace(endpoint: Endpoint): number {
    return this.lane(endpoint).pace;
  }

  private lane(endpoint: Endpoint): EndpointLane {
    let lane = this.lanes.get(endpoint);
    if (!lane) {
      const platform = this.platform?.gate;
      lane = new EndpointLane(
        this.options.budgets.endpoints[endpoint],
        this.global,
        platform ? { lane: platform.lane(endpoint), global: platform.global } : undefined,
      );
      this.lanes.set(endpoint, lane);
    }
    return lane;
  }

  /** Counts a request, retry or 429 of `endpoint` here and, for an account's gate, the platform's. */
  private count(endpoint: Endpoint, field: keyof RequestStats): void {
    this.totals[field]++;
    this.lane(endpoint).stats[field]++;
    this.platform?.gate.count(endpoint, field);
  }

  /**
   * Runs a call through its endpoint's pace and the retry policy. Two budgets: failures (5xx,
   * network, timeouts) get `maxAttempts` attempts with exponential back-off; 429s, which only
   * say "not so fast", are retried for up to `rateLimitPatienceMs` of waiting, with shorter
   * back-off, since the pace is already slowing down for them.
   */
  async run<T>(endpoint: Endpoint, call: () => Promise<T>): Promise<T> {
    const lane = this.lane(endpoint);
    let failures = 0;
    let rateLimits = 0;
    let rateLimitWaitMs = 0;
    const count = (field: keyof RequestStats) => this.count(endpoint, field);
    return backOff(
      async () => {
        await lane.waitForTurn();
        count('requests');
        const sentAt = Date.now();
        const result = await call();
        lane.answered(Date.now() - sentAt);
        lane.pace = lane.pace + lane.fullPace * RECOVERY_PER_SUCCESS;
        if (lane.shared) {
          const shared = lane.shared.lane;
          shared.pace = shared.pace + shared.fullPace * RECOVERY_PER_SUCCESS;
        }
        return result;
      },
      {
        // The budgets below decide when to stop; the library only loops (its own delay is 0).
        numOfAttempts: Number.MAX_SAFE_INTEGER,
        startingDelay: 0,
        retry: async (error) => {
          const failure = classifyFailure(error);
          if (!failure.retryable) return false;
          let delayMs: number;
          if (failure.reason === 'rate_limit') {
            if (rateLimitWaitMs >= (this.options.rateLimitPatienceMs ?? RATE_LIMIT_PATIENCE_MS)) {
              return false;
            }
            count('rateLimited');
            // Which limit it was, the account's or the platform's, Stripe does not say: both slow.
            lane.pace = lane.pace * SLOWDOWN;
            if (lane.shared) lane.shared.lane.pace = lane.shared.lane.pace * SLOWDOWN;
            this.onRateLimited({
              endpoint,
              pace: lane.effectivePace,
              ...(this.platform ? { account: this.platform.account } : {}),
            });
            delayMs =
              failure.retryAfterMs ??
              backoffMs(RATE_LIMIT_FIRST_DELAY_MS, rateLimits++, RATE_LIMIT_MAX_DELAY_MS);
            if (failure.retryAfterMs !== undefined) {
              lane.pausedUntil = Math.max(lane.pausedUntil, Date.now() + failure.retryAfterMs);
            }
            // (A Retry-After pauses this account's endpoint only: the other accounts' requests
            // may well count against other limits.)
            rateLimitWaitMs += delayMs;
          } else {
            if (++failures >= this.options.maxAttempts) return false;
            delayMs =
              failure.retryAfterMs ??
              backoffMs(this.options.initialDelayMs, failures - 1, this.options.maxDelayMs);
          }
          count('retries');
          await (this.options.sleep ?? sleep)(delayMs);
          return true;
        },
      },
    );
  }
}
