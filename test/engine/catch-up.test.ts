/**
 * syncPipelines' `catchUp`: after a full import, the changes made in Stripe while it ran follow
 * from the event log, so the destination ends the run equal to Stripe; where it does not apply
 * (off, relative dates, no Events: Read, a limit) nothing follows the import.
 */
import { describe, expect, it } from 'vitest';
import { syncPipelines, type SyncEvent } from '../../connector';
import { MissingPermissionError } from '../../connector/stripe/errors';
import { BusyStripe } from '../support/busy-stripe';
import type { ScriptedStripe } from '../support/scripted-stripe';
import { ByIdDestination, configWith } from './harness';

async function collect(
  stripe: ScriptedStripe,
  options: { catchUp?: boolean; limit?: number; config?: Record<string, unknown> } = {},
): Promise<SyncEvent[]> {
  const events: SyncEvent[] = [];
  const sync = syncPipelines(configWith({ concurrency: 1, ...options.config }), {
    stripe,
    pipelines: [
      {
        name: 'customers',
        syncMode: 'incremental',
        ...(options.limit ? { limit: options.limit } : {}),
      },
    ],
    ...(options.catchUp ? { catchUp: true } : {}),
  });
  for await (const event of sync) events.push(event);
  return events;
}

const kinds = (events: SyncEvent[]) =>
  events.map((event) => event.kind).filter((kind) => kind !== 'log' && kind !== 'records');

describe('catching up after a full import', () => {
  it('reads the changes made while the import ran, after it, and ends equal to Stripe', async () => {
    const stripe = new BusyStripe();
    const events = await collect(stripe, { catchUp: true });
    const finished = events.findIndex((event) => event.kind === 'pipeline_finished');
    const started = events.findIndex((event) => event.kind === 'catch_up_started');
    expect(finished).toBeGreaterThan(0);
    expect(started).toBe(finished + 1);
    const caughtUp = events.find((event) => event.kind === 'catch_up_finished');
    expect(caughtUp).toMatchObject({ pipeline: 'customers', summary: { mode: 'incremental' } });
    // The import listed cus_0249 before it changed; the catch-up brings the change, then a
    // checkpoint that covers it.
    const after = events.slice(started);
    const changed = after.flatMap((event) => (event.kind === 'records' ? event.items : []));
    expect(changed).toEqual([
      expect.objectContaining({
        change: 'updated',
        record: expect.objectContaining({ id: 'cus_0249', name: 'during' }),
      }),
    ]);
    expect(after.some((event) => event.kind === 'checkpoint')).toBe(true);
    const destination = new ByIdDestination();
    for (const event of events) if (event.kind === 'records') destination.apply(event.items);
    expect(destination.rows.get('cus_0249')?.name).toBe('during');
    expect(kinds(events).at(-1)).toBe('sync_finished');
  });

  it('is off unless asked for: the next run reads those changes', async () => {
    const events = await collect(new BusyStripe());
    expect(kinds(events)).not.toContain('catch_up_started');
    const listed = events.flatMap((event) => (event.kind === 'records' ? event.items : []));
    expect(listed.find((item) => item.record.id === 'cus_0249')?.record.name).toBe('before');
  });

  it('does not apply to filters with relative dates, to a limit, or without Events: Read', async () => {
    const relative = await collect(new BusyStripe(), {
      catchUp: true,
      config: {
        pipelines: [
          {
            name: 'customers',
            filter: {
              conditions: [{ property: 'created', operator: 'is_after', values: ['1 year ago'] }],
            },
          },
        ],
      },
    });
    expect(kinds(relative)).not.toContain('catch_up_started');
    const limited = await collect(new BusyStripe(), { catchUp: true, limit: 500 });
    expect(kinds(limited)).not.toContain('catch_up_started');

    const noEvents = new BusyStripe();
    const refuse = () =>
      new MissingPermissionError('events', 'The API key may not read events.', {
        origin: 'stripe',
        httpStatus: 403,
      });
    // Refused by the probe before the import (whose first run needs events) and the catch-up.
    noEvents.failNext('listCustomerEvents', refuse);
    noEvents.failNext('listCustomerEvents', refuse);
    const events: SyncEvent[] = [];
    for await (const event of syncPipelines(configWith({ concurrency: 1 }), {
      stripe: noEvents,
      pipelines: [{ name: 'customers' }],
      whenEventsUnreadable: 'full_refresh',
      catchUp: true,
    })) {
      events.push(event);
    }
    expect(events[0]).toMatchObject({
      kind: 'pipeline_started',
      downgraded: { from: 'incremental' },
    });
    expect(kinds(events)).not.toContain('catch_up_started');
  });

  it('a failure while catching up leaves the import done', async () => {
    const stripe = new BusyStripe();
    let calls = 0;
    const original = stripe.listCustomerEvents.bind(stripe);
    stripe.listCustomerEvents = async (params) => {
      // The import's own reads of events pass; the catch-up's fail.
      if (stripe.calls.some((call) => call.call === 'listCustomers') && ++calls > 1) {
        throw new Error('the event log is down');
      }
      return original(params);
    };
    const events = await collect(stripe, { catchUp: true });
    const failed = events.find((event) => event.kind === 'catch_up_failed');
    expect(failed).toMatchObject({ pipeline: 'customers' });
    expect(kinds(events)).toContain('pipeline_finished');
    expect(kinds(events)).not.toContain('pipeline_failed');
  });
});
