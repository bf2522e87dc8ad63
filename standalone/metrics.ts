import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestStats } from '../connector';
import type { PipelineReport } from './sync/report';

/** What the metrics read from the running server when they are scraped. */
export interface MetricsSource {
  /** Every Stripe client's counts so far (a new config may have replaced the client). */
  stripeStats(): Array<{ byEndpoint: Partial<Record<string, RequestStats>> }>;
  lastSuccesses(): ReadonlyMap<string, number>;
  pipelineNames(): string[];
}

/**
 * `serve`'s Prometheus metrics, in a registry of its own (text format through prom-client):
 * runs by pipeline and status, rows written and deleted, run durations, seconds since each
 * pipeline's last success, and Stripe requests and 429 answers by endpoint.
 */
export class ServeMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter<'pipeline' | 'status'>;
  private readonly written: Counter<'pipeline'>;
  private readonly deleted: Counter<'pipeline'>;
  private readonly duration: Histogram<'pipeline'>;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    this.runs = new Counter({
      name: 'stripe_sync_runs_total',
      help: 'Pipeline runs that ended, by pipeline and status (succeeded, succeeded_with_skips, succeeded_with_failures, failed, stopped).',
      labelNames: ['pipeline', 'status'],
      registers,
    });
    this.written = new Counter({
      name: 'stripe_sync_rows_written_total',
      help: 'Rows inserted or updated in the pipelines’ tables.',
      labelNames: ['pipeline'],
      registers,
    });
    this.deleted = new Counter({
      name: 'stripe_sync_rows_deleted_total',
      help: 'Rows deleted (or marked deleted) in the pipelines’ tables.',
      labelNames: ['pipeline'],
      registers,
    });
    this.duration = new Histogram({
      name: 'stripe_sync_run_duration_seconds',
      help: 'How long runs took, by pipeline.',
      labelNames: ['pipeline'],
      buckets: [1, 5, 15, 60, 300, 900, 3600, 14400],
      registers,
    });
    new Gauge({
      name: 'stripe_sync_seconds_since_last_success',
      help: 'Seconds since each pipeline’s last successful run (absent before its first).',
      labelNames: ['pipeline'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        const names = new Set(source.pipelineNames());
        for (const [pipeline, at] of source.lastSuccesses()) {
          if (names.has(pipeline)) this.set({ pipeline }, Math.max(0, (now - at) / 1000));
        }
      },
    });
    const stripeTotal = (field: 'requests' | 'rateLimited') => {
      const totals = new Map<string, number>();
      for (const stats of source.stripeStats()) {
        for (const [endpoint, counts] of Object.entries(stats.byEndpoint)) {
          totals.set(endpoint, (totals.get(endpoint) ?? 0) + (counts?.[field] ?? 0));
        }
      }
      return totals;
    };
    // Counters the Stripe client keeps itself: reported as they are (they only grow).
    new Counter({
      name: 'stripe_sync_stripe_requests_total',
      help: 'Requests sent to Stripe, by endpoint (retries included).',
      labelNames: ['endpoint'],
      registers,
      collect() {
        this.reset();
        for (const [endpoint, value] of stripeTotal('requests')) this.inc({ endpoint }, value);
      },
    });
    new Counter({
      name: 'stripe_sync_stripe_rate_limited_total',
      help: 'Requests Stripe answered 429 (rate limited), by endpoint.',
      labelNames: ['endpoint'],
      registers,
      collect() {
        this.reset();
        for (const [endpoint, value] of stripeTotal('rateLimited')) this.inc({ endpoint }, value);
      },
    });
  }

  runFinished(report: PipelineReport): void {
    if (report.status === 'not_run') return;
    const pipeline = report.pipeline;
    this.runs.inc({ pipeline, status: report.status });
    this.written.inc({ pipeline }, report.inserted + report.updated);
    this.deleted.inc({ pipeline }, report.deleted);
    this.duration.observe({ pipeline }, report.seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
