import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStreams, parseConfig, type EmittedRecord } from '../../connector';
import { parseDestination } from '../../standalone/destination';
import { PipelineWriter } from '../../standalone/sync/pipeline-writer';
import { rowEncoder, tableLayout, Warehouse } from '../../standalone/warehouse';
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

  async function open(test: TestWarehouse) {
    const warehouse = await Warehouse.open(parseDestination(test.url));
    const opened = (await warehouse.openTable(layout, false))!;
    await opened.table.prepare();
    const writer = new PipelineWriter(
      opened.table,
      rowEncoder(layout, { allowsNul: warehouse.allowsNul }),
      'fingerprint',
      false,
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
