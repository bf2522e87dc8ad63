import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStreams, parseConfig, type EmittedRecord } from '../../connector';
import { parseDestination } from '../../standalone/destination';
import { PipelineWriter } from '../../standalone/sync/pipeline-writer';
import {
  rowEncoder,
  tableLayout,
  Warehouse,
  type PipelineTable,
  type Row,
} from '../../standalone/warehouse';
import { BACKENDS, type Backend, type TestWarehouse } from './support/standalone';

const stream = describeStreams(parseConfig({ api_key: 'sk_test_x' }))[0]!;
const layout = tableLayout(stream);

function listed(ids: string[]): EmittedRecord[] {
  return ids.map((id) => ({
    change: 'listed',
    record: {
      id,
      object: 'customer',
      email: `${id}@example.com`,
      created: 1_700_000_000,
      updated: 1,
      is_deleted: false,
      _ab_cdc_deleted_at: null,
    },
  }));
}

const SUMMARY = {
  mode: 'full_import' as const,
  emitted: 4,
  deletions: 0,
  filteredOut: 0,
  skippedByCode: 0,
  failed: 0,
  malformed: 0,
  settlingEvents: 0,
};

/** Commits at every opportunity, so what each step leaves in the warehouse is visible. */
const EVERY_CHECKPOINT = { rows: 1, milliseconds: 0 };

