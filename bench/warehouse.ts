/**
 * How fast the standalone tool writes into its warehouses: rows/s into DuckDB and PostgreSQL
 * through the same writer `sync` uses (records in pages of 100, each page a checkpoint, as the
 * engine yields them), and the peak memory of the process doing it. Each measure runs in a
 * process of its own, so its peak RSS is its own; PostgreSQL is a private server with durable
 * settings (fsync on). The warehouse must never be the bottleneck: the target is 3x Stripe's
 * 2,500 customers/s (live mode's ceiling is 10,000/s). Prints figures; asserts nothing.
 *
 *   npx tsx bench/warehouse.ts      (BENCH_WAREHOUSE_ROWS=200000, BENCH_WAREHOUSE_CHANGES=20000)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeStreams,
  parseConfig,
  type EmittedRecord,
  type PipelineSummary,
} from '../connector';
import { parseDestination } from '../standalone/destination';
import { PipelineWriter } from '../standalone/sync/pipeline-writer';
import { rowEncoder, tableLayout, Warehouse } from '../standalone/warehouse';
import { startPostgres } from '../test/standalone/support/postgres-cluster';

const ROWS = Number(process.env.BENCH_WAREHOUSE_ROWS ?? 200_000);
const CHANGES = Math.min(ROWS, Number(process.env.BENCH_WAREHOUSE_CHANGES ?? 20_000));
const PAGE = 100;
const STRIPE_CEILING = 2_500;

interface Measure {
  fullImportRowsPerSecond: number;
  incrementalRowsPerSecond: number;
  maxRssMb: number;
}

/** Rows for `bench/run.ts`'s table: one line per measure. */
export async function benchWarehouse(rows = ROWS): Promise<Array<[string, string]>> {
  const results: Array<[string, string]> = [];
  const dir = mkdtempSync(join(tmpdir(), 'stripe-sync-bench-'));
  const postgres = await startPostgres({ durable: true });
  try {
    const targets: Array<[string, string]> = [
      ['DuckDB', `duckdb:${join(dir, 'bench.duckdb')}`],
      ['PostgreSQL', await postgres.createDatabase()],
    ];
    for (const [label, destination] of targets) {
      const measure = await inChild(destination, rows);
      const ratio = (rate: number) => `${(rate / STRIPE_CEILING).toFixed(1)}x the 2,500/s ceiling`;
      results.push([
        `warehouse ${label}: full import`,
        `${fmt(measure.fullImportRowsPerSecond)} rows/s (${ratio(measure.fullImportRowsPerSecond)}), ${fmt(rows)} rows`,
      ]);
      results.push([
        `warehouse ${label}: incremental upserts`,
        `${fmt(measure.incrementalRowsPerSecond)} rows/s (${ratio(measure.incrementalRowsPerSecond)}), ${fmt(CHANGES)} changes`,
      ]);
      results.push([`warehouse ${label}: peak RSS`, `${measure.maxRssMb.toFixed(0)} MB`]);
    }
  } finally {
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function inChild(destination: string, rows: number): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', __filename, '--child', destination, String(rows)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((text) => text.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`the warehouse bench exited ${code}: ${out}`));
      else resolve(JSON.parse(line) as Measure);
    });
  });
}

/** In the child: one full import of `rows` customers, then CHANGES incremental updates. */
async function measureWriter(destinationUrl: string, rows: number): Promise<Measure> {
  const config = parseConfig({ api_key: 'sk_test_bench' });
  const [stream] = describeStreams(config);
  if (!stream) throw new Error('no stream');
  const layout = tableLayout(stream);
  const warehouse = await Warehouse.open(parseDestination(destinationUrl));
  const opened = await warehouse.openTable(layout, false);
  if (!opened) throw new Error('table locked');
  try {
    const { table } = opened;
    await table.prepare();
    const encode = rowEncoder(layout, { allowsNul: warehouse.allowsNul });
    const summary: PipelineSummary = {
      mode: 'full_import',
      emitted: rows,
      deletions: 0,
      filteredOut: 0,
      skippedByCode: 0,
      failed: 0,
      malformed: 0,
      settlingEvents: 0,
    };

    let started = performance.now();
    const full = new PipelineWriter(table, encode, 'bench', false);
    full.started('incremental');
    for (let offset = 0; offset < rows; offset += PAGE) {
      await full.records(pageOf(offset, Math.min(PAGE, rows - offset), 'listed', 0));
      await full.checkpoint({ page: offset }, false);
    }
    await full.finished(summary);
    const fullSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    const incremental = new PipelineWriter(table, encode, 'bench', false);
    incremental.started('incremental');
    for (let offset = 0; offset < CHANGES; offset += PAGE) {
      await incremental.records(pageOf((offset * 7) % rows, PAGE, 'updated', 1));
      await incremental.checkpoint({ change: offset }, false);
    }
    await incremental.finished({ ...summary, mode: 'incremental', emitted: CHANGES });
    const incrementalSeconds = (performance.now() - started) / 1000;
    return {
      fullImportRowsPerSecond: rows / fullSeconds,
      incrementalRowsPerSecond: CHANGES / incrementalSeconds,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await opened.close();
    await warehouse.close();
  }
}

/** Customers shaped like Stripe's (about 1.3 KB of JSON each), with the connector's bookkeeping. */
function pageOf(
  first: number,
  count: number,
  change: EmittedRecord['change'],
  version: number,
): EmittedRecord[] {
  const items: EmittedRecord[] = [];
  for (let index = first; index < first + count; index++) {
    const created = 1_700_000_000 + index * 37;
    items.push({
      change,
      record: {
        id: `cus_${index.toString(36).padStart(14, '0')}`,
        object: 'customer',
        address: {
          city: 'Paris',
          country: ['FR', 'DE', 'US', 'GB'][index % 4],
          line1: `${index} rue de la Paix`,
          line2: null,
          postal_code: '75002',
          state: null,
        },
        balance: (index % 50) * 100 - 1000,
        business_name: null,
        cash_balance: null,
        created,
        currency: 'eur',
        customer_account: null,
        default_source: null,
        delinquent: index % 13 === 0,
        description: `Customer number ${index}`,
        discount: null,
        email: `customer${index}@example.com`,
        individual_name: null,
        invoice_credit_balance: {},
        invoice_prefix: `INV${index}`,
        invoice_settings: {
          custom_fields: null,
          default_payment_method: null,
          footer: null,
          rendering_options: null,
        },
        livemode: false,
        metadata: {
          plan: ['free', 'pro', 'team'][index % 3],
          seats: String(index % 40),
          version: String(version),
        },
        name: `Customer ${index}`,
        next_invoice_sequence: 1,
        phone: `+3361234${String(index % 10_000).padStart(4, '0')}`,
        preferred_locales: ['fr', 'en'],
        shipping: null,
        tax_exempt: 'none',
        test_clock: null,
        updated: created + version,
        is_deleted: false,
        _ab_cdc_deleted_at: null,
      },
    });
  }
  return items;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en');
}

if (require.main === module) {
  const [flag, destination, rows] = process.argv.slice(2);
  if (flag === '--child' && destination) {
    measureWriter(destination, Number(rows)).then(
      (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  } else {
    benchWarehouse().then(
      (rows) => {
        const width = Math.max(...rows.map(([label]) => label.length));
        for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
      },
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
