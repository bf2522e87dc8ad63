import { expect } from 'vitest';
import type Stripe from 'stripe';
import type { RunningEmulator } from '../../emulator';
import { configFor, listAllCustomers } from '../../support/stripe';
import type { TestWarehouse } from './standalone';

export const MODEL = [
  { name: 'email', type: 'string' },
  { name: 'plan', type: 'string' },
  { name: 'balance', type: 'decimal', precision: 12, scale: 2 },
  { name: 'signed_up', type: 'datetime' },
  { name: 'metadata', type: 'map', values: { type: 'string' } },
];

/** Customers on the pro plan, mapped to the model: the pipeline customers leave and enter. */
export const PRO_PIPELINE = {
  name: 'pro',
  description: 'Customers on the pro plan',
  filter: {
    logical: 'all',
    conditions: [{ property: 'metadata.plan', operator: 'is', values: ['pro'] }],
  },
  transformation: {
    type: 'mapping',
    mappings: [
      { to: 'email', from: 'lower(email)' },
      { to: 'plan', from: 'metadata.plan' },
      { to: 'balance', from: 'balance' },
      { to: 'signed_up', from: 'created' },
      { to: 'metadata', from: 'metadata' },
    ],
  },
};

/**
 * Three pipelines: every customer as Stripe sends it (incremental), the pro plan mapped to the
 * model (incremental, with filter exits), and every customer again as a full refresh.
 */
export function threePipelineConfig(
  emulator: RunningEmulator,
  extra: Record<string, unknown> = {},
) {
  return configFor(emulator, {
    customer_model: MODEL,
    pipelines: [
      { name: 'customers', description: 'Every customer' },
      PRO_PIPELINE,
      { name: 'snapshot', incremental: false },
    ],
    ...extra,
  });
}

export const isPro = (customer: Stripe.Customer) =>
  (customer.metadata?.plan ?? '').toLowerCase() === 'pro';

/** The pass-through table holds exactly Stripe's live customers, field for field. */
export function expectPassThroughEqual(
  rows: Map<string, Record<string, any>> | undefined,
  truth: Stripe.Customer[],
  table: string,
): void {
  expect(rows, `table ${table} exists`).toBeDefined();
  const live = [...rows!.values()].filter((row) => row.is_deleted !== true);
  expect(live.map((row) => row.id).sort(), `ids in ${table}`).toEqual(
    truth.map((customer) => customer.id).sort(),
  );
  for (const customer of truth) {
    const row = rows!.get(customer.id)!;
    expect(row.email ?? null, `${table} ${customer.id} email`).toBe(customer.email ?? null);
    expect(row.name ?? null, `${table} ${customer.id} name`).toBe(customer.name ?? null);
    expect(row.balance, `${table} ${customer.id} balance`).toBe(customer.balance);
    expect(row.created, `${table} ${customer.id} created`).toBe(customer.created);
    expect(row.metadata, `${table} ${customer.id} metadata`).toEqual(customer.metadata);
    expect(row._ab_cdc_deleted_at ?? null).toBeNull();
  }
}

/** The pro table holds exactly the live pro customers, mapped to the model's types. */
export function expectProEqual(
  rows: Map<string, Record<string, any>> | undefined,
  truth: Stripe.Customer[],
): void {
  expect(rows, 'table pro exists').toBeDefined();
  const pro = truth.filter(isPro);
  const live = [...rows!.values()].filter((row) => row._stripe_is_deleted !== true);
  expect(live.map((row) => row._stripe_id).sort(), 'ids in pro').toEqual(
    pro.map((customer) => customer.id).sort(),
  );
  for (const customer of pro) {
    const row = rows!.get(customer.id)!;
    expect(row.email ?? null, `pro ${customer.id} email`).toBe(
      customer.email?.toLowerCase() ?? null,
    );
    expect(row.plan).toBe(customer.metadata.plan);
    expect(Number(row.balance)).toBe(customer.balance);
    expect(new Date(row.signed_up).getTime()).toBe(customer.created * 1000);
    expect(row.metadata).toEqual(customer.metadata);
  }
}

/** Every table of the three-pipeline config equals Stripe now. */
export async function expectWarehouseEqualsStripe(
  warehouse: TestWarehouse,
  stripe: Stripe,
): Promise<Stripe.Customer[]> {
  const truth = await listAllCustomers(stripe);
  expectPassThroughEqual(await warehouse.rows('customers'), truth, 'customers');
  expectProEqual(await warehouse.rows('pro', '_stripe_id'), truth);
  expectPassThroughEqual(await warehouse.rows('snapshot'), truth, 'snapshot');
  return truth;
}

export function pipelineReport(run: { report: any }, name: string): any {
  const found = run.report?.pipelines?.find((p: any) => p.pipeline === name);
  expect(found, `the summary reports pipeline ${name}`).toBeDefined();
  return found;
}
