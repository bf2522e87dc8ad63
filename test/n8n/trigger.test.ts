/**
 * The Stripe Customers Trigger, built and loaded by n8n, polled by n8n-core's PollTriggerExecutor
 * (scheduled polls of an active workflow, PollContext) and by WorkflowExecute in manual mode
 * ("Fetch Test Event"), against the Stripe emulator. The cursor is carried from poll to poll in
 * the workflow's static data, as n8n persists it.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { parseConfig } from '../../connector';
import { shortestPollIntervalMs } from '../../n8n-node/shared/polling';
import { startEmulator, type RunningEmulator } from '../emulator';
import { sdkFor, TEST_KEY } from '../support/stripe';
import { loadPackage, takeLogs, type LoadedPackage, type PollRun } from './support/n8n';

let pkg: LoadedPackage;
let emulator: RunningEmulator;
let stripe: Stripe;

const STATIC_KEY = 'node:Stripe Customers Trigger';
const itemsOf = (poll: PollRun) => poll.execution?.items ?? [];
const changes = (poll: PollRun) =>
  Object.fromEntries(
    itemsOf(poll).map((item) => [item.id ?? item._stripe_id, item._stripe_change]),
  );
/** Lets events settle: the engine leaves the newest seconds for the next poll. */
const settle = () => emulator.advanceClock(60);

beforeAll(async () => {
  [pkg, emulator] = await Promise.all([
    loadPackage(),
    startEmulator({
      customers: 120,
      seed: 5,
      restrictedKeys: { rk_test_customers_only: ['customers:read'] },
    }),
  ]);
  emulator.advanceClock(3_600);
  stripe = sdkFor(emulator);
  await pkg.setCredential({ apiKey: TEST_KEY, apiBaseUrl: emulator.url });
  await pkg.setCredential(
    { apiKey: 'rk_test_customers_only', apiBaseUrl: emulator.url },
    'no-events',
  );
});

afterAll(async () => {
  await emulator?.close();
  pkg?.remove();
});

beforeEach(() => {
  settle();
  takeLogs();
});

/** Polls like an active workflow does: first the activation poll, then scheduled ones. */
async function activate(parameters: INodeParameters) {
  let staticData: IDataObject = {};
  const first = await pkg.poll({ parameters, staticData, activation: true });
  staticData = first.staticData;
  return {
    first,
    poll: async () => {
      const run = await pkg.poll({ parameters, staticData });
      staticData = run.staticData;
      return run;
    },
    get staticData() {
      return staticData;
    },
  };
}

