/**
 * What a pipeline's run counts and says, in process against a scripted Stripe: customers emitted,
 * deleted, left out by the filter, skipped by the transformation or after an error, in full
 * imports and incremental runs; the record limit a preview sets; a customer whose transformation
 * fails with `on_error: fail`.
 */
import { describe, expect, it } from 'vitest';
import {
  isoFromSeconds,
  syncPipelines,
  type EmittedRecord,
  type PipelineState,
  type PipelineSummary,
} from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith } from './harness';

interface Outcome {
  items: EmittedRecord[];
  states: PipelineState[];
  logs: string[];
  summary?: PipelineSummary;
  error?: Error;
}

async function run(
  stripe: ScriptedStripe,
  config: ReturnType<typeof configWith>,
  request: {
    state?: PipelineState;
    limit?: number;
    syncMode?: 'incremental' | 'full_refresh';
  } = {},
): Promise<Outcome> {
  const outcome: Outcome = { items: [], states: [], logs: [] };
  for await (const event of syncPipelines(config, {
    stripe,
    pipelines: [{ name: 'customers', syncMode: 'incremental', ...request }],
  })) {
    if (event.kind === 'records') outcome.items.push(...event.items);
    else if (event.kind === 'checkpoint') outcome.states.push(event.state);
    else if (event.kind === 'log') outcome.logs.push(`${event.level} ${event.message}`);
    else if (event.kind === 'pipeline_finished') outcome.summary = event.summary;
    else if (event.kind === 'pipeline_failed') outcome.error = event.error;
  }
  return outcome;
}

/** 12 customers a day ago: plans gold, free and bad in turn. */
function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  const plans = ['gold', 'free', 'bad'];
  for (let i = 0; i < 12; i++) {
    stripe.create(
      {
        id: `cus_${String(i).padStart(3, '0')}`,
        email: `c${i}@x.io`,
        metadata: { plan: plans[i % 3] },
      },
      { silent: true, created: stripe.now - 86_400 + i },
    );
  }
  return stripe;
}

const notFree = {
  logical: 'all',
  conditions: [{ property: 'metadata.plan', operator: 'is_not', values: ['free'] }],
};

/** Returns null for customers 0 and 3 (skipped by the code), throws for the bad plan. */
const code = (onError: 'skip' | 'fail') => ({
  name: 'customers',
  on_error: onError,
  transformation: {
    type: 'javascript',
    source: `function transform(c) {
      if (c.id === 'cus_000' || c.id === 'cus_003') return null;
      if (c.metadata.plan === 'bad') throw new Error('no bad plans');
      return { email: c.email };
    }`,
  },
});

