/**
 * What a pipeline's run says it does, in process against a scripted Stripe: the lines every shell
 * shows (Airbyte's log, the standalone tool's --verbose, n8n's notices), each starting with the
 * pipeline's name. And which saved states a run trusts: one written under another definition
 * starts a full import; one without a fingerprint (older versions) is trusted.
 */
import { describe, expect, it } from 'vitest';
import { isoFromSeconds as iso, type PipelineState } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

function account(count = 5): ScriptedStripe {
  const stripe = new ScriptedStripe();
  for (let i = 0; i < count; i++) {
    stripe.create({ id: `cus_${i}` }, { silent: true, created: stripe.now - 86_400 + i });
  }
  return stripe;
}

const info = (logs: string[]) => logs.filter((line) => line.startsWith('INFO '));

describe('a run says', () => {
  it('which kind of full import it starts, and what it did', async () => {
    const stripe = account();
    const refresh = await runEngine(stripe, configWith(), { syncMode: 'full_refresh' });
    expect(info(refresh.logs)).toEqual([
      'INFO Pipeline "customers": full refresh: importing every customer.',
      'INFO Pipeline "customers": full import done: 5 record(s) emitted.',
    ]);
    const first = await runEngine(stripe, configWith({ pipelines: [{ name: 'crm' }] }), {
      name: 'crm',
    });
    expect(info(first.logs)).toEqual([
      'INFO Pipeline "crm": no saved state: full import first, then changes from the moment it began.',
      'INFO Pipeline "crm": full import done: 5 record(s) emitted.',
    ]);
  });

  it('which changes it reads, window by window, and what earlier runs processed already', async () => {
    const stripe = account();
    const config = configWith({ events_overlap_seconds: 300, events_settle_seconds: 10 });
    const first = await runEngine(stripe, config);
    const cursor = (first.states.at(-1) as PipelineState).events_cursor;
    stripe.update('cus_1', { name: 'changed' });
    stripe.advance(30);
    const second = await runEngine(stripe, config, { state: first.states.at(-1) });
    const until = stripe.now - 10;
    expect(info(second.logs)).toEqual([
      `INFO Pipeline "customers": reading changes from ${iso(cursor)} to ${iso(until)}.`,
      `INFO Pipeline "customers": 1 customer(s) changed from ${iso(cursor - 300)} to ${iso(until)} (1 page(s) of events).`,
      'INFO Pipeline "customers": changes read: 1 record(s) emitted.',
    ]);
    stripe.advance(30);
    const third = await runEngine(stripe, config, { state: second.states.at(-1) });
    const secondCursor = (second.states.at(-1) as PipelineState).events_cursor;
    expect(info(third.logs)[1]).toBe(
      `INFO Pipeline "customers": 0 customer(s) changed from ${iso(secondCursor - 300)} to ${iso(stripe.now - 10)} (1 page(s) of events; 1 event(s) of the overlap were processed by an earlier run).`,
    );
    // Nothing moved the cursor forward: the state comes back with what was processed.
    expect(third.states).toHaveLength(1);
  });
});

describe('a saved state', () => {
  it('written under another definition starts a full import, with a warning', async () => {
    const stripe = account();
    const first = await runEngine(stripe, configWith());
    const changed = configWith({
      pipelines: [
        {
          name: 'customers',
          filter: { logical: 'all', conditions: [{ property: 'email', operator: 'is_empty' }] },
        },
      ],
    });
    const second = await runEngine(stripe, changed, { state: first.states.at(-1) });
    expect(second.logs.filter((line) => line.startsWith('WARN '))).toHaveLength(1);
    expect(second.logs.join('\n')).toMatch(/changed since the last run/);
    expect(second.items.map((item) => item.change)).toEqual(Array(5).fill('listed'));
    // The same definition: trusted, read incrementally.
    const third = await runEngine(stripe, changed, { state: second.states.at(-1) });
    expect(third.logs.some((line) => /changed since the last run/.test(line))).toBe(false);
    expect(third.items).toEqual([]);
  });

  it('without a fingerprint (written by an older version) is trusted', async () => {
    const stripe = account();
    const first = await runEngine(stripe, configWith());
    const { fingerprint: _dropped, ...old } = first.states.at(-1) as PipelineState;
    stripe.update('cus_2', { name: 'changed' });
    stripe.advance(30);
    const second = await runEngine(stripe, configWith(), { state: old as PipelineState });
    expect(second.logs.some((line) => /changed since the last run/.test(line))).toBe(false);
    expect(second.items.map((item) => [item.record.id, item.change])).toEqual([
      ['cus_2', 'updated'],
    ]);
  });

  it('of a full import under way is resumed even in a full refresh', async () => {
    const stripe = account(250);
    const killed = await runEngine(stripe, configWith({ concurrency: 1 }), {
      syncMode: 'full_refresh',
      stopAfterCheckpoints: 1,
    });
    const state = killed.states.at(-1) as PipelineState;
    expect(state.phase).toBe('full_import');
    const resumed = await runEngine(stripe, configWith({ concurrency: 1 }), {
      syncMode: 'full_refresh',
      state,
    });
    expect(info(resumed.logs)[0]).toBe(
      'INFO Pipeline "customers": resuming the full import (1 created-range slice(s) left).',
    );
    expect(killed.items.length + resumed.items.length).toBe(250);
  });
});
