import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import {
  logs,
  ofType,
  readCli,
  records,
  runCli,
  stateFileFrom,
  traceErrors,
  writeFiles,
} from '../support/connector';
import { configFor, listAllCustomers, sdkFor } from '../support/stripe';

let emulator: RunningEmulator;
let everyone: Array<Record<string, any>>;

beforeAll(async () => {
  emulator = await startEmulator({ customers: 1_500, seed: 33 });
  emulator.advanceClock(3_600);
  everyone = await listAllCustomers(sdkFor(emulator));
});
afterAll(() => emulator.close());

const read = (config: object, streams = ['customers'], state?: unknown) =>
  readCli(config, { streams, state });
const withFilter = (filter: unknown, extra: object = {}) =>
  configFor(emulator, { pipelines: [{ name: 'customers', filter }], ...extra });
const idsOf = (list: Array<Record<string, any>>) => list.map((c) => c.id as string).sort();

describe('filters through the CLI', () => {
  it('imports only matching customers: a group of all/any conditions', async () => {
    const filter = {
      logical: 'any',
      conditions: [
        {
          logical: 'all',
          conditions: [
            { property: 'address.country', operator: 'is', values: ['us'] },
            { property: 'metadata.plan', operator: 'is', values: ['pro'] },
          ],
        },
        { property: 'balance', operator: 'less_than', values: [0] },
      ],
    };
    const run = await read(withFilter(filter));
    expect(run.exitCode).toBe(0);
    const expected = everyone.filter(
      (c) =>
        (c.address?.country?.toLowerCase() === 'us' && c.metadata?.plan?.toLowerCase() === 'pro') ||
        c.balance < 0,
    );
    expect(expected.length).toBeGreaterThan(5);
    expect(idsOf(records(run.messages))).toEqual(idsOf(expected));
    expect(logs(run.messages).join('\n')).toMatch(/left out by the filter/);
  });

  it('pushes created ranges down to the list, reading fewer pages for the same result', async () => {
    const since = everyone[Math.floor(everyone.length / 10)]!.created as number;
    const filter = {
      logical: 'all',
      conditions: [{ property: 'created', operator: 'greater_than_or_equal', values: [since] }],
    };
    emulator.resetStats();
    const run = await read(withFilter(filter, { concurrency: 1 }));
    const pages = emulator.stats().byRoute['GET /v1/customers'] ?? 0;
    expect(idsOf(records(run.messages))).toEqual(idsOf(everyone.filter((c) => c.created >= since)));
    expect(pages).toBeLessThanOrEqual(3);
  });

  it('uses the Search API when asked, with the same result as listing', async () => {
    const target = everyone.find((c) => c.metadata?.plan === 'enterprise')!;
    const filter = {
      logical: 'all',
      conditions: [
        { property: 'metadata.plan', operator: 'is', values: ['enterprise'], case_sensitive: true },
      ],
    };
    emulator.resetStats();
    const searched = await read(withFilter(filter, { use_search_api: true }));
    const searchStats = emulator.stats();
    const listed = await read(withFilter(filter));
    expect(searchStats.byRoute['GET /v1/customers/search'] ?? 0).toBeGreaterThan(0);
    expect(searchStats.byRoute['GET /v1/customers'] ?? 0).toBe(0);
    expect(idsOf(records(searched.messages))).toEqual(idsOf(records(listed.messages)));
    expect(idsOf(records(searched.messages))).toContain(target.id);
    expect(logs(searched.messages).join('\n')).toMatch(
      /reading through the Search API: metadata\['plan'\]:'enterprise'/,
    );
  });

  it('emits a customer that stops matching once, as a deletion', async () => {
    const filter = {
      logical: 'all',
      conditions: [{ property: 'metadata.plan', operator: 'is', values: ['pro'] }],
    };
    const config = withFilter(filter);
    const first = await read(config);
    const stripe = sdkFor(emulator);
    const pro = records(first.messages)[0]!;
    const outsider = everyone.find(
      (c) => c.metadata?.plan !== 'pro' && c.metadata?.plan !== 'Pro',
    )!;
    await stripe.customers.update(pro.id, { metadata: { plan: 'free' } });
    await stripe.customers.update(outsider.id, { name: 'Still not pro' });
    const joiner = await stripe.customers.create({
      email: 'joiner@example.com',
      metadata: { plan: 'pro' },
    });
    emulator.advanceClock(60);
    const second = await read(config, ['customers'], stateFileFrom(first.messages));
    const byId = new Map(records(second.messages).map((r) => [r.id, r]));
    expect(byId.size).toBe(2);
    expect(byId.get(pro.id)).toMatchObject({ is_deleted: true });
    expect(byId.get(joiner.id)).toMatchObject({ email: 'joiner@example.com', is_deleted: false });
    expect(byId.has(outsider.id)).toBe(false);
  });

  it('warns in incremental runs that a relative date moves with time, and only then', async () => {
    const since = (value: string) =>
      withFilter({
        logical: 'all',
        conditions: [{ property: 'created', operator: 'is_after', values: [value] }],
      });
    const relativeDates = /WARN .*relative date .*neither import nor delete it/;
    for (const [value, warns] of [
      ['400 days ago', true],
      ['2020-01-01', false],
    ] as const) {
      const first = await read(since(value));
      expect(first.exitCode).toBe(0);
      const second = await read(since(value), ['customers'], stateFileFrom(first.messages));
      expect(second.exitCode).toBe(0);
      expect(
        logs(second.messages).some((line) => relativeDates.test(line)),
        value,
      ).toBe(warns);
    }
  });

  it('rejects an invalid filter before any request, naming the pipeline and the condition', async () => {
    const filter = {
      logical: 'all',
      conditions: [
        { property: 'email', operator: 'is', values: ['a@b.c'] },
        { property: 'balance', operator: 'contains', values: ['1'] },
      ],
    };
    emulator.resetStats();
    const run = await read(withFilter(filter));
    expect(run.exitCode).not.toBe(0);
    const [error] = traceErrors(run.messages);
    expect(error?.failure_type).toBe('config_error');
    expect(error?.message).toMatch(
      /^Pipelines › row 1 \(customers\) › Filter \(JSON shape of earlier versions\) › conditions\[1\]\.operator: operator "contains" does not apply to number property "balance"/,
    );
    expect(emulator.stats().requests).toBe(0);
    const files = writeFiles({ config: withFilter(filter) });
    const check = await runCli(['check', '--config', files.config as string]);
    expect(ofType(check.messages, 'CONNECTION_STATUS')[0]?.connectionStatus).toMatchObject({
      status: 'FAILED',
    });
  });
});