describe('a full import', () => {
  it('counts what it emitted and what the filter left out, and says so', async () => {
    const stripe = account();
    const outcome = await run(
      stripe,
      configWith({ pipelines: [{ name: 'customers', filter: notFree }] }),
    );
    expect(outcome.summary).toEqual({
      mode: 'full_import',
      emitted: 8,
      deletions: 0,
      filteredOut: 4,
      skippedByCode: 0,
      failed: 0,
      malformed: 0,
      settlingEvents: 0,
    });
    expect(outcome.logs.join('\n')).toMatch(
      /full import done: 8 record\(s\) emitted, 4 customer\(s\) left out by the filter\./,
    );
  });

  it('counts customers the transformation skipped, and those it failed on with on_error: skip', async () => {
    const stripe = account();
    const outcome = await run(stripe, configWith({ pipelines: [code('skip')] }));
    expect(outcome.error).toBeUndefined();
    // 12 customers: 2 returned null, 4 have the bad plan (cus_002, 005, 008, 011), 6 emitted.
    expect(outcome.summary).toMatchObject({
      emitted: 6,
      skippedByCode: 2,
      failed: 4,
      filteredOut: 0,
    });
    expect(outcome.items.map((item) => item.record._stripe_id)).toEqual(
      ['cus_001', 'cus_004', 'cus_006', 'cus_007', 'cus_009', 'cus_010'].reverse(),
    );
    expect(outcome.logs.join('\n')).toMatch(
      /6 record\(s\) emitted, 2 skipped by the transformation, 4 skipped after errors \(on_error: skip\)/,
    );
  });

  it('stops at a customer the transformation fails on with on_error: fail, naming it', async () => {
    const stripe = account();
    const outcome = await run(stripe, configWith({ pipelines: [code('fail')] }));
    expect(outcome.summary).toBeUndefined();
    expect(outcome.error?.message).toMatch(
      /customer cus_011 transformation failed: .*no bad plans/,
    );
    expect(outcome.error?.message).toMatch(/`on_error` to "skip"/);
  });

  it('skips, or stops at, a record that does not fit the Customer Model', async () => {
    const modelled = (onError: 'skip' | 'fail') =>
      configWith({
        customer_model: [{ name: 'email', type: 'string', nullable: false }],
        pipelines: [
          {
            name: 'customers',
            on_error: onError,
            transformation: { type: 'mapping', mappings: [{ to: 'email', from: 'name' }] },
          },
        ],
      });
    const stripe = account();
    stripe.update('cus_004', { name: 'Named' });
    const skipped = await run(stripe, modelled('skip'));
    expect(skipped.summary).toMatchObject({ emitted: 1, failed: 11, skippedByCode: 0 });
    expect(skipped.items.map((item) => item.record)).toMatchObject([
      { email: 'Named', _stripe_id: 'cus_004' },
    ]);
    const failed = await run(stripe, modelled('fail'));
    expect(failed.error?.message).toMatch(
      /pipelines\[0\] \("customers"\): customer cus_011 does not fit the Customer Model: email/,
    );
  });

  it('stops at a record limit reached exactly by a page, and counts objects too damaged to key', async () => {
    class DamagingStripe extends ScriptedStripe {
      override async listCustomers(params: Parameters<ScriptedStripe['listCustomers']>[0]) {
        const page = await super.listCustomers(params);
        return { ...page, items: [...page.items, { id: 7 } as never, null as never] };
      }
    }
    const stripe = new DamagingStripe();
    for (let i = 0; i < 250; i++) {
      stripe.create(
        { id: `cus_${String(i).padStart(3, '0')}` },
        { silent: true, created: stripe.now - 86_400 + i },
      );
    }
    const outcome = await run(stripe, configWith({ concurrency: 1 }), { limit: 100 });
    expect(outcome.items).toHaveLength(100);
    expect(outcome.summary).toMatchObject({ emitted: 100, malformed: 2 });
  });

  it('stops after the record limit, with its checkpoint not past them', async () => {
    const stripe = new ScriptedStripe();
    for (let i = 0; i < 250; i++) {
      stripe.create(
        { id: `cus_${String(i).padStart(3, '0')}` },
        { silent: true, created: stripe.now - 86_400 + i },
      );
    }
    const outcome = await run(stripe, configWith({ concurrency: 1 }), { limit: 150 });
    // Whole pages: the limit is reached on the second page of 100.
    expect(outcome.items).toHaveLength(200);
    expect(outcome.states).toHaveLength(1);
    expect(outcome.states[0]).toMatchObject({ phase: 'full_import' });
  });
});

