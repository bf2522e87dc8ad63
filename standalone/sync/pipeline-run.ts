import { randomUUID } from 'node:crypto';
import type { PipelineTableSession, RunRecord, Warehouse } from '../warehouse';
import type { PipelineWriter } from './pipeline-writer';
import type { SkipWarnings } from './skip-warnings';
import { hasSucceeded, type PipelineReport, type RunMode } from './report';

/** One pipeline within a sync: its table session, its writer, and what will be reported. */
export interface PipelineRun {
  report: PipelineReport;
  record: RunRecord;
  opened: PipelineTableSession;
  writer: PipelineWriter;
  /** The engine started it (a stop or a failure before that leaves it `not_run`). */
  begun: boolean;
  /** When its current phase began (the import, then reading the changes made during it). */
  started: number;
  /** Seconds its earlier phases took: its time excludes other pipelines' turns in between. */
  secondsBefore: number;
  /** Events younger than the settle window, left for the next run. */
  settlingEvents: number;
  /** Customer objects from Stripe too malformed to key: left out (counted among the errors). */
  malformed: number;
  /** The WARN lines of its skipped customers: the first few, then a count. */
  skipWarnings: SkipWarnings;
}

export function newRunRecord(pipeline: string, trigger: RunRecord['trigger']): RunRecord {
  return { runId: randomUUID(), pipeline, trigger, startedAt: Date.now(), status: 'running' };
}

export function emptyReport(pipeline: string, table: string): PipelineReport {
  return {
    pipeline,
    table,
    status: 'not_run',
    startedAt: Date.now(),
    seconds: 0,
    read: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    filteredOut: 0,
    skipped: 0,
    errors: 0,
    skippedAfterErrors: 0,
    notes: [],
  };
}

/** Brings the report's time and counts up to date with the writer. */
export function updateCounts(run: PipelineRun): void {
  const { report, writer } = run;
  report.seconds = run.secondsBefore + (Date.now() - run.started) / 1000;
  report.inserted = writer.progress.inserted;
  report.updated = writer.progress.updated;
  report.deleted = writer.progress.deleted;
}

/** Once the pipeline is done: what is worth a note beside its counts. */
export function addClosingNotes(run: PipelineRun, settleSeconds: number): void {
  const { report, writer } = run;
  report.notes.push(
    ...closingNotes(report, {
      ...writer.alterations,
      extraColumn: run.opened.table.layout.extra,
      malformed: run.malformed,
      settlingEvents: run.settlingEvents,
      settleSeconds,
    }),
  );
}

export interface NoteFacts {
  misfits: number;
  replacedCharacters: number;
  /** The JSON column keeping what did not fit, when the table has one. */
  extraColumn: string | undefined;
  malformed: number;
  settlingEvents: number;
  settleSeconds: number;
}

export function closingNotes(report: PipelineReport, facts: NoteFacts): string[] {
  const notes: string[] = [];
  const { misfits, replacedCharacters, extraColumn } = facts;
  if (report.skippedAfterErrors > 0) {
    notes.push(
      `${report.skippedAfterErrors} skipped after errors (on_error: skip): rows imported for them earlier are kept; the WARN lines say why.`,
    );
  }
  if (facts.malformed > 0) {
    notes.push(
      `${facts.malformed} customer object(s) from Stripe were too malformed to key and were left out (the WARN lines name what they could).`,
    );
  }
  if (report.skipped > 0) {
    notes.push(
      `${report.skipped} skipped by the transformation (it returned null): rows imported for them earlier are kept.`,
    );
  }
  if (misfits > 0) {
    notes.push(
      extraColumn
        ? `${misfits} value(s) did not fit their column's type; they are kept, as sent, in the ${extraColumn} JSON column.`
        : `${misfits} value(s) did not fit their column's type and were left null.`,
    );
  }
  if (replacedCharacters > 0) {
    notes.push(
      `${replacedCharacters} text value(s) held characters the warehouse cannot store (a lone UTF-16 surrogate, or U+0000 in PostgreSQL); each was replaced by U+FFFD.`,
    );
  }
  if (report.slowPath && hasSucceeded(report)) {
    notes.push(
      `used the slower path: every matching customer was read and compared with the table (${report.inserted} inserted, ${report.updated} updated, ${report.deleted} deleted), because ${lowerFirst(report.slowPath)}`,
    );
  }
  if (facts.settlingEvents > 0) {
    notes.push(
      `${facts.settlingEvents} change(s) made in the last ${facts.settleSeconds} s come with the next run (events that recent may still be listed late, so they are left to settle).`,
    );
  }
  return notes;
}

/**
 * A run's outcome, into the runs table. Its `running` row was written when the engine began it;
 * one that never began (stopped first, or refused by its table before anything was read) gets
 * it now.
 */
export async function recordRun(
  warehouse: Warehouse,
  run: Pick<PipelineRun, 'record' | 'report' | 'begun'>,
): Promise<void> {
  if (!run.begun) await warehouse.bookkeeping.startRun(run.record);
  await warehouse.bookkeeping.finishRun(outcomeRecord(run.record, run.report));
}

function outcomeRecord(record: RunRecord, report: PipelineReport): RunRecord {
  return {
    ...record,
    finishedAt: report.startedAt + Math.round(report.seconds * 1000),
    status: report.status === 'not_run' ? 'stopped' : report.status,
    ...(report.mode ? { mode: describeMode(report.mode) } : {}),
    ...(report.slowPath ? { slowPath: report.slowPath } : {}),
    read: report.read,
    written: report.inserted + report.updated,
    inserted: report.inserted,
    updated: report.updated,
    skipped: report.skipped,
    deleted: report.deleted,
    filteredOut: report.filteredOut,
    errors: report.errors,
    ...(report.error ? { error: report.error } : {}),
  };
}

export function describeMode(mode: RunMode): string {
  return { incremental: 'incremental', full_import: 'full import', full_refresh: 'full refresh' }[
    mode
  ];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
