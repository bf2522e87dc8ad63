import {
  describeStreams,
  errorMessage,
  redactSecrets,
  syncPipelines,
  type ConnectorConfig,
  type PipelineRequest,
  type PipelineSummary,
  type SkippedCustomer,
  type StripePort,
  type SyncEvent,
  type SyncMode,
} from '../../connector';
import { failureKindOf } from '../../command-line/exit-codes';
import type { RunRecord, Warehouse } from '../warehouse';
import { withAdvice } from './advice';
import type { CommitPolicy, WriterProgress } from './pipeline-writer';
import { addClosingNotes, recordRun, updateCounts, type PipelineRun } from './pipeline-run';
import { preparePipeline } from './prepare';
import { markSkips, type PipelineReport, type SyncReport } from './report';

/** What a sync tells whoever watches it (the terminal, the server's log and pipelines page). */
export interface SyncObserver {
  pipelineStarted?(pipeline: string, mode: SyncMode, slowPath: string | undefined): void;
  progress?(pipeline: string, progress: WriterProgress, staging: boolean): void;
  log?(pipeline: string | undefined, level: Level, message: string): void;
  pipelineFinished?(report: PipelineReport): void;
}

type Level = 'INFO' | 'WARN' | 'ERROR';
type Say = (pipeline: string | undefined, level: Level, message: string) => void;

export interface SyncOptions {
  /** With the page's switches applied: only enabled pipelines run. */
  config: ConnectorConfig;
  warehouse: Warehouse;
  /** Which pipelines, in this order (enabled ones). */
  pipelines: string[];
  /** Keep deleted customers as rows marked deleted (`_ab_cdc_deleted_at` set) instead of deleting them. */
  softDelete: boolean;
  trigger: RunRecord['trigger'];
  /** Drop these pipelines' tables and state first, so they import everything again. */
  rebuild?: string[];
  /** Polled at every checkpoint: true stops the sync there, everything before it saved. */
  stopRequested: () => boolean;
  observer?: SyncObserver;
  /** Default: the official SDK with the config's connection (serve shares one between runs). */
  stripe?: StripePort;
  commitPolicy?: CommitPolicy;
}

/**
 * One sync: every requested pipeline through the engine's one loop, each into its table, with
 * its state in the same transactions as its rows. A pipeline that fails is reported and the
 * others still run; a stop request ends the sync at the next checkpoint.
 */
