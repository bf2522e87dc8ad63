import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import {
  lastState,
  logs,
  type Message,
  readCli,
  type ReadOptions,
  records,
  stateFileFrom,
  states,
  traceErrors,
} from '../support/connector';
import { configFor, listAllCustomerIds, sdkFor, settle } from '../support/stripe';

const read = (config: object, state?: unknown, options: ReadOptions = {}) =>
  readCli(config, { ...options, state });

describe('incremental read', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 1_200, seed: 21 });
    // Seeded customers are at least an hour old: only the test's own changes are recent.
    emulator.advanceClock(3_600);
  });
  afterAll(() => emulator.close());

  it('emits exactly the created, updated and deleted customers with their latest values', async () => {
    const config = configFor(emulator);
    const first = await read(config);
    expect(first.exitCode).toBe(0);
    expect(records(first.messages)).toHaveLength(1_200);

    const stripe = sdkFor(emulator);
    const existing = await stripe.customers.list({ limit: 3 });
    const [toUpdate, toUpdateTwice, toDelete] = existing.data;
    const created = await Promise.all(
      ['new-1@example.com', 'new-2@example.com'].map((email) =>
        stripe.customers.create({ email, name: 'New' }),
      ),
    );
    await stripe.customers.update(toUpdate!.id, { email: 'changed@example.com' });
    await stripe.customers.update(toUpdateTwice!.id, { metadata: { plan: 'pro' } });
    await stripe.customers.update(toUpdateTwice!.id, { name: 'Twice Changed' });
    await stripe.customers.update(created[0]!.id, { phone: '+33 1 23 45 67 89' });
    await stripe.customers.del(toDelete!.id);
    settle(emulator);

    const second = await read(config, stateFileFrom(first.messages));
    expect(second.exitCode).toBe(0);
    const emitted = records(second.messages);
    const byId = new Map(emitted.map((record) => [record.id, record]));
    expect(emitted).toHaveLength(5);
    expect(byId.size).toBe(5);
    expect(byId.get(toUpdate!.id)).toMatchObject({
      email: 'changed@example.com',
      is_deleted: false,
    });
    expect(byId.get(toUpdateTwice!.id)).toMatchObject({
      name: 'Twice Changed',
      metadata: expect.objectContaining({ plan: 'pro' }),
    });
    expect(byId.get(created[0]!.id)).toMatchObject({
      email: 'new-1@example.com',
      phone: '+33 1 23 45 67 89',
    });
    expect(byId.get(created[1]!.id)).toMatchObject({ email: 'new-2@example.com' });
    const deletion = byId.get(toDelete!.id);
    expect(deletion).toMatchObject({ deleted: true, is_deleted: true });
    expect(Date.parse(deletion?._ab_cdc_deleted_at)).toBeGreaterThan(0);

    // Nothing changed since: the third run emits nothing and reads one page of events.
    settle(emulator);
    emulator.resetStats();
    const third = await read(config, stateFileFrom(second.messages));
    expect(records(third.messages)).toEqual([]);
    expect(emulator.stats().byRoute['GET /v1/events']).toBeLessThanOrEqual(2);
    expect(emulator.stats().byRoute['GET /v1/customers'] ?? 0).toBe(0);
  });

  it('says how many changes are too recent for this read and come with the next one', async () => {
    // Two minutes of settle time: more than this test takes, however busy the machine.
    const config = configFor(emulator, { events_settle_seconds: 120 });
    const first = await read(config);
    emulator.advanceClock(121);
    const stripe = sdkFor(emulator);
    const [customer] = (await stripe.customers.list({ limit: 1 })).data;
    await stripe.customers.update(customer!.id, { name: 'Just Changed' });
    await stripe.customers.update(customer!.id, { name: 'Changed Again' });
    const second = await read(config, stateFileFrom(first.messages));
    expect(records(second.messages)).toEqual([]);
    expect(logs(second.messages)).toContain(
      'INFO Stream "customers": 2 change(s) made in the last 120 s (events_settle_seconds) come with the next read.',
    );
    emulator.advanceClock(121);
    const third = await read(config, stateFileFrom(second.messages));
    expect(records(third.messages).map((record) => record.name)).toEqual(['Changed Again']);
  });

  it('falls back to a full import, saying why, when the cursor is older than event retention', async () => {
    const config = configFor(emulator);
    const first = await read(config);
    const total = records(first.messages).length;
    emulator.advanceClock(31 * 24 * 3_600);
    const second = await read(config, stateFileFrom(first.messages));
    expect(second.exitCode).toBe(0);
    expect(logs(second.messages).join('\n')).toMatch(
      /WARN Pipeline "customers": .*older than Stripe's 30-day event retention.*full import instead.*deleted during the gap.* To drop those rows from the destination, refresh the stream in Airbyte \("Refresh and remove records"\)\.$/m,
    );
    expect(records(second.messages)).toHaveLength(total);
    expect(lastState(second.messages)?.stream.stream_state.phase).toBe('incremental');
  });

  it('handles a state it did not write, or one from the future, as Airbyte expects', async () => {
    const config = configFor(emulator);
    const garbage = [
      {
        type: 'STREAM',
        stream: { stream_descriptor: { name: 'customers' }, stream_state: { cursor: 'yesterday' } },
      },
    ];
    const bad = await read(config, garbage);
    expect(bad.exitCode).not.toBe(0);
    const [error] = traceErrors(bad.messages);
    expect(error?.failure_type).toBe('config_error');
    expect(error?.message).toMatch(
      /^Stream "customers": The saved state of pipeline "customers" is not one this connector wrote \(.*\)\. Clear the pipeline's saved state to start again with a full import\.$/,
    );

    const future = emulator.now() + 365 * 86_400;
    const ahead = await read(config, [
      {
        type: 'STREAM',
        stream: {
          stream_descriptor: { name: 'customers' },
          stream_state: { version: 1, phase: 'incremental', events_cursor: future },
        },
      },
    ]);
    expect(ahead.exitCode).toBe(0);
    expect(records(ahead.messages)).toEqual([]);
    expect(lastState(ahead.messages)?.stream.stream_state.events_cursor).toBe(future);
    expect(logs(ahead.messages).join('\n')).toMatch(/ahead of Stripe's clock/);
  });
});

