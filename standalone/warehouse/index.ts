import type { Destination } from '../destination';
import { Bookkeeping, bookkeepingDdl } from './bookkeeping';
import { tableNameOf, type TableLayout } from './layout';
import { PipelineTable } from './pipeline-table';
import { QUICK, retryTransient } from './retry';
import type { SqlDatabase, SqlSession } from './sql';
import { WebhookInbox } from './webhook-inbox';
import { webhookTablesDdl, WebhookStatusBook } from './webhook-tables';

export type { RunDetails, RunLogLine, RunRecord, RunStatus, RunTrigger } from './bookkeeping';
export type { Row, Alterations } from './cells';
export { rowEncoder } from './cells';
export { tableLayout, type TableLayout } from './layout';
export { WebhookInbox, inboxPath, type InboxEntry, type PendingDelivery } from './webhook-inbox';
export type { WebhookStatus, WebhookStatusBook } from './webhook-tables';
export {
  PipelineTable,
  TableMismatchError,
  type StagedBatch,
  type StoredState,
  type TableCheck,
  type WriteCounts,
} from './pipeline-table';

/**
 * The destination, opened: the pipelines' tables and the tool's bookkeeping (state, runs, the
 * pipelines page's switches) live side by side in one schema. Nothing is held between uses: a
 * PostgreSQL connection is checked out per run and per bookkeeping step, and a DuckDB file is
 * open only while something in this process reads or writes it.
 */
export class Warehouse {
  readonly bookkeeping: Bookkeeping;
  /** Per pipeline, what webhook deliveries did (serve, with `webhook_secret`). */
  readonly webhookStatus: WebhookStatusBook;

  private constructor(
    private readonly database: SqlDatabase,
    readonly destination: Destination,
  ) {
    this.bookkeeping = new Bookkeeping(database, database.dialect, destination.schema);
    this.webhookStatus = new WebhookStatusBook(database, database.dialect, destination.schema);
  }

  /**
   * Connects (or opens the file) and creates the tool's tables if they are missing. The
   * destination unreachable or held by another process is a transient error, tried again for a
   * moment first; a wrong URL, password or setting is a config error.
   */
  static async open(destination: Destination): Promise<Warehouse> {
    const database =
      destination.kind === 'duckdb'
        ? await (await import('./duckdb.js')).openDuckDb(destination.path, destination.settings)
        : await retryTransient(
            async () =>
              (await import('./postgres.js')).openPostgres(
                destination.connectionString,
                destination.display,
              ),
            QUICK,
          );
    try {
      await retryTransient(async () => {
        const session = await database.session('write');
        try {
          for (const statement of [
            ...bookkeepingDdl(database.dialect, destination.schema),
            ...webhookTablesDdl(database.dialect, destination.schema),
          ]) {
            await session.run(statement);
          }
        } finally {
          await session.release();
        }
      }, QUICK);
    } catch (error) {
      await database.close().catch(() => {});
      throw error;
    }
    return new Warehouse(database, destination);
  }

  get allowsNul(): boolean {
    return this.database.dialect.allowsNul;
  }

  /**
   * A pipeline's table on a session of its own (its temporary batch table and its transactions
   * are its own). Release it with `close` when the run ends. Undefined: another process is
   * running this pipeline against the same database.
   */
  async openTable(
    layout: TableLayout,
    softDelete: boolean,
  ): Promise<PipelineTableSession | undefined> {
    const session = await this.lockPipeline(layout.table);
    if (!session) return undefined;
    const table = new PipelineTable(
      session,
      this.database.dialect,
      this.destination.schema,
      layout,
      softDelete,
    );
    return { table, close: () => session.release() };
  }

  /** The inbox of webhook deliveries (see WebhookInbox): close it when serve stops. */
  openWebhookInbox(): Promise<WebhookInbox> {
    return WebhookInbox.open(this.destination, this.database);
  }

  /**
   * Marks the runs a dead process left `running` as interrupted, for every pipeline no live
   * process is running; returns the pipelines another process is running right now (their
   * `running` rows are that process's live runs, and are left alone).
   */
  async releaseAbandonedRuns(pipelines: string[]): Promise<string[]> {
    const busy: string[] = [];
    for (const pipeline of pipelines) {
      const session = await this.lockPipeline(tableNameOf(pipeline));
      if (!session) {
        busy.push(pipeline);
        continue;
      }
      try {
        await this.bookkeeping.markInterrupted([pipeline]);
      } finally {
        await session.release();
      }
    }
    return busy;
  }

  /** A write session holding the pipeline's lock, or undefined when another process holds it. */
  private async lockPipeline(table: string): Promise<SqlSession | undefined> {
    const session = await retryTransient(() => this.database.session('write'), QUICK);
    try {
      const lockName = `stripe-customers-sync:${this.destination.schema}.${table}`;
      if (await session.tryLock(lockName)) return session;
    } catch (error) {
      await session.release();
      throw error;
    }
    await session.release();
    return undefined;
  }

  async close(): Promise<void> {
    await this.database.close();
  }
}

export interface PipelineTableSession {
  table: PipelineTable;
  close(): Promise<void>;
}
