/**
 * The engine states facts in neutral words and marks the lines whose advice is the shell's own
 * (its buttons, its commands) with a topic, in process against a scripted Stripe.
 */
import { describe, expect, it } from 'vitest';
import { syncPipelines, type PipelineState, type SyncEvent } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const EVENT_RETENTION = 30 * 86_400;

function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  stripe.advance(-3_600);
  for (let i = 0; i < 5; i++) stripe.create({ id: `cus_${i}` }, { silent: true });
  stripe.advance(3_600);
  return stripe;
}

const warnings = (events: SyncEvent[]) =>
  events.filter(
    (event): event is Extract<SyncEvent, { kind: 'log' }> =>
      event.kind === 'log' && event.level === 'WARN',
  );

/** No platform's buttons or commands in the engine's words. */
const PLATFORM_WORDS = /Airbyte|n8n|Refresh and remove|--rebuild|discover|Reset this stream/i;

describe('log topics', () => {
  it('definition_changed: a full import after a change of definition, stated neutrally', async () => {
    const stripe = account();
    const first = await runEngine(stripe, configWith());
    const state = { ...(first.states.at(-1) as PipelineState), fingerprint: 'an-older-definition' };
    stripe.advance(60);
    const run = await runEngine(stripe, configWith(), { state });
    const [warning] = warnings(run.events);
    expect(warning).toMatchObject({ pipeline: 'customers', topic: 'definition_changed' });
    expect(warning?.message).toMatch(
      /^Pipeline "customers": its definition .* changed since the last run, so every customer is imported again to match it\. This import does not delete what was imported before for customers the new definition leaves out\.$/,
    );
    expect(warning?.message).not.toMatch(PLATFORM_WORDS);
  });

  it('cursor_expired: a full import after a cursor older than event retention, stated neutrally', async () => {
    const stripe = account();
    const first = await runEngine(stripe, configWith());
    stripe.advance(EVENT_RETENTION + 86_400);
    const run = await runEngine(stripe, configWith(), {
      state: first.states.at(-1) as PipelineState,
    });
    const [warning] = warnings(run.events);
    expect(warning).toMatchObject({ pipeline: 'customers', topic: 'cursor_expired' });
    expect(warning?.message).toMatch(
      /^Pipeline "customers": the saved cursor .* is older than Stripe's 30-day event retention .*running a full import instead\. It cannot see the customers deleted during the gap/,
    );
    expect(warning?.message).not.toMatch(PLATFORM_WORDS);
  });

  it('no other line names a platform: a pipeline not in the config, a state it did not write', async () => {
    const stripe = account();
    const events: SyncEvent[] = [];
    const config = configWith();
    for await (const event of syncPipelines(config, {
      stripe,
      pipelines: [{ name: 'gone' }, { name: 'customers', state: { version: 1, cursor: 'x' } }],
    })) {
      events.push(event);
    }
    const words = events.flatMap((event) =>
      event.kind === 'log'
        ? [event.message]
        : event.kind === 'pipeline_failed'
          ? [event.error.message]
          : [],
    );
    expect(words).toHaveLength(2);
    for (const text of words) expect(text).not.toMatch(PLATFORM_WORDS);
    expect(words[1]).toMatch(
      /^The saved state of pipeline "customers" is not one this connector wrote .* Clear the pipeline's saved state to start again with a full import\.$/,
    );
  });
});