describe('resuming and concurrency', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 3_000, seed: 5, latencyMs: 5 });
    emulator.advanceClock(3_600);
  });
  afterAll(() => emulator.close());

  const idsOf = (messages: Message[]) => records(messages).map((record) => record.id as string);

  it('a full import killed after a checkpoint and resumed misses no customer', async () => {
    const all = await listAllCustomerIds(sdkFor(emulator));
    const config = configFor(emulator, { concurrency: 4 });
    // Killed at the first checkpoint after 400 records (of 1,200), however the first pages fell.
    const killed = await read(config, undefined, {
      onMessage: (m, seen) => m.type === 'STATE' && idsOf(seen).length >= 400,
    });
    expect(killed.signal).toBe('SIGKILL');
    const checkpoint = stateFileFrom(killed.messages);
    expect(checkpoint[0]?.stream.stream_state.phase).toBe('full_import');
    const resumed = await read(config, checkpoint);
    expect(resumed.exitCode).toBe(0);
    const union = new Set([...idsOf(killed.messages), ...idsOf(resumed.messages)]);
    expect([...union].sort()).toEqual([...all].sort());
    // No repeats: what the checkpoint covers is not read again, not even the customers of the
    // second a slice stopped in (records printed after the checkpoint are).
    const lastCheckpoint = killed.messages.findLastIndex((m) => m.type === 'STATE');
    const covered = new Set(idsOf(killed.messages.slice(0, lastCheckpoint)));
    const repeated = idsOf(resumed.messages).filter((id) => covered.has(id));
    expect(covered.size).toBeGreaterThanOrEqual(400);
    expect(repeated).toEqual([]);
    expect(idsOf(resumed.messages).length).toBeGreaterThan(0);
  });

  it('SIGTERM stops a read right after a checkpoint, and the rerun continues from it', async () => {
    const all = await listAllCustomerIds(sdkFor(emulator));
    const config = configFor(emulator, { concurrency: 2 });
    const stopped = await read(config, undefined, {
      gracefulStop: true,
      onMessage: (m, seen) => m.type === 'STATE' && states(seen).length === 4,
    });
    expect(stopped.exitCode).toBe(143);
    const tail = stopped.messages.slice(stopped.messages.findLastIndex((m) => m.type === 'STATE'));
    // After the last checkpoint: no record, only the stop's status and error.
    expect(tail.filter((m) => m.type === 'RECORD')).toEqual([]);
    expect(traceErrors(stopped.messages).map((e) => e.failure_type)).toEqual(['transient_error']);
    const resumed = await read(config, stateFileFrom(stopped.messages));
    const union = new Set([...idsOf(stopped.messages), ...idsOf(resumed.messages)]);
    expect(union.size).toBe(all.length);
  });

  it('an incremental run killed midway and resumed emits every change', async () => {
    const config = configFor(emulator, { concurrency: 4 });
    const base = await read(config);
    const stripe = sdkFor(emulator);
    const changed = new Set<string>();
    for await (const customer of stripe.customers.list({ limit: 100 })) {
      if (changed.size >= 350) break;
      await stripe.customers.update(customer.id, { metadata: { touched: 'yes' } });
      changed.add(customer.id);
      if (changed.size % 50 === 0) emulator.advanceClock(1);
    }
    settle(emulator);
    const killed = await read(config, stateFileFrom(base.messages), {
      onMessage: (m, seen) => m.type === 'STATE' && states(seen).length === 2,
    });
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await read(config, stateFileFrom([...base.messages, ...killed.messages]));
    expect(resumed.exitCode).toBe(0);
    const union = new Set([...idsOf(killed.messages), ...idsOf(resumed.messages)]);
    expect([...union].sort()).toEqual([...changed].sort());
    expect(records(resumed.messages).every((record) => record.metadata.touched === 'yes')).toBe(
      true,
    );
  });

  it('changes made while the first full import runs appear in the next run', async () => {
    emulator.setFaults({ latencyMs: 60 });
    const stripe = sdkFor(emulator);
    const config = configFor(emulator, { concurrency: 1 });
    let newcomer: string | undefined;
    let touched: string | undefined;
    const writes: Promise<unknown>[] = [];
    const first = await read(config, undefined, {
      onMessage: (m, seen) => {
        if (m.type === 'STATE' && states(seen).length === 3 && !newcomer) {
          // Touch a customer already emitted, and create one the listing has passed.
          touched = records(seen)[0]?.id;
          writes.push(
            stripe.customers
              .create({ email: 'during-import@example.com' })
              .then((c) => (newcomer = c.id)),
            stripe.customers.update(touched!, { email: 'changed-during-import@example.com' }),
          );
        }
      },
    });
    await Promise.all(writes);
    emulator.setFaults({ latencyMs: 5 });
    expect(first.exitCode).toBe(0);
    settle(emulator);
    const second = await read(config, stateFileFrom(first.messages));
    const byId = new Map(records(second.messages).map((record) => [record.id, record]));
    expect(byId.get(newcomer!)?.email).toBe('during-import@example.com');
    expect(byId.get(touched!)?.email).toBe('changed-during-import@example.com');
  });
});

