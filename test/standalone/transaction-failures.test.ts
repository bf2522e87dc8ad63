/**
 * A pipeline's table and its saved state agree whatever statement of a write fails, on DuckDB and
 * on PostgreSQL: each write (an incremental one, a stage of a full import, the staged swap that
 * ends it) is failed at every one of its statements in turn, before the statement reaches the
 * database and after it ran (its answer lost), through a session that fails the Nth statement
 * (support/failing-sql.ts). After each failure the table, the staging table and the state are
 * exactly as before the write, and the same write then lands whole. Every statement is tried, so
 * this holds every time, not by the chance of where a random kill lands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineTable, rowEncoder, type Row, type TableLayout } from '../../standalone/warehouse';
import { qualified, quote, type SqlDatabase } from '../../standalone/warehouse/sql';
import { FailingSession, InjectedFailure, failingDatabase } from './support/failing-sql';
import { createBookkeeping, layoutOf, SQL_BACKENDS, type SqlBackend } from './support/sql-backends';

const FINGERPRINT = 'fingerprint';

/** Records as the engine emits them for a pass-through pipeline. */
function encoder(layout: TableLayout, allowsNul: boolean) {
  const encode = rowEncoder(layout, { allowsNul });
  const alterations = { misfits: 0, replacedCharacters: 0 };
  return {
    live: (id: string, name = 'first'): Row =>
      encode(
        {
          id,
          object: 'customer',
          email: `${id}@example.com`,
          name,
          created: 1_700_000_000,
          updated: 1_700_000_100,
          is_deleted: false,
          _ab_cdc_deleted_at: null,
        },
        alterations,
      ),
    deleted: (id: string): Row =>
      encode(
        {
          id,
          object: 'customer',
          updated: 1_700_000_200,
          is_deleted: true,
          _ab_cdc_deleted_at: '2023-11-14T22:16:40.000Z',
        },
        alterations,
      ),
  };
}
type Rows = ReturnType<typeof encoder>;

/** A write to try, after a setup that brings the table where the write finds it in a real run. */
interface Scenario {
  name: string;
  setup: (table: PipelineTable, rows: Rows) => Promise<void>;
  write: (table: PipelineTable, rows: Rows) => Promise<unknown>;
}

/** A finished full import of a, b and c. */
async function imported(table: PipelineTable, rows: Rows): Promise<void> {
  await table.stage(
    { rows: [rows.live('cus_a'), rows.live('cus_b')], kept: [] },
    { phase: 'full_import', page: 1 },
    FINGERPRINT,
    true,
  );
  await table.replaceFromStaging(
    { rows: [rows.live('cus_c')], kept: [] },
    { phase: 'incremental', run: 1 },
    false,
  );
}

/** A finished import, then a new full import under way: a changed and c staged so far. */
async function importing(table: PipelineTable, rows: Rows): Promise<void> {
  await imported(table, rows);
  await table.stage(
    { rows: [rows.live('cus_a', 'changed'), rows.live('cus_c')], kept: [] },
    { phase: 'full_import', page: 1 },
    FINGERPRINT,
    true,
  );
}

const SCENARIOS: Scenario[] = [
  {
    name: 'an incremental write',
    setup: imported,
    write: (table, rows) =>
      table.applyChanges(
        [rows.live('cus_a', 'changed'), rows.deleted('cus_b'), rows.live('cus_d')],
        {
          phase: 'incremental',
          run: 2,
        },
      ),
  },
  {
    name: "a full import's first stage",
    setup: imported,
    write: (table, rows) =>
      table.stage(
        { rows: [rows.live('cus_a', 'changed'), rows.live('cus_c')], kept: [] },
        { phase: 'full_import', page: 1 },
        FINGERPRINT,
        true,
      ),
  },
  {
    name: "a full import's next stage",
    setup: importing,
    write: (table, rows) =>
      table.stage(
        { rows: [rows.live('cus_e'), rows.live('cus_c', 'changed')], kept: [] },
        { phase: 'full_import', page: 2 },
        FINGERPRINT,
        false,
      ),
  },
  {
    name: 'the staged swap that ends a full import',
    setup: importing,
    // b vanished, a changed, c the same, e new.
    write: (table, rows) =>
      table.replaceFromStaging(
        { rows: [rows.live('cus_e')], kept: [] },
        { phase: 'incremental', run: 2 },
        false,
      ),
  },
];

describe.each(SQL_BACKENDS)('a write failing at any statement on $name', ({ start }) => {
  let backend: SqlBackend;
  let database: SqlDatabase;
  let failing: FailingSession;
  let tables = 0;
  beforeAll(async () => {
    backend = await start();
    const wrapped = failingDatabase(await backend.open());
    database = wrapped.database;
    const session = await database.session();
    failing = wrapped.sessions[0]!;
    await createBookkeeping(session, database, backend.schema);
  });
  afterAll(async () => {
    await failing?.unwrapped.release().catch(() => {});
    await database?.close();
    await backend?.stop();
  });

  /** A pipeline of its own (own table, staging table and state row) for each attempt. */
  async function freshTable(): Promise<{ table: PipelineTable; rows: Rows }> {
    const layout = layoutOf(`p${++tables}`);
    const table = new PipelineTable(
      failing.session,
      database.dialect,
      backend.schema,
      layout,
      false,
    );
    await table.prepare();
    return { table, rows: encoder(layout, database.dialect.allowsNul) };
  }

  /** What the warehouse holds for the pipeline: its rows, its staged rows, its state. */
  async function holds(table: PipelineTable) {
    const session = failing.unwrapped;
    const rowsOf = async (name: string) => {
      const ref = { schema: backend.schema, name };
      if (!(await database.dialect.tableColumns(session, ref))) return undefined;
      const rows = await session.query(
        `SELECT * FROM ${qualified(ref)} ORDER BY ${quote(table.layout.primaryKey)}`,
      );
      return JSON.parse(JSON.stringify(rows)) as unknown;
    };
    return {
      table: await rowsOf(table.layout.table),
      staging: await rowsOf(table.layout.stagingTable),
      saved: await table.loadState(),
    };
  }

  it.each(SCENARIOS)(
    '$name: table and state stay as they were, then the write lands whole',
    async (scenario) => {
      // The write once without failure: what it starts from, what it ends with, its statements.
      const probe = await freshTable();
      await scenario.setup(probe.table, probe.rows);
      const before = await holds(probe.table);
      const from = failing.statements.length;
      await scenario.write(probe.table, probe.rows);
      const statements = failing.statements.slice(from);
      const after = await holds(probe.table);
      expect(after).not.toEqual(before);
      expect(statements.length).toBeGreaterThan(2);

      for (let nth = 1; nth <= statements.length; nth++) {
        for (const when of ['before', 'after'] as const) {
          const what = `failure ${when} statement ${nth} of ${statements.length}: ${statements[nth - 1]!.slice(0, 80)}`;
          const { table, rows } = await freshTable();
          await scenario.setup(table, rows);
          failing.arm({ pattern: /./, nth, when });
          await expect(scenario.write(table, rows), what).rejects.toBeInstanceOf(InjectedFailure);
          failing.disarm();
          expect(await holds(table), what).toEqual(before);
          await scenario.write(table, rows);
          expect(await holds(table), `${what}, then written again`).toEqual(after);
        }
      }
    },
  );
});
