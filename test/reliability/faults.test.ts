import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { readCli, records, stateFileFrom, streamStatuses, traceErrors } from '../support/connector';
import { configFor, listAllCustomerIds, listAllCustomers, sdkFor } from '../support/stripe';
import { DedupWarehouse } from '../support/warehouse';

const CUSTOMERS = 800;
let emulator: RunningEmulator;
let all: string[];

beforeAll(async () => {
  emulator = await startEmulator({ customers: CUSTOMERS, seed: 17 });
  all = await listAllCustomerIds(sdkFor(emulator));
});
afterAll(() => emulator.close());

const read = (
  config: object,
  syncMode: 'full_refresh' | 'incremental' = 'full_refresh',
  state?: unknown,
) => readCli(config, { syncMode, state });

const expectEveryCustomerOnce = (ids: string[]) => {
  expect(ids).toHaveLength(all.length);
  expect([...ids].sort()).toEqual([...all].sort());
};

describe('faults: reads finish with every customer exactly once', () => {
  it('through 429 storms, 500/502/503, resets, truncated bodies and slow responses', async () => {
    emulator.setFaults({
      failNext: [
        ...Array.from({ length: 8 }, () => ({ status: 429 as const })),
        { status: 500 },
        { status: 502 },
        { status: 503 },
        { status: 'reset' },
        { status: 'truncate' },
        { status: 'slow' },
      ],
    });
    // The first page is read alone, so one request may meet every fault in a row.
    const run = await read(
      configFor(emulator, { concurrency: 3, request_timeout_seconds: 2, max_attempts: 10 }),
    );
    expect(traceErrors(run.messages)).toEqual([]);
    expect(run.exitCode).toBe(0);
    expectEveryCustomerOnce(records(run.messages).map((r) => r.id));
    const stats = emulator.stats();
    for (const status of ['429', '500', '502', '503', 'reset', 'truncate']) {
      expect(stats.byStatus[status] ?? 0, status).toBeGreaterThan(0);
    }
  });

  it('through a random 30% failure rate under a tight rate limit', async () => {
    emulator.setFaults({ failRate: 0.3, rateLimit: 6 });
    try {
      const run = await read(
        configFor(emulator, { concurrency: 4, requests_per_second: 20, max_attempts: 12 }),
      );
      expect(traceErrors(run.messages)).toEqual([]);
      expectEveryCustomerOnce(records(run.messages).map((r) => r.id));
    } finally {
      emulator.setFaults({ failRate: 0, rateLimit: 0 });
    }
  });

  it('through faults on both endpoints of an import that lists and searches at once', async () => {
    emulator.resetStats();
    emulator.setFaults({
      failRate: 0.2,
      failNext: [
        { status: 429, path: '/v1/customers/search' },
        { status: 500, path: '/v1/customers/search' },
        { status: 'reset', path: '/v1/customers/search' },
        { status: 'truncate', path: '/v1/customers/search' },
        { status: 503, path: 'GET /v1/customers' },
      ],
    });
    try {
      const run = await read(
        configFor(emulator, {
          full_import_endpoints: 'list_and_search',
          concurrency: 4,
          max_attempts: 12,
        }),
      );
      expect(traceErrors(run.messages)).toEqual([]);
      expectEveryCustomerOnce(records(run.messages).map((r) => r.id));
      const stats = emulator.stats();
      expect(stats.byRoute['GET /v1/customers/search'] ?? 0).toBeGreaterThan(4);
    } finally {
      emulator.setFaults({ failRate: 0 });
    }
  });

  it('ends with a transient_error after a bounded retry budget, never a partial read reported complete', async () => {
    emulator.setFaults({ failRate: 1 });
    try {
      const started = Date.now();
      const run = await read(configFor(emulator, { max_attempts: 3 }));
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(run.exitCode).not.toBe(0);
      const [error] = traceErrors(run.messages);
      expect(error?.failure_type).toBe('transient_error');
      expect(streamStatuses(run.messages)).toEqual(['customers:STARTED', 'customers:INCOMPLETE']);
    } finally {
      emulator.setFaults({ failRate: 0 });
    }
  });

  // Last: it changes the account the tests above compare with.
  it('an incremental read through faults lands every create, update and delete', async () => {
    const stripe = sdkFor(emulator);
    emulator.advanceClock(3_600);
    const config = configFor(emulator, { concurrency: 4, max_attempts: 12 });
    const base = await read(config, 'incremental');
    expect(base.exitCode).toBe(0);
    const ids = await listAllCustomerIds(stripe);
    for (const [index, id] of ids.slice(0, 260).entries()) {
      if (index % 13 === 0) await stripe.customers.del(id);
      else await stripe.customers.update(id, { name: `Faulty ${index}` });
      if (index % 50 === 0) emulator.advanceClock(1);
    }
    for (let n = 0; n < 30; n++) await stripe.customers.create({ email: `new-${n}@example.com` });
    emulator.advanceClock(60);

    emulator.setFaults({
      failRate: 0.25,
      failNext: [
        { status: 429, path: '/v1/events' },
        { status: 'truncate', path: '/v1/events' },
        { status: 'reset', path: '/v1/events' },
        { status: 503, path: '/v1/events' },
      ],
    });
    try {
      const next = await read(config, 'incremental', stateFileFrom(base.messages));
      expect(traceErrors(next.messages)).toEqual([]);
      expect(next.exitCode).toBe(0);
      const rows = new DedupWarehouse().apply(base.messages).apply(next.messages).rows;
      const truth = new Map(
        (await listAllCustomers(stripe)).map((customer) => [customer.id, customer.name]),
      );
      expect([...rows.keys()].sort()).toEqual([...truth.keys()].sort());
      for (const [id, name] of truth) expect(rows.get(id)?.name, id).toBe(name);
    } finally {
      emulator.setFaults({ failRate: 0 });
    }
  });
});
