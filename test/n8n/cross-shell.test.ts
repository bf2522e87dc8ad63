/**
 * The same pipeline through both shells, so they cannot drift apart again: the n8n node's
 * parameters are turned into the engine's config by the node's own code (configFromParameters),
 * that config is read by the Airbyte CLI as a subprocess (`read`, as the platform runs it), and
 * the same parameters run in the n8n node through n8n's execution code. A full import, then
 * creates, updates, a deletion and a customer leaving the filter, then the changes: both shells
 * must emit the same customers with the same field values, and the same deletions at the same
 * times, each with its own bookkeeping fields.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { configFromParameters } from '../../n8n-node/shared/config-from-parameters';
import { startEmulator, type RunningEmulator } from '../emulator';
import { readCli, records, stateFileFrom, type Message } from '../support/connector';
import { sdkFor, settle, TEST_KEY } from '../support/stripe';
import { loadPackage, type LoadedPackage } from './support/n8n';

let pkg: LoadedPackage;
let emulator: RunningEmulator;
let stripe: Stripe;

/** What each shell adds for its own consumers: Airbyte's dedupe/delete fields, n8n's change. */
const AIRBYTE_BOOKKEEPING = [
  'updated',
  'is_deleted',
  '_stripe_updated',
  '_stripe_is_deleted',
  '_ab_cdc_deleted_at',
];
const N8N_BOOKKEEPING = [
  '_stripe_change',
  '_stripe_event',
  '_stripe_changed_at',
  '_stripe_deleted',
];

type Row = Record<string, unknown>;

const without = (row: Row, fields: string[]): Row =>
  Object.fromEntries(Object.entries(row).filter(([key]) => !fields.includes(key)));

const idOf = (row: Row) => String(row._stripe_id ?? row.id);

/** Each shell's records keyed by customer, its bookkeeping set aside. */
function byCustomer(rows: Row[], bookkeeping: string[]): Map<string, Row> {
  return new Map(rows.map((row) => [idOf(row), without(row, bookkeeping)]));
}

