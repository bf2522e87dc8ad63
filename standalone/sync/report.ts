import type { RequestStats } from '../../connector';

/**
 * How a pipeline ran:
 * - `incremental`: the changes since its last run, from Stripe's event log;
 * - `full_import`: an incremental pipeline's first run (or a run after a definition change or a
 *   cursor older than Stripe's 30-day event retention);
 * - `full_refresh`: every matching customer, compared with the table; also what an incremental
 *   pipeline falls back to when the key may not read events (`slowPath` says so).
 */
export type RunMode = 'incremental' | 'full_import' | 'full_refresh';

export type PipelineStatus = 'succeeded' | 'failed' | 'stopped' | 'not_run';

/** One pipeline's part of a sync, as printed, returned by `--json` and kept in the runs table. */
export interface PipelineReport {
  pipeline: string;
  table: string;
  status: PipelineStatus;
  mode?: RunMode;
  /** Set when an incremental pipeline re-read every customer instead of reading changes: why. */
  slowPath?: string;
  /** Unix milliseconds. */
  startedAt: number;
  seconds: number;
  /** Customers the pipeline looked at: written, deleted, filtered out or failed. */
  read: number;
  inserted: number;
  updated: number;
  deleted: number;
  filteredOut: number;
  /** Customers a code transformation chose to skip. */
  skipped: number;
  /** Customers whose transformation or validation failed (`on_error: skip`), and malformed objects. */
  errors: number;
  /** Why the pipeline stopped, when it failed. */
  error?: string;
  /** Things worth knowing that are not errors (a column added, values kept in `_extra`). */
  notes: string[];
}

export interface SyncReport {
  destination: string;
  pipelines: PipelineReport[];
  /** Stopped by a signal: the pipeline under way stopped at a checkpoint, later ones did not run. */
  stopped: boolean;
  /** Stripe requests of the whole sync, when it ran to its end. */
  requests?: RequestStats;
  /** A failure before any pipeline could run (the key, the network). */
  error?: string;
}

export function written(report: PipelineReport): number {
  return report.inserted + report.updated;
}

/** Exit status of `sync`: 0 all succeeded, 1 something failed, 143 stopped by SIGTERM. */
export function exitCodeOf(report: SyncReport): number {
  if (report.error || report.pipelines.some((p) => p.status === 'failed')) return 1;
  if (report.stopped) return 143;
  return 0;
}
