import type { Destination } from '../destination';
import { Bookkeeping, bookkeepingDdl } from './bookkeeping';
import type { TableLayout } from './layout';
import { PipelineTable } from './pipeline-table';
import type { SqlDatabase, SqlSession } from './sql';

export type { RunRecord, RunStatus } from './bookkeeping';
export type { Row, Alterations } from './cells';
export { rowEncoder } from './cells';
export { tableLayout, type TableLayout } from './layout';
export {
  PipelineTable,
  TableMismatchError,
  type StoredState,
  type TableCheck,
  type WriteCounts,
} from './pipeline-table';

/**
 * The destination, opened: the pipelines' tables and the tool's bookkeeping (state, runs, the
 * pipelines page's switches) live side by side in one schema.
 */
export class Warehouse {
  private constructor(
    private readonly database: SqlDatabase,
    private readonly adminSession: SqlSession,
    readonly destination: Destination,
    readonly bookkeeping: Bookkeeping,
  ) {}

  static async open(destination: Destination): Promise<Warehouse> {
    const database =
      destination.kind === 'duckdb'
        ? await (await import('./duckdb.js')).openDuckDb(destination.path, destination.settings)
        : await (
            await import('./postgres.js')
          ).openPostgres(destination.connectionString, destination.display);
    let session: SqlSession;
    try {
      session = await database.session();
    } catch (error) {
      await database.close().catch(() => {});
      throw error;
    }
    try {
      for (const statement of bookkeepingDdl(database.dialect, destination.schema)) {
        await session.run(statement);
      }
    } catch (error) {
      await session.release().catch(() => {});
      await database.close().catch(() => {});
      throw error;
    }
    const bookkeeping = new Bookkeeping(session, database.dialect, destination.schema);
    return new Warehouse(database, session, destination, bookkeeping);
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
    const session = await this.database.session();
    const lockName = `stripe-customers-sync:${this.destination.schema}.${layout.table}`;
    if (!(await session.tryLock(lockName))) {
      await session.release();
      return undefined;
    }
    const table = new PipelineTable(
      session,
      this.database.dialect,
      this.destination.schema,
      layout,
      softDelete,
    );
    return { table, close: () => session.release() };
  }

  async close(): Promise<void> {
    await this.adminSession.release().catch(() => {});
    await this.database.close();
  }
}

export interface PipelineTableSession {
  table: PipelineTable;
  close(): Promise<void>;
}