describe.each(BACKENDS)('the writer on $name', ({ start }) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await start();
  });
  afterAll(() => backend?.stop());

  async function open(
    test: TestWarehouse,
    options: { fingerprint?: string; resuming?: boolean; softDelete?: boolean } = {},
  ) {
    const warehouse = await Warehouse.open(parseDestination(test.url));
    const opened = (await warehouse.openTable(layout, options.softDelete ?? false))!;
    await opened.table.prepare();
    const writer = new PipelineWriter(
      opened.table,
      rowEncoder(layout, { allowsNul: warehouse.allowsNul }),
      options.fingerprint ?? 'fingerprint',
      options.resuming ?? false,
      EVERY_CHECKPOINT,
    );
    return {
      writer,
      table: opened.table,
      close: async () => {
        await opened.close();
        await warehouse.close();
      },
    };
  }

  /** A first full import of these customers, emails `<id>@example.com`. */
  async function imported(test: TestWarehouse, ids: string[]) {
    const { writer, close } = await open(test);
    try {
      writer.started('incremental');
      await writer.records(listed(ids));
      await writer.checkpoint({ phase: 'incremental', n: 0 }, false);
      await writer.finished(SUMMARY);
    } finally {
      await close();
    }
  }

  /** The same customers as read by a changed definition: new emails. */
  const relisted = (ids: string[]) =>
    listed(ids).map((item) => ({
      ...item,
      record: { ...item.record, email: `${item.record.id}@new.example` },
    }));
  const skipped = (ids: string[]) => ids.map((id) => ({ id, cause: 'error' as const }));
  const emails = async (test: TestWarehouse) =>
    Object.fromEntries(
      [...(await test.rows('customers'))!.values()].map((row) => [row.id, row.email]),
    );

  it('keeps the rows of customers a full import skipped (a definition change), even resumed after a crash', async () => {
    const test = await backend.create();
    await imported(test, ['cus_a', 'cus_b', 'cus_c', 'cus_d']);
    // The definition changed: a full import reads a and d again, skips b (its new transformation
    // failed), and no longer finds c. Then the process dies after its first staged commit.
    const first = await open(test, { fingerprint: 'changed' });
    try {
      first.writer.started('incremental');
      await first.writer.records(relisted(['cus_a']));
      first.writer.skipped(skipped(['cus_b']));
      await first.writer.checkpoint({ phase: 'full_import', page: 1 }, false);
      await first.writer.records(relisted(['cus_d']));
      expect((await first.table.loadState()).staged?.state).toEqual({
        phase: 'full_import',
        page: 1,
      });
    } finally {
      await first.close();
    }
    // The rerun resumes the staged import and ends it.
    const second = await open(test, { fingerprint: 'changed', resuming: true });
    try {
      await second.writer.records(relisted(['cus_d']));
      await second.writer.checkpoint({ phase: 'incremental', n: 1 }, false);
      await second.writer.finished(SUMMARY);
      expect(second.writer.progress.deleted).toBe(1);
    } finally {
      await second.close();
    }
    expect(await emails(test)).toEqual({
      cus_a: 'cus_a@new.example',
      cus_b: 'cus_b@example.com',
      cus_d: 'cus_d@new.example',
    });
  });

  it('keeps skipped rows when the skips come before any record of the import, and in a full refresh', async () => {
    const test = await backend.create();
    await imported(test, ['cus_a', 'cus_b', 'cus_c']);
    // The import's first page held only a skipped customer: its checkpoint is the first sign of
    // the import.
    const changed = await open(test, { fingerprint: 'changed' });
    try {
      changed.writer.started('incremental');
      changed.writer.skipped(skipped(['cus_a']));
      await changed.writer.checkpoint({ phase: 'full_import', page: 1 }, false);
      await changed.writer.records(relisted(['cus_b']));
      await changed.writer.checkpoint({ phase: 'incremental', n: 1 }, false);
      await changed.writer.finished(SUMMARY);
    } finally {
      await changed.close();
    }
    expect(await emails(test)).toEqual({
      cus_a: 'cus_a@example.com',
      cus_b: 'cus_b@new.example',
    });
    // A full refresh (with soft deletes) that skips b and no longer finds a.
    const refresh = await open(test, { fingerprint: 'changed', softDelete: true });
    try {
      refresh.writer.started('full_refresh');
      refresh.writer.skipped(skipped(['cus_b']));
      await refresh.writer.checkpoint({ phase: 'full_import', page: 1 }, false);
      await refresh.writer.finished(SUMMARY);
    } finally {
      await refresh.close();
    }
    const rows = (await test.rows('customers'))!;
    expect(rows.get('cus_b')).toMatchObject({ email: 'cus_b@new.example', is_deleted: false });
    expect(rows.get('cus_a')).toMatchObject({ is_deleted: true });
  });

  it("never saves a full import's last checkpoint without replacing the table, so a crash right before that resumes the import", async () => {
    const test = await backend.create();
    const { writer, table, close } = await open(test);
    try {
      writer.started('full_refresh');
      await writer.records(listed(['cus_a', 'cus_b']));
      await writer.checkpoint({ page: 1 }, false);
      await writer.records(listed(['cus_c', 'cus_d']));
      // The records after page 1 prove it was not the last: it is staged now.
      const staged = { staged: { state: { page: 1 }, fingerprint: 'fingerprint' } };
      expect(await table.loadState()).toEqual(staged);
      await writer.checkpoint({ page: 'final' }, false);
      // A crash here: the import's last checkpoint must not be taken for a mere page.
      expect(await table.loadState()).toEqual(staged);
      await writer.finished(SUMMARY);
      expect(await table.loadState()).toEqual({ state: { page: 'final' } });
    } finally {
      await close();
    }
    const rows = await test.rows('customers');
    expect([...rows!.keys()].sort()).toEqual(['cus_a', 'cus_b', 'cus_c', 'cus_d']);
  });
});