export async function runSync(options: SyncOptions): Promise<SyncReport> {
  const { config, warehouse, observer } = options;
  const secrets = [config.connection.apiKey, ...warehouse.destination.secrets];
  const say: Say = (pipeline, level, message) =>
    observer?.log?.(pipeline, level, redactSecrets(message, secrets));
  const report: SyncReport = {
    destination: warehouse.destination.display,
    pipelines: [],
    stopped: false,
  };
  const streams = describeStreams(config);
  const runs = new Map<string, PipelineRun>();
  const requests: PipelineRequest[] = [];
  try {
    for (const name of options.pipelines) {
      const stream = streams.find((candidate) => candidate.name === name);
      const pipeline = config.pipelines.find((candidate) => candidate.name === name);
      if (!stream || !pipeline) continue;
      const prepared = await preparePipeline(stream, pipeline, {
        warehouse,
        softDelete: options.softDelete,
        trigger: options.trigger,
        rebuild: options.rebuild?.includes(name) ?? false,
        model: config.model,
        ...(options.commitPolicy ? { commitPolicy: options.commitPolicy } : {}),
      });
      if (!prepared.ok) {
        report.pipelines.push(prepared.report);
        if (prepared.report.error) say(name, 'ERROR', prepared.report.error);
        continue;
      }
      runs.set(name, prepared.run);
      const { state } = prepared;
      requests.push({ name, ...(state === undefined ? {} : { state }) });
    }
    if (requests.length > 0) {
      report.stopped = await consume(
        syncPipelines(config, {
          pipelines: requests,
          whenEventsUnreadable: 'full_refresh',
          // A full import reads each page as Stripe has it at that moment: the changes made
          // while it ran follow from the event log, so the table ends the run equal to Stripe.
          catchUp: true,
          ...(options.stripe ? { stripe: options.stripe } : {}),
        }),
        runs,
        options,
        report,
        say,
      );
    }
  } catch (error) {
    report.error = redactSecrets(errorMessage(error), secrets);
    report.errorKind = failureKindOf(error);
    say(undefined, 'ERROR', report.error);
  } finally {
    for (const [name, run] of runs) {
      if (!report.pipelines.includes(run.report)) {
        if (report.error) {
          run.report.status = 'failed';
          run.report.error ??= report.error;
          run.report.errorKind ??= report.errorKind;
          run.report.errors += 1;
        } else {
          run.report.status = run.begun && report.stopped ? 'stopped' : 'not_run';
        }
        updateCounts(run);
        report.pipelines.push(run.report);
      }
      markSkips(run.report);
      const closing = run.skipWarnings.closing();
      if (closing) say(name, 'WARN', closing);
      addClosingNotes(run, config.reading.settleSeconds);
      if (run.report.status !== 'not_run') {
        await recordRun(warehouse, run).catch((error: unknown) =>
          say(name, 'WARN', `could not record the run's outcome: ${errorMessage(error)}`),
        );
      }
      await run.opened
        .close()
        .catch((error: unknown) =>
          say(name, 'WARN', `could not release its database session: ${errorMessage(error)}`),
        );
    }
  }
  const order = new Map(options.pipelines.map((name, index) => [name, index]));
  report.pipelines.sort((a, b) => (order.get(a.pipeline) ?? 0) - (order.get(b.pipeline) ?? 0));
  return report;
}

/**
 * Feeds the engine's events to the writers, each pipeline's import and then the changes made
 * while it ran (its catch-up); returns whether the sync was stopped.
 */
