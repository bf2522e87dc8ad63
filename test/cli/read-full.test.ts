import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import {
  lastState,
  readCli,
  records,
  states,
  streamStatuses,
  traceErrors,
} from '../support/connector';
import { configFor, listAllCustomerIds, sdkFor } from '../support/stripe';

const CUSTOMERS = 2_500;
let emulator: RunningEmulator;
let expectedIds: string[];

beforeAll(async () => {
  emulator = await startEmulator({ customers: CUSTOMERS, seed: 11 });
  expectedIds = await listAllCustomerIds(sdkFor(emulator));
});
afterAll(() => emulator.close());

const read = (config: object, syncMode: 'full_refresh' | 'incremental' = 'full_refresh') =>
  readCli(config, { syncMode });

describe('read (full import)', () => {
  it('emits every customer exactly once, equal to what the SDK lists', async () => {
    expect(expectedIds).toHaveLength(CUSTOMERS);
    const run = await read(configFor(emulator));
    expect(run.exitCode).toBe(0);
    const ids = records(run.messages).map((record) => record.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...expectedIds].sort());
    expect(streamStatuses(run.messages)).toEqual([
      'customers:STARTED',
      'customers:RUNNING',
      'customers:COMPLETE',
    ]);
    // Checkpoints along the way, each counting the records it covers.
    const all = states(run.messages);
    expect(all.length).toBeGreaterThan(10);
    expect(all.reduce((sum, state) => sum + state.sourceStats.recordCount, 0)).toBe(CUSTOMERS);
    expect(lastState(run.messages)?.stream.stream_state).toMatchObject({ phase: 'incremental' });
  });

  it('records are full Stripe customers with the bookkeeping fields', async () => {
    const run = await read(configFor(emulator, { concurrency: 1 }));
    const [first] = records(run.messages);
    expect(first).toMatchObject({
      object: 'customer',
      is_deleted: false,
      _ab_cdc_deleted_at: null,
    });
    expect(first?.id).toMatch(/^cus_/);
    expect(typeof first?.updated).toBe('number');
    for (const field of [
      'address',
      'balance',
      'created',
      'invoice_settings',
      'metadata',
      'preferred_locales',
      'tax_exempt',
      'livemode',
    ]) {
      expect(first).toHaveProperty(field);
    }
  });

  it('survives injected 429s and 500s with 100-customer pages', async () => {
    emulator.setFaults({ failRate: 0.15, rateLimit: 8 });
    try {
      const run = await read(configFor(emulator, { requests_per_second: 30, concurrency: 4 }));
      expect(traceErrors(run.messages)).toEqual([]);
      expect(run.exitCode).toBe(0);
      const ids = records(run.messages).map((record) => record.id);
      expect(new Set(ids).size).toBe(CUSTOMERS);
      expect(ids).toHaveLength(CUSTOMERS);
      const stats = emulator.stats();
      expect(stats.byStatus['429'] ?? 0).toBeGreaterThan(0);
      expect(stats.byStatus['500'] ?? 0).toBeGreaterThan(0);
    } finally {
      emulator.setFaults({ failRate: 0, rateLimit: 0 });
    }
  });

  it('ends a failed read with a config_error trace and a non-zero exit', async () => {
    const run = await read({ ...configFor(emulator), api_key: 'sk_test_WrongKey000' });
    expect(run.exitCode).not.toBe(0);
    const [error] = traceErrors(run.messages);
    expect(error?.failure_type).toBe('config_error');
    expect(error?.message).toMatch(/rejected the API key/);
    expect(streamStatuses(run.messages)).toEqual(['customers:STARTED', 'customers:INCOMPLETE']);
    expect(run.stdout).not.toContain('WrongKey');
  });
});