describe.each(BACKENDS)('changes applied out of order on $name', ({ start }) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await start();
  });
  afterAll(() => backend?.stop());

  const change = (id: string, version: number, email: string | null): EmittedRecord['record'] =>
    email === null
      ? {
          id,
          object: 'customer',
          deleted: true,
          updated: version,
          is_deleted: true,
          _ab_cdc_deleted_at: new Date(version * 1000).toISOString(),
        }
      : {
          id,
          object: 'customer',
          email,
          created: 1_700_000_000,
          updated: version,
          is_deleted: false,
          _ab_cdc_deleted_at: null,
        };

  it('never lets an older version overwrite a newer row, nor bring back a customer a delivery deleted or filtered out', async () => {
    const test = await backend.create();
    /** Opens the table for one step (a DuckDB file is read back only once it is closed). */
    const step = async <T>(
      work: (
        table: PipelineTable,
        rows: (...records: EmittedRecord['record'][]) => Row[],
      ) => Promise<T>,
    ): Promise<T> => {
      const warehouse = await Warehouse.open(parseDestination(test.url));
      const opened = (await warehouse.openTable(layout, false))!;
      try {
        await opened.table.prepare();
        const encode = rowEncoder(layout, { allowsNul: warehouse.allowsNul });
        return await work(opened.table, (...records) =>
          records.map((record) => encode(record, { misfits: 0, replacedCharacters: 0 })),
        );
      } finally {
        await opened.close();
        await warehouse.close();
      }
    };
    const delivered = (entries: Array<[string, number]>, forgetBefore = 0) => ({
      versions: new Map(entries),
      forgetBefore,
    });
    // Deliveries: a's version 20, b deleted at 30, c filtered out at 40 (no row, a version).
    await step(async (table, rows) => {
      await table.applyChanges(
        rows(change('cus_a', 20, 'a@new'), change('cus_b', 10, 'b@old')),
        { n: 1 },
        delivered([
          ['cus_a', 20],
          ['cus_b', 10],
        ]),
      );
      await table.applyChanges(
        rows(change('cus_b', 30, null)),
        { n: 2 },
        delivered([
          ['cus_b', 30],
          ['cus_c', 40],
        ]),
      );
      expect(await table.heldVersions(['cus_a', 'cus_b', 'cus_c', 'cus_d'])).toEqual(
        new Map([
          ['cus_a', 20],
          ['cus_b', 30],
          ['cus_c', 40],
        ]),
      );
      // A run (or a late delivery) with older states of all three changes nothing...
      const late = await table.applyChanges(
        rows(
          change('cus_a', 19, 'a@old'),
          change('cus_b', 29, 'b@back'),
          change('cus_c', 39, 'c@in'),
        ),
        { n: 3 },
      );
      expect(late).toEqual({ inserted: 0, updated: 0, deleted: 0, outdated: 3 });
    });
    expect(await emails(test)).toEqual({ cus_a: 'a@new' });
    // ...while the same version, or a newer one, is written.
    await step(async (table, rows) => {
      const newer = await table.applyChanges(
        rows(change('cus_a', 20, 'a@same-second'), change('cus_c', 41, 'c@in')),
        { n: 4 },
      );
      expect(newer).toEqual({ inserted: 1, updated: 1, deleted: 0 });
    });
    expect(await emails(test)).toEqual({ cus_a: 'a@same-second', cus_c: 'c@in' });
    await step(async (table) => {
      // Versions older than a point no later write can precede are forgotten.
      await table.applyChanges([], { n: 5 }, delivered([], 35));
      expect(await table.heldVersions(['cus_a', 'cus_b', 'cus_c'])).toEqual(
        new Map([
          ['cus_a', 20],
          ['cus_c', 41],
        ]),
      );
      // Rebuilding forgets them all.
      await table.rebuild();
      await table.prepare();
      expect(await table.heldVersions(['cus_a', 'cus_b', 'cus_c'])).toEqual(new Map());
    });
  });

  async function emails(test: TestWarehouse) {
    return Object.fromEntries(
      [...(await test.rows('customers'))!.values()].map((row) => [row.id, row.email]),
    );
  }
});

describe('PostgreSQL: one run of a pipeline at a time across processes', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await BACKENDS.find((candidate) => candidate.name === 'PostgreSQL')!.start();
  });
  afterAll(() => backend?.stop());

  it('lets one process at a time run a pipeline against one database', async () => {
    const test = await backend.create();
    const first = await Warehouse.open(parseDestination(test.url));
    const second = await Warehouse.open(parseDestination(test.url));
    try {
      const held = await first.openTable(layout, false);
      expect(held).toBeDefined();
      expect(await second.openTable(layout, false)).toBeUndefined();
      await held!.close();
      const next = await second.openTable(layout, false);
      expect(next).toBeDefined();
      await next!.close();
    } finally {
      await first.close();
      await second.close();
    }
  });
});
