/**
 * A pipeline's table through its public methods, on DuckDB and PostgreSQL: what preparing it finds
 * and refuses, what each write counts, soft deletes, and forgetting or rebuilding an import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PipelineTable,
  rowEncoder,
  TableMismatchError,
  type Row,
  type TableLayout,
} from '../../standalone/warehouse';
import { qualified, type SqlDatabase, type SqlSession } from '../../standalone/warehouse/sql';
import { createBookkeeping, layoutOf, SQL_BACKENDS, type SqlBackend } from './support/sql-backends';

const mapped = (
  model: Array<Record<string, unknown>>,
  mappings: Array<Record<string, string>>,
) => ({
  customer_model: model,
  pipelines: [{ name: 'crm', transformation: { type: 'mapping', mappings } }],
});
const V1 = mapped(
  [
    { name: 'email', type: 'string' },
    { name: 'seats', type: 'integer' },
  ],
  [
    { to: 'email', from: 'email' },
    { to: 'seats', from: 'metadata.seats' },
  ],
);
/** A property more (plan), one less (seats). */
const V2 = mapped(
  [
    { name: 'email', type: 'string' },
    { name: 'plan', type: 'string' },
  ],
  [
    { to: 'email', from: 'email' },
    { to: 'plan', from: 'metadata.plan' },
  ],
);
/** seats is text now. */
const V3 = mapped(
  [
    { name: 'email', type: 'string' },
    { name: 'seats', type: 'string' },
  ],
  [
    { to: 'email', from: 'email' },
    { to: 'seats', from: 'metadata.seats' },
  ],
);

