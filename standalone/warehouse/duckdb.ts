import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ConfigError, TransientError, errorMessage } from '../../connector';
import type { Cell } from './cells';
import type { Column, ColumnKind } from './layout';
import { InstanceLease } from './instance-lease';
import { Mutex } from './mutex';
import type { Access, Dialect, SqlDatabase, SqlParam, SqlSession, TableRef } from './sql';

const TYPE_NAMES: Record<Exclude<ColumnKind['type'], 'decimal'>, string> = {
  text: 'VARCHAR',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamptz: 'TIMESTAMP WITH TIME ZONE',
  date: 'DATE',
  time: 'TIME',
  uuid: 'UUID',
  json: 'JSON',
};

export const DUCKDB_DIALECT: Dialect = {
  name: 'duckdb',
  indexesStaging: false,
  allowsNul: true,
  typeName: (kind) =>
    kind.type === 'decimal' ? `DECIMAL(${kind.precision},${kind.scale})` : TYPE_NAMES[kind.type],
  async tableColumns(session, table) {
    const rows = await session.query(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [table.schema, table.name],
    );
    if (rows.length === 0) return undefined;
    return new Map(rows.map((row) => [String(row.column_name), String(row.data_type)]));
  },
  epochMillis: (expression) => `epoch_ms(${expression})`,
};

/**
 * An embedded DuckDB file. DuckDB lets one process write a file, and within it resolves
 * concurrent transactions optimistically: writes are serialized here instead, so two pipelines
 * running at once in `serve` never fail each other's commits.
 *
 * The file is held only while someone in this process uses it (a run writing, a bookkeeping
 * read or write): the instance is opened by the first session and closed with the last, so
 * between runs any other process may open the file (the DuckDB CLI, a notebook, `-readonly`).
 * Sessions that only read open it read-only when nothing here has it open, so they coexist
 * with other readers.
 *
 * The write-ahead log is checkpointed every 256 MB instead of DuckDB's 16 MB: a full import
 * commits every second, and checkpointing a growing staging table that often cost more than
 * writing it (measured: about 5x slower). `settings` are DuckDB's own (`memory_limit`, `threads`…),
 * from the destination URL.
 */
export async function openDuckDb(
  path: string,
  settings: Record<string, string> = {},
): Promise<SqlDatabase> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new ConfigError(
      `Cannot create the folder of the DuckDB file ${path}: ${errorMessage(error)}. Check the path and that it is writable.`,
    );
  }
  const lease = new InstanceLease(async (access) => {
    try {
      return await DuckDBInstance.create(path, {
        checkpoint_threshold: '256MB',
        ...settings,
        ...(access === 'read' ? { access_mode: 'READ_ONLY' } : {}),
      });
    } catch (error) {
      throw cannotOpen(path, settings, error);
    }
  });
  const writes = new Mutex();
  const sessions = new Set<DuckDbSession>();
  return {
    dialect: DUCKDB_DIALECT,
    async session(access: Access = 'write') {
      const instance = await lease.acquire(access);
      try {
        const connection = await instance.connect();
        const session = new DuckDbSession(connection, writes, () => {
          sessions.delete(session);
          lease.release();
        });
        sessions.add(session);
        return session;
      } catch (error) {
        lease.release();
        throw error;
      }
    },
    async close() {
      for (const session of [...sessions]) await session.release();
    },
  };
}

function cannotOpen(path: string, settings: Record<string, string>, error: unknown): Error {
  const message = errorMessage(error);
  if (/lock/i.test(message)) {
    return new TransientError(
      `The DuckDB file ${path} is open in another process (${message.replace(/\. See also https:\S+/, '')}): a DuckDB file has one writer at a time. Close the other program (a DuckDB CLI or notebook holding it open, another sync or serve), or sync into another file; nothing was written, and running again once it is closed continues.`,
      { cause: error },
    );
  }
  const hint = /option|config|setting/i.test(message)
    ? ` Check the DuckDB settings in the destination URL (${Object.keys(settings).join(', ') || 'none'}): their names and values are DuckDB's (https://duckdb.org/docs/configuration/overview).`
    : ' Check the path and that it is writable.';
  return new ConfigError(`Cannot open the DuckDB file ${path}: ${message}.${hint}`, {
    cause: error,
  });
}

class DuckDbSession implements SqlSession {
  private inTransaction = false;
  private released = false;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly writes: Mutex,
    private readonly onRelease: () => void,
  ) {}

  async run(sql: string, params: SqlParam[] = []): Promise<number> {
    const execute = async () => (await this.connection.run(sql, params)).rowsChanged;
    return this.inTransaction ? execute() : this.writes.hold(execute);
  }

  async query(sql: string, params: SqlParam[] = []): Promise<Array<Record<string, unknown>>> {
    const reader = await this.connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS().map((row) => {
      const plain: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row)) {
        plain[key] = typeof value === 'bigint' ? Number(value) : value;
      }
      return plain;
    });
  }

  /** The appender casts text to each column's type (timestamps, decimals, UUIDs, JSON). */
  async load(table: TableRef, columns: Column[], rows: Cell[][]): Promise<void> {
    const appender =
      'temporary' in table
        ? await this.connection.createAppender(table.name, 'main', 'temp')
        : await this.connection.createAppender(table.name, table.schema);
    try {
      const appenders = columns.map((column) => cellAppender(column.kind));
      for (const cells of rows) {
        for (let index = 0; index < appenders.length; index++) {
          const cell = cells[index];
          if (cell === null || cell === undefined) appender.appendNull();
          else (appenders[index] as CellAppender)(appender, cell);
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.writes.hold(async () => {
      await this.connection.run('BEGIN TRANSACTION');
      this.inTransaction = true;
      try {
        const result = await work();
        await this.connection.run('COMMIT');
        return result;
      } catch (error) {
        await this.connection.run('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        this.inTransaction = false;
      }
    });
  }

  async tryLock(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      this.connection.closeSync();
    } finally {
      this.onRelease();
    }
  }
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;
type CellAppender = (appender: Appender, cell: Exclude<Cell, null>) => void;

function cellAppender(kind: ColumnKind): CellAppender {
  switch (kind.type) {
    case 'bigint':
      return (appender, cell) => appender.appendBigInt(BigInt(cell as number));
    case 'double':
      return (appender, cell) => appender.appendDouble(cell as number);
    case 'boolean':
      return (appender, cell) => appender.appendBoolean(cell as boolean);
    default:
      // Text, and what DuckDB casts from text exactly: decimals, timestamps, dates, UUIDs, JSON.
      return (appender, cell) => appender.appendVarchar(String(cell));
  }
}
