/**
 * Request counters, so tests and benchmarks can assert how many calls a sync made and print
 * "requests / answered 429" per endpoint (an endpoint is `METHOD /route/pattern`, the unit of
 * Stripe's per-endpoint rate limits).
 */
export interface EndpointStats {
  requests: number;
  /** Answered 429, by a rate limiter or a scripted fault. */
  rateLimited: number;
}

/** Why requests were answered 429. */
export interface RateLimitedBy {
  /** The global limit of the account and mode. */
  global: number;
  /** The endpoint's own limit (search's included). */
  endpoint: number;
  /** A scripted `failNext` 429. */
  scripted: number;
}

export interface StatsSnapshot {
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  byEndpoint: Record<string, EndpointStats>;
  rateLimitedBy: RateLimitedBy;
}

export type RateLimitCause = keyof RateLimitedBy;

export class Stats {
  private requests = 0;
  private byRoute: Record<string, number> = {};
  private byStatus: Record<string, number> = {};
  private byEndpoint: Record<string, EndpointStats> = {};
  private rateLimitedBy: RateLimitedBy = { global: 0, endpoint: 0, scripted: 0 };

  /** On arrival, before any fault or check, so failed attempts count too. */
  arrived(route: string): void {
    this.requests++;
    this.byRoute[route] = (this.byRoute[route] ?? 0) + 1;
    this.endpoint(route).requests++;
  }

  /** HTTP status, or 'reset' / 'truncate' for broken connections. */
  finished(status: number | string, route?: string, cause?: RateLimitCause): void {
    const key = String(status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    if (status === 429 && route !== undefined) this.endpoint(route).rateLimited++;
    if (status === 429 && cause) this.rateLimitedBy[cause]++;
  }

  snapshot(): StatsSnapshot {
    return {
      requests: this.requests,
      byRoute: { ...this.byRoute },
      byStatus: { ...this.byStatus },
      byEndpoint: Object.fromEntries(
        Object.entries(this.byEndpoint).map(([route, counts]) => [route, { ...counts }]),
      ),
      rateLimitedBy: { ...this.rateLimitedBy },
    };
  }

  reset(): void {
    this.requests = 0;
    this.byRoute = {};
    this.byStatus = {};
    this.byEndpoint = {};
    this.rateLimitedBy = { global: 0, endpoint: 0, scripted: 0 };
  }

  private endpoint(route: string): EndpointStats {
    return (this.byEndpoint[route] ??= { requests: 0, rateLimited: 0 });
  }
}
