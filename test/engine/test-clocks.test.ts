/**
 * Customers on a test clock (sandboxes only): Stripe's customers list leaves them out unless asked
 * for their clock, so a full import never imports them, while their events are listed like any
 * other. Incremental runs leave them out too, so both kinds of run agree on what a pipeline holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, syncPipelines, type PipelineState } from '../../connector';
import { startEmulator, type RunningEmulator } from '../emulator';
import { configFor, listAllCustomers, sdkFor } from '../support/stripe';
import { ByIdDestination } from './harness';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ customers: 40, seed: 3 });
});
afterAll(() => emulator?.close());

async function run(state?: PipelineState) {
  const destination: { items: Parameters<ByIdDestination['apply']>[0]; state?: PipelineState } = {
    items: [],
  };
  const config = parseConfig(configFor(emulator));
  for await (const event of syncPipelines(config, {
    pipelines: [{ name: 'customers', syncMode: 'incremental', state }],
  })) {
    if (event.kind === 'records') destination.items.push(...event.items);
    if (event.kind === 'checkpoint') destination.state = event.state;
  }
  return destination;
}

describe('customers on a test clock', () => {
  it('are held the same way by full imports and incremental runs', async () => {
    const stripe = sdkFor(emulator);
    const destination = new ByIdDestination();
    const imported = await run();
    destination.apply(imported.items);
    await stripe.customers.create({ email: 'clocked@example.com', test_clock: 'clock_simulation' });
    emulator.advanceClock(60);
    const changes = await run(imported.state);
    destination.apply(changes.items);
    // What a full import of the account holds now: the list, without the test-clock customer.
    const listed = (await listAllCustomers(stripe)).map((customer) => customer.id).sort();
    expect(destination.ids()).toEqual(listed);
  });
});
