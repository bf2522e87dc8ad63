import type { PipelineConfig, StreamDescription } from '../../connector';
import { rowEncoder, tableLayout, TableMismatchError, type Warehouse } from '../warehouse';
import { DEFAULT_COMMIT_POLICY, PipelineWriter, type CommitPolicy } from './pipeline-writer';
import { emptyReport, newRunRecord, recordRun, type PipelineRun } from './pipeline-run';
import type { PipelineReport } from './report';
import { SkipWarnings } from './skip-warnings';

export interface PrepareOptions {
  warehouse: Warehouse;
  softDelete: boolean;
  trigger: PipelineRun['record']['trigger'];
  rebuild: boolean;
  /** The Customer Model, for pipelines that map into it. */
  model: Parameters<typeof tableLayout>[1];
  commitPolicy?: CommitPolicy;
}

export type Prepared =
  { ok: true; run: PipelineRun; state: unknown } | { ok: false; report: PipelineReport };

/**
 * Gets a pipeline's table ready before anything is read: its own database session (and lock),
 * the table created or its new columns added (or a clear refusal when it cannot take the
 * pipeline as now defined), and the state to continue from: a full import an interrupted run
 * left in staging is resumed when the pipeline is still the same, discarded otherwise.
 */
export async function preparePipeline(
  stream: StreamDescription,
  pipeline: PipelineConfig,
  options: PrepareOptions,
): Promise<Prepared> {
  const { warehouse } = options;
  const name = pipeline.name;
  const mapped = stream.layout.primaryKey !== 'id';
  const layout = tableLayout(stream, mapped ? options.model : undefined);
  const report = emptyReport(name, layout.table);
  const opened = await warehouse.openTable(layout, options.softDelete);
  if (!opened) {
    return {
      ok: false,
      report: {
        ...report,
        status: 'failed',
        errors: 1,
        error: `Pipeline "${name}" is being synced by another process into the same database; this run left it alone. Try again when that run ends.`,
        errorKind: 'transient',
      },
    };
  }
  try {
    const { table } = opened;
    if (options.rebuild) {
      await table.rebuild();
      report.notes.push(
        `rebuilt: table ${layout.table} and its state were dropped, so every customer is imported again.`,
      );
    }
    const check = await table.prepare();
    if (check.created) report.notes.push(`created table ${layout.table}.`);
    if (check.addedColumns.length) {
      report.notes.push(`added column(s) ${check.addedColumns.join(', ')} to ${layout.table}.`);
    }
    if (check.keptColumns.length) {
      report.notes.push(
        `column(s) ${check.keptColumns.join(', ')} of ${layout.table} are no longer written by the pipeline: kept with their data, null in rows written from now on (drop them with ALTER TABLE … DROP COLUMN when you no longer need them).`,
      );
    }
    const stored = await table.loadState();
    let state = stored.state;
    let resuming = false;
    if (stored.staged) {
      // A fingerprint of an earlier version, for the same definition, is the pipeline's own.
      const sameDefinition = [pipeline.fingerprint, ...pipeline.formerFingerprints].includes(
        stored.staged.fingerprint,
      );
      if (sameDefinition && check.stagingUsable) {
        state = stored.staged.state;
        resuming = true;
        report.notes.push('resumed the full import an earlier run left unfinished.');
      } else {
        await table.discardStaging();
        report.notes.push(
          'discarded the unfinished full import of an earlier run: the pipeline has changed since, so it starts again.',
        );
      }
    }
    await warehouse.bookkeeping.markInterrupted([name]);
    const writer = new PipelineWriter(
      table,
      rowEncoder(layout, { allowsNul: warehouse.allowsNul }),
      pipeline.fingerprint,
      resuming,
      options.commitPolicy ?? DEFAULT_COMMIT_POLICY,
    );
    const run: PipelineRun = {
      report,
      record: newRunRecord(name, options.trigger),
      opened,
      writer,
      begun: false,
      started: Date.now(),
      secondsBefore: 0,
      settlingEvents: 0,
      malformed: 0,
      skipWarnings: new SkipWarnings(),
    };
    return { ok: true, run, state };
  } catch (error) {
    await opened.close().catch(() => {});
    if (!(error instanceof TableMismatchError)) throw error;
    const failed: PipelineReport = {
      ...report,
      status: 'failed',
      errors: 1,
      error: error.message,
      errorKind: error.kind,
    };
    await recordRun(warehouse, {
      record: newRunRecord(name, options.trigger),
      report: failed,
      begun: false,
    });
    return { ok: false, report: failed };
  }
}