describe('polling', () => {
  it('starts from now, then emits each created, updated and deleted customer once', async () => {
    const trigger = await activate({ firstPoll: 'startNow' });
    expect(trigger.first.execution).toBeNull();
    expect(trigger.first.errors).toEqual([]);
    expect(trigger.staticData[STATIC_KEY]).toMatchObject({
      pipelineState: { version: 1, phase: 'incremental', events_cursor: expect.any(Number) },
    });

    const created = await stripe.customers.create({ email: 'poll-new@example.com', name: 'New' });
    const { data } = await stripe.customers.list({
      limit: 2,
      created: { lt: emulator.now() - 60 },
    });
    const [updated, deleted] = data;
    await stripe.customers.update(updated!.id, { name: 'Changed Once' });
    await stripe.customers.update(updated!.id, { name: 'Changed Twice' });
    await stripe.customers.del(deleted!.id);
    settle();

    const second = await trigger.poll();
    expect(second.errors).toEqual([]);
    expect(changes(second)).toEqual({
      [created.id]: 'created',
      [updated!.id]: 'updated',
      [deleted!.id]: 'deleted',
    });
    const byId = new Map(itemsOf(second).map((item) => [item.id, item]));
    expect(byId.get(updated!.id)).toMatchObject({
      name: 'Changed Twice',
      _stripe_change: 'updated',
      _stripe_deleted: false,
    });
    expect(byId.get(deleted!.id)).toMatchObject({
      email: null,
      _stripe_change: 'deleted',
      _stripe_event: 'customer.deleted',
      _stripe_deleted: true,
    });
    for (const item of itemsOf(second)) {
      expect(item._stripe_changed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(item).not.toHaveProperty('is_deleted');
      expect(item).not.toHaveProperty('updated');
      expect(item).not.toHaveProperty('_ab_cdc_deleted_at');
    }
    // The execution n8n starts with the emitted items carries them unchanged.
    expect(second.execution?.run.status).toBe('success');

    settle();
    const third = await trigger.poll();
    expect(third.execution).toBeNull();
    expect(third.staticData[STATIC_KEY]).not.toEqual(second.staticData[STATIC_KEY]);
  });

  it('imports all existing customers on the first poll when asked to, then only changes', async () => {
    const everyone: string[] = [];
    for await (const customer of stripe.customers.list({ limit: 100 })) everyone.push(customer.id);
    const trigger = await activate({ firstPoll: 'importAll' });
    expect(trigger.first.errors).toEqual([]);
    const imported = itemsOf(trigger.first);
    expect(imported.map((item) => item.id).sort()).toEqual(everyone.sort());
    expect(new Set(imported.map((item) => item._stripe_change))).toEqual(new Set(['listed']));

    const created = await stripe.customers.create({ email: 'after-import@example.com' });
    settle();
    const second = await trigger.poll();
    expect(changes(second)).toEqual({ [created.id]: 'created' });
  });

  it('filters and maps what it emits; a customer leaving the filter is a deletion', async () => {
    const parameters = {
      firstPoll: 'startNow',
      filterMode: 'conditions',
      filterConditions: {
        condition: [{ property: 'metadata.<key>', key: 'tier', operator: 'is', value: 'gold' }],
      },
      transformation: 'mapping',
      customerModel: {
        field: [
          { name: 'email', type: 'string', from: 'lower(email)' },
          { name: 'tier', type: 'string', from: 'upper(metadata.tier)' },
        ],
      },
    };
    const trigger = await activate(parameters);
    const gold = await stripe.customers.create({
      email: 'GOLD@example.com',
      metadata: { tier: 'gold' },
    });
    await stripe.customers.create({ email: 'silver@example.com', metadata: { tier: 'silver' } });
    settle();
    const second = await trigger.poll();
    expect(itemsOf(second)).toEqual([
      {
        email: 'gold@example.com',
        tier: 'GOLD',
        _stripe_id: gold.id,
        _stripe_change: 'created',
        _stripe_event: 'customer.created',
        _stripe_changed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        _stripe_deleted: false,
      },
    ]);

    await stripe.customers.update(gold.id, { metadata: { tier: 'silver' } });
    settle();
    const third = await trigger.poll();
    // It left the filter: for the workflow a deletion (Stripe updated it), with the id and the
    // model's columns null, as n8n's Table view shows them.
    expect(itemsOf(third)).toEqual([
      {
        email: null,
        tier: null,
        _stripe_id: gold.id,
        _stripe_change: 'deleted',
        _stripe_event: 'customer.updated',
        _stripe_changed_at: expect.any(String),
        _stripe_deleted: true,
      },
    ]);

    // It comes back: new to the workflow (a workflow that inserts on "created" inserts it).
    await stripe.customers.update(gold.id, { metadata: { tier: 'gold' } });
    settle();
    const fourth = await trigger.poll();
    expect(itemsOf(fourth)).toEqual([
      {
        email: 'gold@example.com',
        tier: 'GOLD',
        _stripe_id: gold.id,
        _stripe_change: 'created',
        _stripe_event: 'customer.updated',
        _stripe_changed_at: expect.any(String),
        _stripe_deleted: false,
      },
    ]);
    // Changed while it matches: updated.
    await stripe.customers.update(gold.id, { email: 'Gold.Again@example.com' });
    settle();
    expect(itemsOf(await trigger.poll())).toMatchObject([
      { email: 'gold.again@example.com', _stripe_change: 'updated' },
    ]);
  });

  it('treats a changed filter like a first poll instead of re-importing everyone', async () => {
    const trigger = await activate({ firstPoll: 'startNow' });
    const cursor = trigger.staticData;
    const changed = await pkg.poll({
      parameters: {
        firstPoll: 'startNow',
        filterMode: 'conditions',
        filterConditions: { condition: [{ property: 'email', operator: 'is_not_empty' }] },
      },
      staticData: cursor,
    });
    expect(changed.execution).toBeNull();
    expect(changed.staticData[STATIC_KEY]).not.toEqual(cursor[STATIC_KEY]);
  });

  it('stops at a checkpoint when the poll budget runs out and resumes on the next poll', async () => {
    const everyone = new Set<string>();
    for await (const customer of stripe.customers.list({ limit: 100 })) everyone.add(customer.id);
    const seen = new Set<string>();
    let staticData: IDataObject = {};
    let polls = 0;
    for (; polls < 10; polls++) {
      const run = await pkg.poll({
        parameters: { firstPoll: 'importAll', options: { requestsPerSecond: 100 } },
        staticData,
        pollBudgetMs: 1,
      });
      staticData = run.staticData;
      for (const item of itemsOf(run)) seen.add(item.id as string);
      if (
        (staticData[STATIC_KEY] as IDataObject).pipelineState &&
        ((staticData[STATIC_KEY] as IDataObject).pipelineState as IDataObject).phase ===
          'incremental'
      )
        break;
    }
    expect(polls).toBeGreaterThan(0);
    expect(seen).toEqual(everyone);
    expect(takeLogs().join('\n')).toMatch(/time budget/);
  });
});

describe('one poll at a time, within the schedule', () => {
  it('skips a poll started while the previous one runs: one emits, the cursor stays consistent', async () => {
    const session = pkg.startPolling({ parameters: { firstPoll: 'startNow' } });
    const activation = await session.tick({ activation: true });
    expect(activation.execution).toBeNull();
    const before = activation.staticData[STATIC_KEY] as { pipelineState: IDataObject };
    const created = await stripe.customers.create({ email: 'overlap@example.com' });
    settle();
    takeLogs();

    // n8n starts a poll on every cron tick without waiting for the previous one.
    const polls = await Promise.all([session.tick(), session.tick()]);
    expect(polls.flatMap((poll) => poll.errors)).toEqual([]);
    const emitted = polls.filter((poll) => poll.execution !== null);
    expect(emitted).toHaveLength(1);
    expect(changes(emitted[0]!)).toEqual({ [created.id]: 'created' });
    expect(takeLogs().join('\n')).toMatch(
      /INFO Skipping this poll .*previous poll is still running/,
    );

    const after = (session.workflow.staticData[STATIC_KEY] as { pipelineState: IDataObject })
      .pipelineState;
    expect(after).toMatchObject({ phase: 'incremental' });
    expect(after.events_cursor as number).toBeGreaterThan(
      before.pipelineState.events_cursor as number,
    );
    settle();
    const next = await session.tick();
    expect(next.errors).toEqual([]);
    expect(next.execution).toBeNull();
  });

  it('stops before the next scheduled poll: the time budget follows the shortest Poll Times interval', async () => {
    const cases: Array<[INodeParameters['pollTimes'], string]> = [
      [{ item: [{ mode: 'everyMinute' }] }, '36 s (before the next scheduled poll)'],
      [{ item: [{ mode: 'everyX', value: 2, unit: 'minutes' }] }, '72 s (before the next'],
      [{ item: [{ mode: 'custom', cronExpression: '0 */3 * * * *' }] }, '108 s (before the next'],
      // Hourly: n8n's own budget (5 minutes in-process) is the shorter one.
      [{ item: [{ mode: 'everyHour', minute: 5 }] }, '180 s (n8n’s poll time budget)'],
    ];
    for (const [pollTimes, expected] of cases) {
      const session = pkg.startPolling({ parameters: { firstPoll: 'startNow', pollTimes } });
      await session.tick({ activation: true });
      takeLogs();
      const poll = await session.tick();
      expect(poll.errors).toEqual([]);
      expect(takeLogs().join('\n')).toContain(
        `DEBUG Polling Stripe customers: stopping at the first checkpoint after ${expected}`,
      );
    }
  });

  it('works out the shortest interval between polls of all Poll Times entries', () => {
    const minutes = (pollTimes: unknown) => (shortestPollIntervalMs(pollTimes) ?? 0) / 60_000;
    expect(minutes({ item: [{ mode: 'everyMinute' }] })).toBe(1);
    expect(minutes({ item: [{ mode: 'everyX', value: 7, unit: 'minutes' }] })).toBe(4); // :56 → :00
    expect(minutes({ item: [{ mode: 'everyX', value: 2, unit: 'hours' }] })).toBe(120);
    expect(minutes({ item: [{ mode: 'everyDay', hour: 9, minute: 0 }] })).toBe(1440);
    expect(minutes({ item: [{ mode: 'everyWeek', hour: 9, minute: 0, weekday: 1 }] })).toBe(
      7 * 1440,
    );
    // n8n gives each entry a random second of its own: five minutes, give or take one.
    const twoEntries = minutes({
      item: [
        { mode: 'everyHour', minute: 5 },
        { mode: 'everyHour', minute: 10 },
      ],
    });
    expect(twoEntries).toBeGreaterThan(4);
    expect(twoEntries).toBeLessThan(6);
    expect(minutes({ item: [{ mode: 'custom', cronExpression: '15,45 9-17 * * 1-5' }] })).toBe(30);
    expect(minutes({ item: [{ mode: 'custom', cronExpression: '@hourly' }] })).toBe(60);
    // What it cannot read counts as every minute, n8n's shortest schedule.
    expect(minutes({ item: [{ mode: 'custom', cronExpression: 'every tuesday' }] })).toBe(1);
    expect(shortestPollIntervalMs({ item: [] })).toBeUndefined();
  });
});

describe('first poll and large imports', () => {
  it('gives the activation poll (which n8n awaits) a short time budget, later polls the schedule’s', async () => {
    const session = pkg.startPolling({ parameters: { firstPoll: 'importAll' } });
    takeLogs();
    const activation = await session.tick({ activation: true });
    expect(activation.errors).toEqual([]);
    expect(takeLogs().join('\n')).toContain(
      'DEBUG Polling Stripe customers: stopping at the first checkpoint after 12 s (activation poll)',
    );
    const scheduled = await session.tick();
    expect(scheduled.errors).toEqual([]);
    expect(takeLogs().join('\n')).toContain(
      'DEBUG Polling Stripe customers: stopping at the first checkpoint after 36 s (before the next scheduled poll)',
    );
  });

  it('stops at a checkpoint after Max Items per Poll and emits the rest on the next polls', async () => {
    const everyone = new Set<string>();
    for await (const customer of stripe.customers.list({ limit: 100 })) everyone.add(customer.id);
    const session = pkg.startPolling({
      parameters: { firstPoll: 'importAll', options: { maxItemsPerPoll: 10 } },
    });
    const first = await session.tick({ activation: true });
    expect(first.errors).toEqual([]);
    expect(itemsOf(first).length).toBeGreaterThanOrEqual(10);
    expect(itemsOf(first).length).toBeLessThan(everyone.size);
    expect(takeLogs().join('\n')).toMatch(
      /INFO Stopped at a checkpoint after \d+ items \(Max Items per Poll: 10\)/,
    );
    const seen = itemsOf(first).map((item) => item.id as string);
    let polls = 1;
    const phase = () =>
      (session.workflow.staticData[STATIC_KEY] as { pipelineState: IDataObject }).pipelineState
        .phase;
    while (phase() !== 'incremental' && polls < 20) {
      const poll = await session.tick();
      expect(poll.errors).toEqual([]);
      seen.push(...itemsOf(poll).map((item) => item.id as string));
      polls++;
    }
    expect(polls).toBeGreaterThan(1);
    expect(new Set(seen)).toEqual(everyone);
    // Each poll continues right after the last customer the previous one emitted: none twice.
    expect(seen).toHaveLength(everyone.size);
  });
});

describe('expressions in the definition', () => {
  const createdWithin = (expression: string) => ({
    firstPoll: 'startNow',
    filterMode: 'conditions',
    filterConditions: {
      condition: [{ property: 'created', operator: 'is_after', value: expression }],
    },
  });

  it('keeps the cursor when an expression resolves differently each poll; editing the filter resets it', async () => {
    const parameters = createdWithin('={{ $now.minus({ days: 30 }).toISO() }}');
    const trigger = await activate(parameters);
    expect(trigger.first.errors).toEqual([]);
    const created = await stripe.customers.create({ email: 'expression@example.com' });
    settle();
    // $now has moved on: the filter's value differs from the activation poll's.
    const second = await trigger.poll();
    expect(second.errors).toEqual([]);
    expect(changes(second)).toEqual({ [created.id]: 'created' });

    // The same parameter edited: a new definition, so "Start From Now" starts over.
    const edited = createdWithin('={{ $now.minus({ days: 60 }).toISO() }}');
    const later = await stripe.customers.create({ email: 'after-edit@example.com' });
    settle();
    const reset = await pkg.poll({ parameters: edited, staticData: trigger.staticData });
    expect(reset.errors).toEqual([]);
    expect(reset.execution).toBeNull();
    expect(reset.staticData[STATIC_KEY]).not.toEqual(trigger.staticData[STATIC_KEY]);
    // `later` came before the edit: the new definition starts from then, so no poll brings it.
    const after = await stripe.customers.create({ email: 'after-reset@example.com' });
    settle();
    const next = await pkg.poll({ parameters: edited, staticData: reset.staticData });
    expect(next.errors).toEqual([]);
    expect(changes(next)).toEqual({ [after.id]: 'created' });
    expect(Object.keys(changes(next))).not.toContain(later.id);
  });

  it('keeps a cursor saved under the engine’s fingerprint of the same definition', async () => {
    const engineFingerprint = parseConfig({
      api_key: TEST_KEY,
      pipelines: [{ name: 'customers', incremental: true }],
    }).pipelines[0]!.fingerprint;
    const cursor = emulator.now() - 5;
    const created = await stripe.customers.create({ email: 'kept-cursor@example.com' });
    settle();
    const poll = await pkg.poll({
      parameters: { firstPoll: 'startNow' },
      staticData: {
        [STATIC_KEY]: {
          pipelineState: {
            version: 1,
            phase: 'incremental',
            events_cursor: cursor,
            fingerprint: engineFingerprint,
          },
        },
      },
    });
    expect(poll.errors).toEqual([]);
    expect(changes(poll)).toMatchObject({ [created.id]: 'created' });
  });
});

describe('logging', () => {
  it('logs the engine’s routine lines at debug level and nothing at info on a routine poll', async () => {
    const trigger = await activate({ firstPoll: 'startNow' });
    await stripe.customers.create({ email: 'quiet@example.com' });
    settle();
    takeLogs();
    const poll = await trigger.poll();
    expect(itemsOf(poll)).toHaveLength(1);
    const lines = takeLogs();
    expect(lines).toContainEqual(expect.stringMatching(/^DEBUG Pipeline "customers": /));
    expect(lines.filter((line) => line.startsWith('INFO '))).toEqual([]);
  });
});

describe('manual mode (Fetch Test Event)', () => {
  it('returns a small filtered, mapped sample and leaves the cursor alone', async () => {
    const trigger = await activate({ firstPoll: 'startNow' });
    const sample = await pkg.fetchTestEvent({
      parameters: {
        transformation: 'javascript',
        javascriptCode:
          'function transform(c) { return { email: c.email, id_length: c.id.length }; }',
      },
      staticData: trigger.staticData,
    });
    expect(sample.error).toBeUndefined();
    expect(sample.items.length).toBeGreaterThan(0);
    expect(sample.items.length).toBeLessThanOrEqual(5);
    expect(sample.items[0]).toMatchObject({
      id_length: expect.any(Number),
      _stripe_change: 'listed',
    });
    expect(sample.staticData).toEqual(trigger.staticData);
  });

  it('fails with n8n’s kind of error and a hint when no customer matches', async () => {
    const sample = await pkg.fetchTestEvent({
      parameters: {
        filterMode: 'conditions',
        filterConditions: {
          condition: [{ property: 'email', operator: 'is', value: 'nobody@nowhere.invalid' }],
        },
      },
    });
    expect(sample.items).toEqual([]);
    expect(sample.error).toMatchObject({
      name: 'NodeOperationError',
      message: 'No customers match the current filter',
      description: expect.stringMatching(/Change the filter.*then fetch again/),
    });
  });
});

describe('errors', () => {
  it('a key without the events permission fails the poll with that permission named', async () => {
    const node = {
      credentials: { stripeCustomersApi: { id: 'no-events', name: 'customers only' } },
    };
    const activation = await pkg.poll({
      parameters: { firstPoll: 'startNow' },
      activation: true,
      node,
    });
    expect(activation.errors).toHaveLength(1);
    expect(activation.errors[0]).toMatchObject({ name: 'NodeApiError', httpCode: '403' });
    expect(activation.errors[0]!.message).toContain('Events: Read');
    expect(activation.staticData[STATIC_KEY] ?? {}).toEqual({});

    // A scheduled poll hands the error to n8n (__emitError) and keeps the saved cursor.
    const saved = {
      [STATIC_KEY]: {
        pipelineState: { version: 1, phase: 'incremental', events_cursor: emulator.now() - 120 },
      },
    };
    const scheduled = await pkg.poll({
      parameters: { firstPoll: 'startNow' },
      staticData: saved,
      node,
    });
    expect(scheduled.errors).toHaveLength(1);
    expect(scheduled.errors[0]!.message).toContain('Events: Read');
    expect(scheduled.staticData).toEqual(saved);
  });

  it('failing user code stops the poll naming the customer, without moving the cursor', async () => {
    const parameters = {
      firstPoll: 'startNow',
      transformation: 'javascript',
      javascriptCode:
        "function transform(c) { if (c.email === 'boom@example.com') throw new Error('boom'); return { email: c.email }; }",
    };
    const trigger = await activate(parameters);
    const boom = await stripe.customers.create({ email: 'boom@example.com' });
    settle();
    const failed = await trigger.poll();
    expect(failed.errors[0]).toMatchObject({ name: 'NodeOperationError' });
    expect(failed.errors[0]!.message).toMatch(new RegExp(`customer ${boom.id}.*boom`, 'i'));
    expect(failed.execution).toBeNull();
    expect(failed.staticData).toEqual(trigger.first.staticData);
  });
});

describe('activation in n8n', () => {
  it('schedules the node from its Poll Times and runs the first poll at activation', async () => {
    const active = await pkg.activate({
      pollTimes: { item: [{ mode: 'everyHour', minute: 5 }] },
      firstPoll: 'importAll',
    });
    try {
      expect([...active.registered]).toEqual(['trigger-node']);
      expect(active.emitted).toHaveLength(1);
      expect(active.emitted[0]![0]!.length).toBeGreaterThan(0);
    } finally {
      await active.deactivate();
    }
  });
});
