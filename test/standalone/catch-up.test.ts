/**
 * The standalone tool reads the changes made while a full import ran right after it (the
 * engine's catch-up), so the table ends the sync equal to Stripe, and the summary says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../connector';
import { parseDestination } from '../../standalone/destination';
import { runSync } from '../../standalone/sync/run';
import { Warehouse } from '../../standalone/warehouse';
import { BusyStripe } from '../support/busy-stripe';
import { BACKENDS, type Backend } from './support/standalone';

const duckdb = BACKENDS.find((backend) => backend.name === 'DuckDB')!;

describe('a sync whose full import ran while a customer changed', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await duckdb.start();
  });
  afterAll(() => backend?.stop());

  it('ends with the change in the table, and says it read it from the event log', async () => {
    const test = await backend.create();
    const warehouse = await Warehouse.open(parseDestination(test.url));
    const report = await runSync({
      config: parseConfig({ api_key: 'sk_test_catch_up', concurrency: 1 }),
      warehouse,
      pipelines: ['customers'],
      softDelete: false,
      trigger: 'sync',
      stopRequested: () => false,
      stripe: new BusyStripe(),
    }).finally(() => warehouse.close());
    const [pipeline] = report.pipelines;
    expect(pipeline).toMatchObject({ status: 'succeeded', mode: 'full_import', inserted: 250 });
    expect(pipeline?.updated).toBe(1);
    expect(pipeline?.notes).toContain(
      'then read 1 change(s) made in Stripe while the import ran, from the event log.',
    );
    const rows = await test.rows('customers');
    expect(rows?.size).toBe(250);
    expect(rows?.get('cus_0249')?.name).toBe('during');
  });
});