/** Airbyte's bookkeeping in n8n's terms: deleted or not, and when (for changes). */
function airbyteChange(row: Row): { deleted: boolean; at: string } {
  const deleted = (row._stripe_is_deleted ?? row.is_deleted) === true;
  const seconds = Number(row._stripe_updated ?? row.updated);
  return { deleted, at: new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') };
}

const n8nChange = (row: Row) => ({
  deleted: row._stripe_deleted === true,
  at: String(row._stripe_changed_at),
});

/** One pipeline, run by both shells: a full import first, then the changes. */
class BothShells {
  private cliState: unknown;
  private n8nStatic: IDataObject = {};
  readonly config: IDataObject;

  constructor(private readonly parameters: INodeParameters) {
    const get = (name: string, fallback: unknown) => parameters[name] ?? fallback;
    this.config = configFromParameters(
      { get, written: parameters },
      { apiKey: TEST_KEY, apiBaseUrl: emulator.url },
      { incremental: true, timezone: 'UTC' },
    ).json;
  }

  async run(): Promise<{ cli: Row[]; n8n: Row[] }> {
    const cli = await readCli(this.config, {
      syncMode: 'incremental',
      ...(this.cliState !== undefined ? { state: this.cliState } : {}),
    });
    expect(cli.exitCode, cli.stderr).toBe(0);
    this.cliState = stateFileFrom(cli.messages as Message[]);
    const n8n = await pkg.runAction({
      parameters: { ...this.parameters, onlyChanged: true },
      staticData: this.n8nStatic,
    });
    expect(n8n.error).toBeUndefined();
    this.n8nStatic = n8n.staticData;
    return { cli: records(cli.messages as Message[]) as Row[], n8n: n8n.items as Row[] };
  }
}

/** Both shells emitted the same customers with the same values; returns their ids. */
function expectSameCustomers(result: { cli: Row[]; n8n: Row[] }): string[] {
  const cli = byCustomer(result.cli, AIRBYTE_BOOKKEEPING);
  const n8n = byCustomer(result.n8n, N8N_BOOKKEEPING);
  expect(result.cli).toHaveLength(cli.size);
  expect(result.n8n).toHaveLength(n8n.size);
  expect([...n8n.keys()].sort()).toEqual([...cli.keys()].sort());
  const deletions = new Set(result.cli.filter((row) => airbyteChange(row).deleted).map(idOf));
  for (const [id, row] of cli) {
    if (deletions.has(id)) {
      // A deletion is the customer's id in both; n8n adds the other items' columns as null so
      // its Table view shows every row alike, and leaves Stripe's `deleted` to _stripe_deleted.
      const own = without(n8n.get(id) ?? {}, ['object']);
      const values = Object.entries(own).filter(([key]) => key !== 'id' && key !== '_stripe_id');
      expect(
        values.every(([, value]) => value === null),
        id,
      ).toBe(true);
      expect(idOf(own)).toBe(id);
      continue;
    }
    expect(n8n.get(id), id).toEqual(row);
  }
  // Neither shell's bookkeeping leaks into the other's records.
  for (const row of result.n8n)
    for (const field of AIRBYTE_BOOKKEEPING) expect(row).not.toHaveProperty(field);
  for (const row of result.cli)
    for (const field of N8N_BOOKKEEPING) expect(row).not.toHaveProperty(field);
  return [...cli.keys()].sort();
}

beforeAll(async () => {
  [pkg, emulator] = await Promise.all([loadPackage(), startEmulator({ customers: 180, seed: 21 })]);
  stripe = sdkFor(emulator);
  await pkg.setCredential({ apiKey: TEST_KEY, apiBaseUrl: emulator.url });
});

afterAll(async () => {
  await emulator?.close();
  pkg?.remove();
});

const goldOnly = {
  filterMode: 'conditions',
  filterConditions: {
    condition: [
      { property: 'metadata.<key>', key: 'tier', operator: 'is', value: 'gold' },
      { property: 'email', operator: 'is_not_empty' },
    ],
  },
};

const cases: Array<[string, INodeParameters]> = [
  ['Stripe customer objects, filtered by conditions', { ...goldOnly }],
  [
    'Mapped Fields into a typed Customer Model',
    {
      ...goldOnly,
      transformation: 'mapping',
      customerModel: {
        field: [
          { name: 'email', type: 'string', from: 'lower(trim(email))' },
          { name: 'name', type: 'string', from: 'coalesce(name, email)' },
          { name: 'country', type: 'string', from: 'address.country' },
          { name: 'tier', type: 'string', from: 'upper(metadata.tier)' },
          { name: 'balance', type: 'decimal', precision: 12, scale: 2, from: 'balance' },
          { name: 'signed_up', type: 'datetime', from: 'created' },
        ],
      },
    },
  ],
  [
    'a JavaScript transformation with a JSON Customer Model',
    {
      ...goldOnly,
      transformation: 'javascript',
      modelMode: 'json',
      customerModelJson: JSON.stringify([
        { name: 'email', type: 'string' },
        { name: 'domain', type: 'string' },
        { name: 'locales', type: 'array', items: { type: 'string' } },
      ]),
      javascriptCode:
        "function transform(c) { return { email: c.email, domain: c.email.split('@')[1], locales: c.preferred_locales }; }",
    },
  ],
];

describe('the Airbyte CLI and the n8n node, one config', () => {
  it.each(cases)('emit the same records: %s', async (_, parameters) => {
    // Customers of the pipeline, made long enough ago that only the test's changes are recent.
    const tag = Math.random().toString(36).slice(2, 8);
    const gold = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        stripe.customers.create({
          email: `Gold${n}.${tag}@Example.com`,
          ...(n === 1 ? {} : { name: `Gold ${n}` }),
          metadata: { tier: 'gold' },
          address: { country: n % 2 ? 'FR' : 'DE' },
          preferred_locales: ['fr-FR'],
        }),
      ),
    );
    await stripe.customers.create({
      email: `silver.${tag}@example.com`,
      metadata: { tier: 'silver' },
    });
    emulator.advanceClock(3_600);

    const shells = new BothShells(parameters);
    const first = await shells.run();
    const imported = expectSameCustomers(first);
    expect(imported).toEqual(expect.arrayContaining(gold.map((customer) => customer.id)));
    expect(first.n8n.every((row) => row._stripe_change === 'listed')).toBe(true);

    const [updated, deleted, leaving, untouched] = gold;
    const created = await stripe.customers.create({
      email: `new.${tag}@example.com`,
      metadata: { tier: 'gold' },
    });
    await stripe.customers.update(updated!.id, { name: 'Renamed', address: { country: 'ES' } });
    await stripe.customers.del(deleted!.id);
    await stripe.customers.update(leaving!.id, { metadata: { tier: 'silver' } });
    await stripe.customers.update(untouched!.id, { metadata: { note: 'not gold-relevant' } });
    settle(emulator);

    const second = await shells.run();
    const changed = expectSameCustomers(second);
    expect(changed).toEqual(
      [created.id, updated!.id, deleted!.id, leaving!.id, untouched!.id].sort(),
    );
    const cli = new Map(second.cli.map((row) => [idOf(row), airbyteChange(row)]));
    for (const row of second.n8n) {
      expect(n8nChange(row), idOf(row)).toEqual(cli.get(idOf(row)));
    }
    const kinds = Object.fromEntries(
      second.n8n.map((row) => [idOf(row), [row._stripe_change, row._stripe_event]]),
    );
    expect(kinds).toEqual({
      [created.id]: ['created', 'customer.created'],
      [updated!.id]: ['updated', 'customer.updated'],
      [deleted!.id]: ['deleted', 'customer.deleted'],
      [leaving!.id]: ['deleted', 'customer.updated'],
      [untouched!.id]: ['updated', 'customer.updated'],
    });

    settle(emulator);
    const third = await shells.run();
    expect(expectSameCustomers(third)).toEqual([]);
  });
});
