/** Request counters, so tests and benchmarks can assert how many calls a sync made. */
export interface StatsSnapshot {
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
}

export class Stats {
  private requests = 0;
  private byRoute: Record<string, number> = {};
  private byStatus: Record<string, number> = {};

  /** On arrival, before any fault or check, so failed attempts count too. */
  arrived(route: string): void {
    this.requests++;
    this.byRoute[route] = (this.byRoute[route] ?? 0) + 1;
  }

  /** HTTP status, or 'reset' / 'truncate' for broken connections. */
  finished(status: number | string): void {
    const key = String(status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
  }

  snapshot(): StatsSnapshot {
    return {
      requests: this.requests,
      byRoute: { ...this.byRoute },
      byStatus: { ...this.byStatus },
    };
  }

  reset(): void {
    this.requests = 0;
    this.byRoute = {};
    this.byStatus = {};
  }
}