describe('cost of an incremental run without changes', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 50_000, seed: 3 });
    emulator.advanceClock(3_600);
  });
  afterAll(() => emulator.close());

  it('reads at most two pages and emits nothing, whatever the number of customers', async () => {
    const config = configFor(emulator, { concurrency: 8 });
    const first = await read(config);
    expect(records(first.messages)).toHaveLength(50_000);
    settle(emulator);
    emulator.resetStats();
    const second = await read(config, stateFileFrom(first.messages));
    expect(records(second.messages)).toEqual([]);
    const stats = emulator.stats();
    expect(stats.requests).toBeLessThanOrEqual(2);
    expect(stats.byRoute['GET /v1/customers'] ?? 0).toBe(0);
  });
});

describe('events rendered in an older API version', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 300, seed: 8, eventApiVersion: '2023-10-16' });
    emulator.advanceClock(3_600);
  });
  afterAll(() => emulator.close());

  it('re-fetches changed customers instead of landing old-shaped payloads', async () => {
    const config = configFor(emulator);
    const first = await read(config);
    const stripe = sdkFor(emulator);
    const [a, b] = (await stripe.customers.list({ limit: 2 })).data;
    await stripe.customers.update(a!.id, { name: 'First change' });
    await stripe.customers.update(a!.id, { name: 'Second change' });
    await stripe.customers.del(b!.id);
    settle(emulator);
    emulator.resetStats();
    const second = await read(config, stateFileFrom(first.messages));
    const byId = new Map(records(second.messages).map((record) => [record.id, record]));
    expect(byId.size).toBe(2);
    expect(byId.get(a!.id)?.name).toBe('Second change');
    expect(byId.get(b!.id)).toMatchObject({ is_deleted: true });
    // One retrieve for the updated customer; the deletion needs none.
    expect(emulator.stats().byRoute['GET /v1/customers/:id']).toBe(1);
  });
});
