import { backOff } from 'exponential-backoff';
import { TokenBucket } from 'limiter';
import { classifyFailure } from './errors';

export interface GateOptions {
  /** Client-side ceiling, requests per second, shared by every concurrent caller. */
  requestsPerSecond: number;
  /** Attempts per call, the first included; a call still failing after them gives up. */
  maxAttempts: number;
  /** First back-off delay; it doubles (with jitter) up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface GateStats {
  requests: number;
  retries: number;
  rateLimited: number;
}

/**
 * Requests are paced a little under the limit, with a burst of a few tokens: timers fire late, and
 * without a burst the late milliseconds add up to a pace well under the one asked for; with it,
 * any one-second window still stays under the limit (pace + burst <= limit).
 */
const PACING_MARGIN = 0.95;
const BURST_SHARE = 0.03;
/** On a 429 the pace drops by this factor, then climbs back a little with every success (AIMD). */
const SLOWDOWN = 0.8;
const RECOVERY_PER_SUCCESS = 0.002;
const SLOWEST = 0.2;
/** How long one call may keep waiting out 429s before the read gives up on it. */
const RATE_LIMIT_BUDGET_MS = 5 * 60_000;
const RATE_LIMIT_FIRST_DELAY_MS = 250;
const RATE_LIMIT_MAX_DELAY_MS = 5_000;

/** Exponential back-off with full jitter: a random delay up to first x 2^n, capped. */
function backoffMs(firstMs: number, retry: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, firstMs * 2 ** retry);
}

/**
 * Every request to Stripe passes this gate. A token bucket paces the whole run (all concurrent
 * workers together) under the rate limit, and failures Stripe calls retryable are retried with
 * exponential back-off. A 429 means the account's limit is shared with someone else: the pace
 * slows down for everyone and recovers gradually, instead of the run failing. A Retry-After
 * header pauses every caller, since the other workers would only collect 429s of their own.
 */
export class RequestGate {
  readonly stats: GateStats = { requests: 0, retries: 0, rateLimited: 0 };
  private readonly bucket: TokenBucket;
  private readonly fullPace: number;
  private pausedUntil = 0;

  constructor(
    private readonly options: GateOptions,
    /** Told the new pace (requests per second) after each 429. */
    private readonly onRateLimited: (pace: number) => void = () => {},
  ) {
    this.fullPace = options.requestsPerSecond * PACING_MARGIN;
    this.bucket = new TokenBucket({
      bucketSize: Math.max(1, Math.floor(options.requestsPerSecond * BURST_SHARE)),
      tokensPerInterval: this.fullPace,
      interval: 'second',
    });
  }

  /** The current pace, requests per second (lower than the limit after 429s). */
  get pace(): number {
    return this.bucket.tokensPerInterval;
  }

  /**
   * Runs a call through the pace and the retry policy. Two budgets: failures (5xx, network,
   * timeouts) get `maxAttempts` attempts with exponential back-off; 429s, which only say "not so
   * fast", are retried for up to RATE_LIMIT_BUDGET_MS of waiting, with shorter back-off, since the
   * pace is already slowing down for them.
   */
  async run<T>(call: () => Promise<T>): Promise<T> {
    let failures = 0;
    let rateLimits = 0;
    let rateLimitWaitMs = 0;
    return backOff(
      async () => {
        await this.waitForTurn();
        this.stats.requests++;
        const result = await call();
        this.bucket.tokensPerInterval = Math.min(
          this.fullPace,
          this.bucket.tokensPerInterval + this.fullPace * RECOVERY_PER_SUCCESS,
        );
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
            if (rateLimitWaitMs >= RATE_LIMIT_BUDGET_MS) return false;
            this.stats.rateLimited++;
            this.bucket.tokensPerInterval = Math.max(
              this.fullPace * SLOWEST,
              this.bucket.tokensPerInterval * SLOWDOWN,
            );
            this.onRateLimited(this.bucket.tokensPerInterval);
            delayMs =
              failure.retryAfterMs ??
              backoffMs(RATE_LIMIT_FIRST_DELAY_MS, rateLimits++, RATE_LIMIT_MAX_DELAY_MS);
            if (failure.retryAfterMs !== undefined) {
              this.pausedUntil = Math.max(this.pausedUntil, Date.now() + failure.retryAfterMs);
            }
            rateLimitWaitMs += delayMs;
          } else {
            if (++failures >= this.options.maxAttempts) return false;
            delayMs =
              failure.retryAfterMs ??
              backoffMs(this.options.initialDelayMs, failures - 1, this.options.maxDelayMs);
          }
          this.stats.retries++;
          await sleep(delayMs);
          return true;
        },
      },
    );
  }

  private async waitForTurn(): Promise<void> {
    for (let wait = this.pausedUntil - Date.now(); wait > 0; wait = this.pausedUntil - Date.now()) {
      await sleep(wait);
    }
    await this.bucket.removeTokens(1);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
