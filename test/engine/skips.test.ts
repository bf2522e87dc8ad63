/**
 * Customers a pipeline selects but emits no record for, in process against a scripted Stripe:
 * the engine hands them to the shells as `skipped` events (by the transformation, or after an
 * error with `on_error: skip`), each before the checkpoint that covers it, so a shell can keep
 * their earlier rows; with `on_error: fail` the pipeline stops with a data error.
 */
import { describe, expect, it } from 'vitest';
import { DataError, type PipelineState, type SyncEvent } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

/** Returns null for "skip" customers and throws for "bad" ones. */
const CODE = {
  type: 'javascript',
  source: `function transform(c) {
    if (c.metadata.kind === 'skip') return null;
    if (c.metadata.kind === 'bad') throw new Error('bad customer');
    return { email: c.email };
  }`,
};

/** 30 customers: every fifth returns null, every seventh throws. */
function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  stripe.advance(-3_600);
  for (let i = 0; i < 30; i++) {
    const kind = i % 5 === 0 ? 'skip' : i % 7 === 0 ? 'bad' : 'ok';
    stripe.create(
      { id: `cus_${String(i).padStart(3, '0')}`, email: `c${i}@example.com`, metadata: { kind } },
      { silent: true },
    );
    stripe.advance(1);
  }
  stripe.advance(3_600 - 30);
  return stripe;
}

const idsWhere = (stripe: ScriptedStripe, kind: string) =>
  stripe
    .liveCustomers()
    .filter((customer) => (customer.metadata as { kind: string }).kind === kind)
    .map((customer) => String(customer.id))
    .sort();

/** Every skipped customer's id appears in an event before the first checkpoint after it. */
function skippedBeforeCheckpoints(events: SyncEvent[]): boolean {
  let pending = 0;
  for (const event of events) {
    if (event.kind === 'skipped') pending += event.customers.length;
    if (event.kind === 'checkpoint') pending = 0;
  }
  return pending === 0;
}

describe('skipped customers', () => {
  it('are yielded as skipped events, for both causes, instead of a warning per customer', async () => {
    const stripe = account();
    const config = configWith({
      pipelines: [{ name: 'customers', transformation: CODE, on_error: 'skip' }],
    });
    const run = await runEngine(stripe, config, { syncMode: 'full_refresh' });
    expect(run.failure).toBeUndefined();
    const byCause = (cause: string) =>
      run.skipped
        .filter((customer) => customer.cause === cause)
        .map((customer) => customer.id)
        .sort();
    expect(byCause('transformation')).toEqual(idsWhere(stripe, 'skip'));
    expect(byCause('error')).toEqual(idsWhere(stripe, 'bad'));
    for (const customer of run.skipped) {
      if (customer.cause === 'error') {
        expect(customer.reason).toMatch(/^transformation failed: Error: bad customer/);
      } else {
        expect(customer.reason).toBeUndefined();
      }
    }
    expect(run.items).toHaveLength(30 - run.skipped.length);
    expect(run.summary).toMatchObject({
      skippedByCode: idsWhere(stripe, 'skip').length,
      failed: idsWhere(stripe, 'bad').length,
    });
    expect(skippedBeforeCheckpoints(run.events)).toBe(true);
    expect(run.logs.filter((line) => line.includes('skipped customer'))).toEqual([]);
  });

  it('are yielded by incremental runs too, before the checkpoint that covers them', async () => {
    const stripe = account();
    const config = configWith({
      pipelines: [{ name: 'customers', transformation: CODE, on_error: 'skip' }],
    });
    const first = await runEngine(stripe, config);
    const state = first.states.at(-1) as PipelineState;
    stripe.update('cus_001', { metadata: { kind: 'bad' } });
    stripe.update('cus_002', { metadata: { kind: 'skip' } });
    stripe.update('cus_003', { email: 'new@example.com' });
    stripe.advance(60);
    const run = await runEngine(stripe, config, { state });
    expect(run.failure).toBeUndefined();
    expect(run.skipped).toEqual([
      { id: 'cus_001', cause: 'error', reason: expect.stringContaining('bad customer') },
      { id: 'cus_002', cause: 'transformation' },
    ]);
    expect(run.items.map((item) => item.record._stripe_id)).toEqual(['cus_003']);
    expect(skippedBeforeCheckpoints(run.events)).toBe(true);
  });

  it('does not fit the Customer Model: skipped with the reason, or a data error with on_error: fail', async () => {
    const stripe = account();
    const mapping = { type: 'mapping', mappings: [{ to: 'email', from: 'metadata.missing' }] };
    const model = [{ name: 'email', type: 'string', nullable: false }];
    const skipping = await runEngine(
      stripe,
      configWith({
        customer_model: model,
        pipelines: [{ name: 'customers', transformation: mapping, on_error: 'skip' }],
      }),
      { syncMode: 'full_refresh' },
    );
    expect(skipping.skipped).toHaveLength(30);
    expect(skipping.skipped[0]).toEqual({
      id: expect.stringMatching(/^cus_/),
      cause: 'error',
      reason: 'does not fit the Customer Model: email: is not nullable but got null',
    });

    const failing = await runEngine(
      stripe,
      configWith({
        customer_model: model,
        pipelines: [{ name: 'customers', transformation: mapping }],
      }),
      { syncMode: 'full_refresh' },
    );
    expect(failing.failure).toBeInstanceOf(DataError);
    expect(failing.failure?.kind).toBe('data');
    expect(failing.failure?.message).toMatch(
      /^pipelines\[0\] \("customers"\): customer cus_\d+ does not fit the Customer Model: email: is not nullable but got null\. .*`on_error` to "skip"/,
    );
    // Placed at the pipeline, the fix naming its on_error and the value to set, as terms.
    expect(failing.failure?.at).toEqual(['pipelines', 0]);
    expect(failing.failure?.fix).toContainEqual({
      kind: 'value',
      of: ['pipelines', 0, 'on_error'],
      value: 'skip',
    });
  });

  it('a transformation that throws with on_error: fail stops the pipeline with a data error', async () => {
    const stripe = account();
    const run = await runEngine(
      stripe,
      configWith({ pipelines: [{ name: 'customers', transformation: CODE }] }),
      { syncMode: 'full_refresh' },
    );
    expect(run.failure).toBeInstanceOf(DataError);
    expect(run.failure?.message).toMatch(
      /^pipelines\[0\] \("customers"\): customer cus_\d+ transformation failed: Error: bad customer/,
    );
  });
});
