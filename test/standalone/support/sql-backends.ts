/**
 * The warehouse's own database layer (standalone/warehouse/sql.ts) on both destinations, for tests
 * that drive a PipelineTable directly: a DuckDB file in a temp folder, and a database on a private
 * PostgreSQL server (support/postgres-cluster.ts). Each comes with the schema tables live in and
 * the bookkeeping tables created.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStreams, parseConfig } from '../../../connector';
import { bookkeepingDdl } from '../../../standalone/warehouse/bookkeeping';
import { webhookTablesDdl } from '../../../standalone/warehouse/webhook-tables';
import { openDuckDb } from '../../../standalone/warehouse/duckdb';
import { openPostgres } from '../../../standalone/warehouse/postgres';
import { tableLayout, type TableLayout } from '../../../standalone/warehouse';
import type { SqlDatabase, SqlSession } from '../../../standalone/warehouse/sql';
import { startPostgres, type PostgresServer } from './postgres-cluster';

export interface SqlBackend {
  name: 'DuckDB' | 'PostgreSQL';
  /** Where the tool puts its tables by default. */
  schema: string;
  /** A fresh, empty database. */
  open(): Promise<SqlDatabase>;
  stop(): Promise<void>;
}

export const SQL_BACKENDS: Array<{ name: SqlBackend['name']; start: () => Promise<SqlBackend> }> = [
  {
    name: 'DuckDB',
    start: async () => ({
      name: 'DuckDB',
      schema: 'main',
      open: () => openDuckDb(join(mkdtempSync(join(tmpdir(), 'stripe-sync-sql-')), 'w.duckdb')),
      stop: async () => {},
    }),
  },
  {
    name: 'PostgreSQL',
    start: async () => {
      const server: PostgresServer = await startPostgres();
      return {
        name: 'PostgreSQL',
        schema: 'public',
        open: async () => openPostgres(await server.createDatabase(), 'the test database'),
        stop: () => server.stop(),
      };
    },
  },
];

/**
 * Creates the tool's bookkeeping tables in `schema`, as the warehouse does when it opens: state,
 * runs, switches, and the versions webhook deliveries leave (which every write compares with).
 */
export async function createBookkeeping(
  session: SqlSession,
  database: SqlDatabase,
  schema: string,
): Promise<void> {
  const ddl = [
    ...bookkeepingDdl(database.dialect, schema),
    ...webhookTablesDdl(database.dialect, schema),
  ];
  for (const statement of ddl) await session.run(statement);
}

/** The table layout of pipeline `name` in a config (default: a pass-through pipeline). */
export function layoutOf(name: string, config: Record<string, unknown> = {}): TableLayout {
  const parsed = parseConfig({ api_key: 'sk_test_x', pipelines: [{ name }], ...config });
  const stream = describeStreams(parsed).find((candidate) => candidate.name === name)!;
  return tableLayout(stream, parsed.model);
}