async function consume(
  events: AsyncGenerator<SyncEvent, void>,
  runs: Map<string, PipelineRun>,
  options: SyncOptions,
  report: SyncReport,
  say: Say,
): Promise<boolean> {
  const { observer } = options;
  const progress = progressThrottle(options);
  /** Pipelines whose import is done and whose catch-up is under way. */
  const catchingUp = new Set<string>();
  for await (const event of events) {
    const run = 'pipeline' in event && event.pipeline ? runs.get(event.pipeline) : undefined;
    const stopping = options.stopRequested();
    switch (event.kind) {
      case 'pipeline_started': {
        if (!run) break;
        if (stopping) return true;
        run.begun = true;
        run.started = Date.now();
        run.report.startedAt = run.started;
        run.record.startedAt = run.started;
        await options.warehouse.bookkeeping.startRun(run.record);
        run.writer.started(event.syncMode);
        run.report.mode = event.syncMode === 'full_refresh' ? 'full_refresh' : 'incremental';
        if (event.downgraded) {
          run.report.slowPath = event.downgraded.reason;
          say(
            run.report.pipeline,
            'WARN',
            `runs as a full refresh compared with the table instead of reading changes (slower): ${event.downgraded.reason}`,
          );
        }
        observer?.pipelineStarted?.(run.report.pipeline, event.syncMode, run.report.slowPath);
        break;
      }
      case 'records':
        if (!run) break;
        if (stopping && run.writer.holdsStagedCheckpoint) {
          // The checkpoint before these records was not the import's last: save it and stop.
          await run.writer.commitHeld();
          run.report.status = 'stopped';
          return true;
        }
        await run.writer.records(event.items);
        progress(run);
        break;
      case 'checkpoint':
        if (!run) break;
        await run.writer.checkpoint(event.state, stopping);
        progress(run);
        if (stopping && !run.writer.staging) {
          // A stop during the catch-up leaves the import done: the next run reads the rest.
          if (!catchingUp.has(run.report.pipeline)) run.report.status = 'stopped';
          return true;
        }
        break;
      case 'skipped':
        if (run) keepSkipped(run, event.customers, say);
        break;
      case 'log':
        // The catch-up's routine lines (reading changes from … to …) would only repeat the import's.
        if (event.level === 'INFO' && event.pipeline && catchingUp.has(event.pipeline)) break;
        say(event.pipeline, event.level, withAdvice(event.message, event.topic));
        break;
      case 'pipeline_finished': {
        if (!run) break;
        await run.writer.finished(event.summary);
        const { summary } = event;
        run.report.status = 'succeeded';
        if (run.report.mode === 'incremental' && summary.mode === 'full_import') {
          run.report.mode = 'full_import';
        }
        run.report.filteredOut = summary.filteredOut;
        run.report.skipped = summary.skippedByCode;
        run.report.errors = summary.failed + summary.malformed;
        run.report.skippedAfterErrors = summary.failed;
        run.malformed = summary.malformed;
        run.report.read = customersRead(summary);
        run.settlingEvents += summary.settlingEvents;
        markSkips(run.report);
        updateCounts(run);
        progress(run, true);
        report.pipelines.push(run.report);
        observer?.pipelineFinished?.(run.report);
        if (stopping) return true;
        break;
      }
      case 'catch_up_started':
        if (!run) break;
        if (stopping) return true;
        catchingUp.add(run.report.pipeline);
        run.secondsBefore = run.report.seconds;
        run.started = Date.now();
        break;
      case 'catch_up_finished': {
        if (!run) break;
        catchingUp.delete(run.report.pipeline);
        await run.writer.finished(event.summary);
        const { summary } = event;
        run.report.read += customersRead(summary);
        run.report.filteredOut += summary.filteredOut;
        run.report.skipped += summary.skippedByCode;
        run.report.errors += summary.failed + summary.malformed;
        run.report.skippedAfterErrors += summary.failed;
        run.malformed += summary.malformed;
        run.settlingEvents += summary.settlingEvents;
        markSkips(run.report);
        updateCounts(run);
        if (summary.emitted > 0) {
          run.report.notes.push(
            `then read ${summary.emitted} change(s) made in Stripe while the import ran, from the event log.`,
          );
        }
        break;
      }
      case 'catch_up_failed':
        if (!run) break;
        catchingUp.delete(run.report.pipeline);
        await run.writer.commitHeld();
        updateCounts(run);
        run.report.notes.push(
          `the import succeeded, but the changes made while it ran could not be read (${event.error.message}); the next run reads them.`,
        );
        break;
      case 'pipeline_failed': {
        if (!run) break;
        // What the last checkpoint covers is kept; the rest is read again by the next run.
        await run.writer.commitHeld();
        run.report.status = 'failed';
        run.report.error = event.error.message;
        run.report.errorKind = event.error.kind;
        run.report.errors += 1;
        updateCounts(run);
        report.pipelines.push(run.report);
        say(run.report.pipeline, 'ERROR', event.error.message);
        observer?.pipelineFinished?.(run.report);
        break;
      }
      case 'sync_finished':
        report.requests = event.stats;
        break;
    }
  }
  return false;
}

/** Customers a run read: emitted, filtered out, skipped by the transformation or failed. */
function customersRead(summary: PipelineSummary): number {
  return summary.emitted + summary.filteredOut + summary.skippedByCode + summary.failed;
}

/** Customers the engine selected but did not emit: their rows stay, and the first few are named. */
function keepSkipped(run: PipelineRun, customers: SkippedCustomer[], say: Say): void {
  run.writer.skipped(customers);
  for (const line of run.skipWarnings.lines(customers)) say(run.report.pipeline, 'WARN', line);
}

/** Progress for the observer, at most four times a second per pipeline (always when forced). */
function progressThrottle(options: SyncOptions): (run: PipelineRun, force?: boolean) => void {
  const last = new Map<string, number>();
  return (run, force = false) => {
    const now = Date.now();
    if (!force && now - (last.get(run.report.pipeline) ?? 0) < 250) return;
    last.set(run.report.pipeline, now);
    options.observer?.progress?.(run.report.pipeline, run.writer.progress, run.writer.staging);
  };
}