describe('an incremental run', () => {
  it('counts deletions (deleted in Stripe, or leaving the filter) and customers never selected', async () => {
    const stripe = account();
    const config = configWith({ pipelines: [{ name: 'customers', filter: notFree }] });
    const first = await run(stripe, config);
    stripe.update('cus_000', { metadata: { plan: 'free' } }); // leaves the filter
    stripe.delete('cus_002'); // deleted
    stripe.update('cus_001', { name: 'still free' }); // never selected
    stripe.update('cus_003', { name: 'changed' }); // changed, still selected
    stripe.advance(30);
    const second = await run(stripe, config, { state: first.states.at(-1) });
    expect(second.summary).toMatchObject({
      mode: 'incremental',
      emitted: 3,
      deletions: 2,
      filteredOut: 1,
    });
    expect(second.items.map((item) => [item.record.id, item.change]).sort()).toEqual([
      ['cus_000', 'deleted'],
      ['cus_002', 'deleted'],
      ['cus_003', 'updated'],
    ]);
    expect(second.logs.join('\n')).toMatch(
      /changes read: 3 record\(s\) emitted, 2 of them deletions, 1 customer\(s\) left out by the filter\./,
    );
    // A deletion is a tombstone versioned at the customer's latest event.
    const deletedAt = stripe.now - 30;
    expect(second.items.find((item) => item.record.id === 'cus_002')?.record).toEqual({
      object: 'customer',
      deleted: true,
      id: 'cus_002',
      updated: deletedAt,
      is_deleted: true,
      _ab_cdc_deleted_at: isoFromSeconds(deletedAt),
    });
    expect(second.items.find((item) => item.record.id === 'cus_003')?.record).toMatchObject({
      id: 'cus_003',
      name: 'changed',
      updated: deletedAt,
      is_deleted: false,
      _ab_cdc_deleted_at: null,
    });
  });

  it('writes a mapped deletion with the bookkeeping fields only', async () => {
    const stripe = account();
    const config = configWith({ pipelines: [code('skip')] });
    const first = await run(stripe, config);
    stripe.delete('cus_001');
    stripe.advance(30);
    const second = await run(stripe, config, { state: first.states.at(-1) });
    expect(second.items.map((item) => item.record)).toEqual([
      {
        _stripe_id: 'cus_001',
        _stripe_updated: stripe.now - 30,
        _stripe_is_deleted: true,
        _ab_cdc_deleted_at: isoFromSeconds(stripe.now - 30),
      },
    ]);
    expect(first.items.find((item) => item.record._stripe_id === 'cus_001')?.record).toEqual({
      email: 'c1@x.io',
      _stripe_id: 'cus_001',
      _stripe_updated: (first.states.at(-1) as PipelineState).events_cursor,
      _stripe_is_deleted: false,
      _ab_cdc_deleted_at: null,
    });
  });

  it('counts malformed events and damaged retrieves, and stops at a limit reached exactly by a batch', async () => {
    const stripe = new ScriptedStripe();
    for (let i = 0; i < 150; i++) {
      stripe.create(
        { id: `cus_${String(i).padStart(3, '0')}` },
        { silent: true, created: stripe.now - 86_400 + i },
      );
    }
    const first = await run(stripe, configWith());
    for (let i = 0; i < 150; i++) {
      stripe.update(`cus_${String(i).padStart(3, '0')}`, { name: `n${i}` });
      stripe.advance(1);
    }
    stripe.addEvent({ id: 'evt_bad', type: 'customer.updated', created: stripe.now, object: {} });
    stripe.update('cus_000', { name: 'old' }, { event: { apiVersion: 'old' } });
    stripe.damageRetrieves('cus_000', 2);
    stripe.advance(30);
    const all = await run(stripe, configWith(), { state: first.states.at(-1) });
    expect(all.summary).toMatchObject({ emitted: 149, malformed: 2 });
    const limited = await run(stripe, configWith(), { state: first.states.at(-1), limit: 100 });
    expect(limited.items).toHaveLength(100);
  });

  it('tells customers created since the last run from changed ones', async () => {
    const stripe = account();
    const first = await run(stripe, configWith());
    stripe.create({ id: 'cus_new' });
    stripe.update('cus_001', { name: 'changed' });
    stripe.advance(30);
    const second = await run(stripe, configWith(), { state: first.states.at(-1) });
    expect(second.items.map((item) => [item.record.id, item.change])).toEqual([
      ['cus_001', 'updated'],
      ['cus_new', 'created'],
    ]);
  });

  it('says when its filter has a relative date, which incremental runs cannot follow', async () => {
    const stripe = account();
    const config = configWith({
      pipelines: [
        {
          name: 'customers',
          filter: {
            logical: 'all',
            conditions: [{ property: 'created', operator: 'is_after', values: ['30 days ago'] }],
          },
        },
      ],
    });
    const first = await run(stripe, config);
    stripe.advance(30);
    const second = await run(stripe, config, { state: first.states.at(-1) });
    expect(second.logs.join('\n')).toMatch(/^WARN [^\n]*relative date/m);
    const plain = await run(stripe, configWith(), { state: first.states.at(-1) });
    expect(plain.logs.join('\n')).not.toMatch(/relative date/);
  });
});
