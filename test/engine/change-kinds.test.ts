/**
 * How each change is named from the pipeline's point of view, next to what Stripe's events say
 * happened: a customer that starts matching the filter is new to the pipeline (`created`, though
 * Stripe updated it), one that stops matching must be dropped (`deleted`, though Stripe updated
 * it). A workflow that inserts rows on `created` and updates them on `updated` then never updates
 * a row it did not insert. In process against a scripted Stripe.
 */
import { describe, expect, it } from 'vitest';
import type { EmittedRecord, PipelineState } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const gold = {
  logical: 'all',
  conditions: [{ property: 'metadata.plan', operator: 'is', values: ['gold'] }],
};

const kinds = (items: EmittedRecord[]) =>
  Object.fromEntries(
    items.map((item) => [String(item.record.id), [item.change, item.stripeChange]]),
  );

async function afterFirstImport(stripe: ScriptedStripe) {
  const config = configWith({ pipelines: [{ name: 'customers', filter: gold }] });
  const first = await runEngine(stripe, config);
  expect(first.failure).toBeUndefined();
  return { config, state: first.states.at(-1) as PipelineState };
}

function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  stripe.advance(-3_600);
  stripe.create({ id: 'cus_gold', metadata: { plan: 'gold' } }, { silent: true });
  stripe.create({ id: 'cus_free', metadata: { plan: 'free' } }, { silent: true });
  stripe.create({ id: 'cus_leaving', metadata: { plan: 'gold' } }, { silent: true });
  stripe.create({ id: 'cus_gone', metadata: { plan: 'gold' } }, { silent: true });
  stripe.advance(3_600);
  return stripe;
}

describe('change kinds', () => {
  it('entering the filter is created, leaving it deleted; Stripe’s own kind rides along', async () => {
    const stripe = account();
    const { config, state } = await afterFirstImport(stripe);
    stripe.update('cus_gold', { name: 'Still gold' });
    stripe.update('cus_free', { metadata: { plan: 'gold' } });
    stripe.update('cus_leaving', { metadata: { plan: 'free' } });
    stripe.delete('cus_gone');
    stripe.create({ id: 'cus_new', metadata: { plan: 'gold' } });
    stripe.advance(60);
    const run = await runEngine(stripe, config, { state });
    expect(run.failure).toBeUndefined();
    expect(kinds(run.items)).toEqual({
      cus_gold: ['updated', 'updated'],
      cus_free: ['created', 'updated'],
      cus_leaving: ['deleted', 'updated'],
      cus_gone: ['deleted', 'deleted'],
      cus_new: ['created', 'created'],
    });
  });

  it('judges "before" by the state before the window’s first event, not the last one', async () => {
    const stripe = account();
    const { config, state } = await afterFirstImport(stripe);
    // Entered, then changed again: still new to the pipeline.
    stripe.update('cus_free', { metadata: { plan: 'gold' } });
    stripe.advance(5);
    stripe.update('cus_free', { name: 'Now gold' });
    // Left and came back within the window: the pipeline had it all along.
    stripe.update('cus_leaving', { metadata: { plan: 'free' } });
    stripe.advance(5);
    stripe.update('cus_leaving', { metadata: { plan: 'gold' } });
    stripe.advance(60);
    const run = await runEngine(stripe, config, { state });
    expect(kinds(run.items)).toEqual({
      cus_free: ['created', 'updated'],
      cus_leaving: ['updated', 'updated'],
    });
  });

  it('a payload it cannot judge counts as "may have matched": updated, never a second insert', async () => {
    const stripe = account();
    const { config, state } = await afterFirstImport(stripe);
    // An update rendered in another API version, without the field the filter reads.
    const { metadata: _unreadable, ...old } = stripe.customer('cus_free')!;
    stripe.update(
      'cus_free',
      { metadata: { plan: 'gold' } },
      { event: { apiVersion: '2019-09-09', object: old } },
    );
    stripe.advance(60);
    const run = await runEngine(stripe, config, { state });
    expect(kinds(run.items)).toEqual({ cus_free: ['updated', 'updated'] });
  });
});
