import type { FailureKind, RequestStats } from '../../connector';
import { EXIT, exitCodeFor } from '../../command-line/exit-codes';

/**
 * How a pipeline ran:
 * - `incremental`: the changes since its last run, from Stripe's event log;
 * - `full_import`: an incremental pipeline's first run (or a run after a definition change or a
 *   cursor older than Stripe's 30-day event retention);
 * - `full_refresh`: every matching customer, compared with the table; also what an incremental
 *   pipeline falls back to when the key may not read events (`slowPath` says so).
 */
export type RunMode = 'incremental' | 'full_import' | 'full_refresh';

/**
 * `succeeded_with_skips`: the run ended, but customers were left out after errors (their
 * transformation failed with `on_error: skip`, or Stripe sent them malformed): not plain success.
 */
export type PipelineStatus =
  'succeeded' | 'succeeded_with_skips' | 'failed' | 'stopped' | 'not_run';

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
  /** Of `errors`, customers skipped after their transformation or validation failed. */
  skippedAfterErrors: number;
  /** Why the pipeline stopped, when it failed. */
  error?: string;
  /** What kind of failure `error` is: what an orchestrator should do about it (see the exit codes). */
  errorKind?: FailureKind;
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
  /** A failure before any pipeline could run (the key, the network), or that stopped the sync. */
  error?: string;
  errorKind?: FailureKind;
}

export function written(report: PipelineReport): number {
  return report.inserted + report.updated;
}

/** A status as people read it: `succeeded with skips`, `not run`. */
export function describeStatus(status: PipelineStatus): string {
  return status.replace(/_/g, ' ');
}

export function hasSucceeded(report: PipelineReport): boolean {
  return report.status === 'succeeded' || report.status === 'succeeded_with_skips';
}

/** A run that ended but left customers out after errors says so in its status. */
export function markSkips(report: PipelineReport): void {
  if (report.status === 'succeeded' && report.errors > 0) report.status = 'succeeded_with_skips';
}

/**
 * Exit status of `sync` (see command-line/exit-codes.ts): a failure's kind decides (config 2, data
 * or system 1, transient 3); then 143 when stopped by SIGTERM; 0 when everything succeeded,
 * with skips or not.
 */
export function exitCodeOf(report: SyncReport): number {
  const kinds = report.pipelines
    .filter((pipeline) => pipeline.status === 'failed')
    .map((pipeline) => pipeline.errorKind ?? 'system');
  if (report.error) kinds.push(report.errorKind ?? 'system');
  if (kinds.length > 0) return exitCodeFor(kinds);
  return report.stopped ? EXIT.stopped : EXIT.ok;
}
