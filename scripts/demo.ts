/**
 * `npm start`: the product's main job on its embedded default. Starts the Stripe API emulator
 * with sample customers, runs `sync` of two pipelines into a DuckDB file, changes a few customers
 * through the official Stripe SDK, runs `sync` again (incremental: only the changes), and prints
 * rows queried back from the warehouse with SQL.
 *
 * With STRIPE_API_KEY set, it syncs your own Stripe account instead (read-only: nothing is
 * changed there) into ./stripe_customers.duckdb, so running it again is incremental.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Stripe from 'stripe';
import { startEmulator, type RunningEmulator } from '../test/emulator';

const ROOT = join(__dirname, '..');
const CUSTOMERS = Number(process.env.DEMO_CUSTOMERS ?? 2_500);

const PIPELINES = [
  { name: 'customers', description: 'Every customer, as Stripe returns it' },
  {
    name: 'pro_customers',
    description: 'Customers on the pro plan, in our own Customer Model',
    filter: {
      logical: 'all',
      conditions: [{ property: 'metadata.plan', operator: 'is', values: ['pro'] }],
    },
    transformation: {
      type: 'mapping',
      mappings: [
        { to: 'email', from: 'lower(trim(email))' },
        { to: 'name', from: 'name' },
        { to: 'country', from: '$.address.country' },
        { to: 'plan', from: 'metadata.plan' },
        { to: 'signed_up', from: 'created' },
      ],
    },
  },
];

const CUSTOMER_MODEL = [
  { name: 'email', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'plan', type: 'string' },
  { name: 'signed_up', type: 'datetime' },
];

async function main(): Promise<void> {
  const ownAccount = process.env.STRIPE_API_KEY;
  if (ownAccount) return syncOwnAccount();
  const emulator = await startEmulator({ customers: CUSTOMERS, seed: 42 });
  emulator.advanceClock(3_600);
  const dir = mkdtempSync(join(tmpdir(), 'stripe-customers-demo-'));
  const warehouse = join(dir, 'stripe_customers.duckdb');
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify(
      {
        api_key: 'sk_test_emulator',
        api_base_url: emulator.url,
        requests_per_second: 100,
        customer_model: CUSTOMER_MODEL,
        pipelines: PIPELINES,
      },
      null,
      2,
    ),
  );
  try {
    heading(
      `Stripe API emulator on ${emulator.url} with ${CUSTOMERS.toLocaleString('en')} sample customers`,
    );
    heading(`sync #1: the first (full) import into ${warehouse}`);
    await sync(['--config', config, '--destination', `duckdb:${warehouse}`]);

    const changed = await changeSomeCustomers(emulator);
    heading('sync #2: incremental, only what changed since sync #1');
    await sync(['--config', config, '--destination', `duckdb:${warehouse}`]);

    await showRows(warehouse, changed);
    console.log(`\nConfig and warehouse: ${dir}`);
  } finally {
    await emulator.close();
  }
}

/** Your own account: read-only, into ./stripe_customers.duckdb (run again: incremental). */
async function syncOwnAccount(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stripe-customers-demo-'));
  const config = join(dir, 'config.json');
  // No api_key in the file: `sync` takes it from STRIPE_API_KEY, so it is never written to disk.
  writeFileSync(
    config,
    JSON.stringify({ customer_model: CUSTOMER_MODEL, pipelines: PIPELINES }, null, 2),
  );
  const warehouse = join(process.cwd(), 'stripe_customers.duckdb');
  heading(
    `Syncing your Stripe account (STRIPE_API_KEY) into ${relative(process.cwd(), warehouse)}`,
  );
  await sync(['--config', config, '--destination', `duckdb:${warehouse}`]);
  await showRows(warehouse, []);
}

/** A few changes through the official SDK, as an application using Stripe would make them. */
async function changeSomeCustomers(emulator: RunningEmulator): Promise<string[]> {
  const stripe = new Stripe('sk_test_emulator', {
    host: '127.0.0.1',
    port: emulator.port,
    protocol: 'http',
    telemetry: false,
  });
  const newest = (await stripe.customers.list({ limit: 20 })).data;
  const [renamed, removed] = newest;
  const promoted = newest.slice(2).find((customer) => customer.metadata.plan !== 'pro');
  const created = await stripe.customers.create({
    email: 'Ada.Lovelace@Example.com',
    name: 'Ada Lovelace',
    address: { country: 'GB' },
    metadata: { plan: 'pro' },
  });
  await stripe.customers.update(renamed!.id, { email: 'renamed@example.com' });
  await stripe.customers.update(promoted!.id, { metadata: { plan: 'pro' } });
  await stripe.customers.del(removed!.id);
  // The connector leaves the newest seconds of events for the next run: let them settle.
  emulator.advanceClock(60);
  heading(
    `Changed through the Stripe SDK: created ${created.id} (pro), renamed ${renamed!.id}, moved ${promoted!.id} to pro, deleted ${removed!.id}`,
  );
  return [created.id, renamed!.id, promoted!.id, removed!.id];
}

/** Rows queried back from the warehouse with SQL, as an analyst would. */
async function showRows(path: string, changed: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  const show = async (sql: string) => {
    console.log(`\nduckdb> ${sql}`);
    const reader = await connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader
      .getRowsJson()
      .map((row) => row.map((value) => (value === null ? '' : String(value))));
    const widths = columns.map((name, index) =>
      Math.min(40, Math.max(name.length, ...rows.map((row) => row[index]!.length))),
    );
    const line = (cells: string[]) =>
      cells.map((cell, index) => cell.slice(0, 40).padEnd(widths[index]!)).join('  ');
    console.log(line(columns));
    for (const row of rows) console.log(line(row));
  };
  try {
    await show(
      "SELECT 'customers' AS table_name, count(*) AS customers FROM customers UNION ALL SELECT 'pro_customers', count(*) FROM pro_customers",
    );
    await show(
      'SELECT email, name, country, plan, signed_up FROM pro_customers ORDER BY signed_up DESC LIMIT 5',
    );
    if (changed.length > 0) {
      const ids = changed.map((id) => `'${id}'`).join(', ');
      await show(
        `SELECT c.id, c.email, c.metadata->>'plan' AS plan, p._stripe_id IS NOT NULL AS in_pro_customers FROM customers c LEFT JOIN pro_customers p ON p._stripe_id = c.id WHERE c.id IN (${ids}) ORDER BY c.id`,
      );
      const deleted = changed.at(-1);
      await show(
        `SELECT (SELECT count(*) FROM customers WHERE id = '${deleted}') + (SELECT count(*) FROM pro_customers WHERE _stripe_id = '${deleted}') AS rows_of_the_deleted_customer`,
      );
    }
    await show(
      'SELECT pipeline, status, mode, written, deleted, filtered_out, round(epoch(finished_at) - epoch(started_at), 1) AS seconds FROM _stripe_sync_runs ORDER BY started_at',
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** `source-stripe-customers sync`, exactly as a user runs it (from the TypeScript sources). */
function sync(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'sync', ...args],
      { cwd: ROOT, stdio: 'inherit' },
    );
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`sync exited with status ${code}`)),
    );
  });
}

function heading(text: string): void {
  console.log(`\n== ${text}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