describe.each(SQL_BACKENDS)('a pipeline table on $name', ({ start }) => {
  let backend: SqlBackend;
  let database: SqlDatabase;
  let session: SqlSession;
  let pipelines = 0;
  beforeAll(async () => {
    backend = await start();
    database = await backend.open();
    session = await database.session();
    await createBookkeeping(session, database, backend.schema);
  });
  afterAll(async () => {
    await session?.release().catch(() => {});
    await database?.close();
    await backend?.stop();
  });

  const table = (layout: TableLayout, softDelete = false) =>
    new PipelineTable(session, database.dialect, backend.schema, layout, softDelete);

  /** A pass-through pipeline of its own, prepared, and how to make its rows. */
  async function passThrough(softDelete = false) {
    const layout = layoutOf(`p${++pipelines}`);
    const pipeline = table(layout, softDelete);
    await pipeline.prepare();
    const encode = rowEncoder(layout, { allowsNul: database.dialect.allowsNul });
    const alterations = { misfits: 0, replacedCharacters: 0 };
    const live = (id: string, email: string, updated = 100): Row =>
      encode(
        {
          id,
          object: 'customer',
          email,
          created: 1_700_000_000,
          updated,
          is_deleted: false,
          _ab_cdc_deleted_at: null,
        },
        alterations,
      );
    const deleted = (id: string, updated = 200): Row =>
      encode(
        {
          id,
          object: 'customer',
          deleted: true,
          updated,
          is_deleted: true,
          _ab_cdc_deleted_at: '2023-11-14T22:13:20.000Z',
        },
        alterations,
      );
    const rows = async () => {
      const found = await session.query(
        `SELECT id, email, updated, is_deleted, _ab_cdc_deleted_at FROM ${qualified({ schema: backend.schema, name: layout.table })} ORDER BY id`,
      );
      return found.map((row): Record<string, unknown> => ({
        ...row,
        _ab_cdc_deleted_at: row._ab_cdc_deleted_at === null ? null : 'set',
      }));
    };
    return { layout, pipeline, live, deleted, rows };
  }

  async function columnsOf(name: string): Promise<string[] | undefined> {
    const columns = await database.dialect.tableColumns(session, { schema: backend.schema, name });
    return columns && [...columns.keys()];
  }

  it('is created once, gains the columns a new property needs and keeps the ones it no longer writes', async () => {
    const v1 = layoutOf('crm', V1);
    expect(await table(v1).prepare()).toEqual({
      created: true,
      addedColumns: [],
      keptColumns: [],
      stagingUsable: false,
    });
    expect(await table(v1).prepare()).toMatchObject({ created: false, addedColumns: [] });
    const v2 = layoutOf('crm', V2);
    expect(await table(v2).prepare()).toEqual({
      created: false,
      addedColumns: ['plan'],
      keptColumns: ['seats'],
      stagingUsable: false,
    });
    expect(await columnsOf('crm')).toContain('plan');
  });

  it('refuses a column whose type changed, naming it, the conversion and --rebuild, and changes nothing', async () => {
    const v1 = layoutOf('typed', { ...V1, pipelines: [{ ...V1.pipelines[0], name: 'typed' }] });
    await table(v1).prepare();
    const before = await columnsOf('typed');
    const v3 = layoutOf('typed', { ...V3, pipelines: [{ ...V3.pipelines[0], name: 'typed' }] });
    const refused = table(v3)
      .prepare()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const error = (await refused) as Error;
    expect(error).toBeInstanceOf(TableMismatchError);
    const text = database.dialect.typeName({ type: 'text' });
    const bigint = database.dialect.typeName({ type: 'bigint' });
    expect(error.message).toContain(
      `column "seats" is ${bigint} but the pipeline now writes ${text}`,
    );
    expect(error.message).toContain(
      `ALTER TABLE ${qualified({ schema: backend.schema, name: 'typed' })} ALTER COLUMN "seats" TYPE ${text}`,
    );
    expect(error.message).toMatch(/Nothing was written to it/);
    expect(error.message).toMatch(/--rebuild typed/);
    expect(await columnsOf('typed')).toEqual(before);
    // A pass-through pipeline on that table: its rows are keyed by another column.
    const keyed = layoutOf('typed');
    const other = (await table(keyed)
      .prepare()
      .catch((caught: unknown) => caught)) as Error;
    expect(other).toBeInstanceOf(TableMismatchError);
    expect(other.message).toMatch(/its rows are not keyed by "id"/);
    expect(other.message).toMatch(/Rebuild the table from Stripe/);
  });

  it('counts what each incremental write inserts, updates and deletes, and leaves unchanged rows alone', async () => {
    const { pipeline, live, deleted, rows } = await passThrough();
    expect(
      await pipeline.applyChanges(
        [live('cus_a', 'a@x'), live('cus_b', 'b@x'), live('cus_c', 'c@x')],
        {
          n: 1,
        },
      ),
    ).toEqual({ inserted: 3, updated: 0, deleted: 0 });
    // a unchanged but for its cursor, b changed, c deleted, d new.
    expect(
      await pipeline.applyChanges(
        [
          live('cus_a', 'a@x', 150),
          live('cus_b', 'b2@x', 150),
          deleted('cus_c'),
          live('cus_d', 'd@x'),
        ],
        { n: 2 },
      ),
    ).toEqual({ inserted: 1, updated: 1, deleted: 1 });
    expect(await rows()).toEqual([
      { id: 'cus_a', email: 'a@x', updated: 100, is_deleted: false, _ab_cdc_deleted_at: null },
      { id: 'cus_b', email: 'b2@x', updated: 150, is_deleted: false, _ab_cdc_deleted_at: null },
      { id: 'cus_d', email: 'd@x', updated: 100, is_deleted: false, _ab_cdc_deleted_at: null },
    ]);
    expect(await pipeline.loadState()).toEqual({ state: { n: 2 } });
    // Deleting what is not there deletes nothing.
    expect(await pipeline.applyChanges([deleted('cus_zz')], { n: 3 })).toEqual({
      inserted: 0,
      updated: 0,
      deleted: 0,
    });
  });

  it('counts what the end of a full import changes: only the differences', async () => {
    const { pipeline, live, rows } = await passThrough();
    await pipeline.applyChanges(
      [live('cus_a', 'a@x'), live('cus_b', 'b@x'), live('cus_c', 'c@x')],
      {
        n: 1,
      },
    );
    await pipeline.stage({ rows: [live('cus_a', 'a@x', 300)], kept: [] }, { page: 1 }, 'fp', true);
    const counts = await pipeline.replaceFromStaging(
      { rows: [live('cus_c', 'c2@x', 300), live('cus_e', 'e@x', 300)], kept: [] },
      { n: 2 },
      false,
    );
    // b vanished, c changed, e new; a only re-read (its cursor is not a change).
    expect(counts).toEqual({ inserted: 1, updated: 1, deleted: 1 });
    expect((await rows()).map((row) => [row.id, row.email])).toEqual([
      ['cus_a', 'a@x'],
      ['cus_c', 'c2@x'],
      ['cus_e', 'e@x'],
    ]);
    expect(await pipeline.loadState()).toEqual({ state: { n: 2 } });
    expect(await columnsOf(pipeline.layout.stagingTable)).toBeUndefined();
    // A fresh import that reads nothing empties the table.
    expect(await pipeline.replaceFromStaging({ rows: [], kept: [] }, { n: 3 }, true)).toEqual({
      inserted: 0,
      updated: 0,
      deleted: 3,
    });
    expect(await rows()).toEqual([]);
  });

  it('with soft deletes, marks rows deleted (keeping their fields), once, and revives them', async () => {
    const { pipeline, live, deleted, rows } = await passThrough(true);
    await pipeline.applyChanges([live('cus_a', 'a@x'), live('cus_b', 'b@x')], { n: 1 });
    expect(await pipeline.applyChanges([deleted('cus_b')], { n: 2 })).toEqual({
      inserted: 0,
      updated: 0,
      deleted: 1,
    });
    expect(await rows()).toEqual([
      { id: 'cus_a', email: 'a@x', updated: 100, is_deleted: false, _ab_cdc_deleted_at: null },
      { id: 'cus_b', email: 'b@x', updated: 200, is_deleted: true, _ab_cdc_deleted_at: 'set' },
    ]);
    // Deleted again: already marked, not counted.
    expect((await pipeline.applyChanges([deleted('cus_b', 250)], { n: 3 })).deleted).toBe(0);
    // Back in Stripe: revived.
    expect(await pipeline.applyChanges([live('cus_b', 'b@x', 300)], { n: 4 })).toEqual({
      inserted: 0,
      updated: 1,
      deleted: 0,
    });
    expect((await rows())[1]).toMatchObject({
      id: 'cus_b',
      is_deleted: false,
      _ab_cdc_deleted_at: null,
    });
    // A full import that no longer finds a: marked deleted now, and only once.
    const before = Math.floor(Date.now() / 1000);
    await pipeline.stage({ rows: [live('cus_b', 'b@x', 300)], kept: [] }, { page: 1 }, 'fp', true);
    expect(
      (await pipeline.replaceFromStaging({ rows: [], kept: [] }, { n: 5 }, false)).deleted,
    ).toBe(1);
    const marked = (await rows())[0]!;
    expect(marked).toMatchObject({
      id: 'cus_a',
      email: 'a@x',
      is_deleted: true,
      _ab_cdc_deleted_at: 'set',
    });
    expect(marked.updated as number).toBeGreaterThanOrEqual(before);
    await pipeline.stage({ rows: [live('cus_b', 'b@x', 300)], kept: [] }, { page: 1 }, 'fp', true);
    expect(
      (await pipeline.replaceFromStaging({ rows: [], kept: [] }, { n: 6 }, false)).deleted,
    ).toBe(0);
  });

  it('forgets an import under way, or the whole table, when asked', async () => {
    const { layout, pipeline, live, rows } = await passThrough();
    await pipeline.applyChanges([live('cus_a', 'a@x')], { n: 1 });
    await pipeline.stage({ rows: [live('cus_b', 'b@x')], kept: [] }, { page: 1 }, 'fp', true);
    expect(await pipeline.loadState()).toEqual({
      state: { n: 1 },
      staged: { state: { page: 1 }, fingerprint: 'fp' },
    });
    // A table prepared again finds the staging table usable (same columns)...
    expect((await table(layout).prepare()).stagingUsable).toBe(true);
    await pipeline.discardStaging();
    expect(await pipeline.loadState()).toEqual({ state: { n: 1 } });
    expect(await columnsOf(layout.stagingTable)).toBeUndefined();
    expect((await table(layout).prepare()).stagingUsable).toBe(false);
    expect(await rows()).toHaveLength(1);
    await pipeline.stage({ rows: [live('cus_b', 'b@x')], kept: [] }, { page: 1 }, 'fp', true);
    await pipeline.rebuild();
    expect(await pipeline.loadState()).toEqual({});
    expect(await columnsOf(layout.table)).toBeUndefined();
    expect(await columnsOf(layout.stagingTable)).toBeUndefined();
  });

  it('finds a staging table of other columns unusable', async () => {
    const v1 = layoutOf('evolving', {
      ...V1,
      pipelines: [{ ...V1.pipelines[0], name: 'evolving' }],
    });
    const first = table(v1);
    await first.prepare();
    await first.stage({ rows: [], kept: [] }, { page: 1 }, 'fp', true);
    expect((await table(v1).prepare()).stagingUsable).toBe(true);
    const v2 = layoutOf('evolving', {
      ...V2,
      pipelines: [{ ...V2.pipelines[0], name: 'evolving' }],
    });
    expect((await table(v2).prepare()).stagingUsable).toBe(false);
  });
});
