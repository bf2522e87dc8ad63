/**
 * The key the setup steps create: a restricted key with Customers: Read alone. `check` succeeds
 * and says what works, `discover` offers full refresh only and says why, an incremental catalog
 * fails before anything is read, and full refreshes work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { ofType, readCli, records, runCli, traceErrors, writeFiles } from '../support/connector';
import { configFor } from '../support/stripe';

let emulator: RunningEmulator;
const CUSTOMERS_ONLY = 'rk_test_customers_only';

beforeAll(async () => {
  emulator = await startEmulator({
    customers: 40,
    seed: 11,
    restrictedKeys: { [CUSTOMERS_ONLY]: ['customers:read'] },
  });
});
afterAll(() => emulator.close());

const customersOnly = (extra: Record<string, unknown> = {}) =>
  configFor(emulator, { api_key: CUSTOMERS_ONLY, ...extra });

async function discover(config: object) {
  const files = writeFiles({ config });
  const run = await runCli(['discover', '--config', files.config as string]);
  expect(run.exitCode).toBe(0);
  return ofType(run.messages, 'CATALOG')[0]?.catalog.streams as Array<Record<string, any>>;
}

describe('a Customers-only restricted key', () => {
  it('check succeeds, says full imports work and how to enable incremental ones', async () => {
    const files = writeFiles({ config: customersOnly() });
    const run = await runCli(['check', '--config', files.config as string]);
    const status = ofType(run.messages, 'CONNECTION_STATUS')[0]?.connectionStatus;
    expect(status.status).toBe('SUCCEEDED');
    expect(status.message).toMatch(/full imports work/);
    expect(status.message).toMatch(/"Events: Read"/);
    expect(status.message).toMatch(/Dashboard > Developers > API keys/);
    expect(run.stdout).not.toContain(CUSTOMERS_ONLY);
  });

  it('discover offers full refresh only, and each stream says why', async () => {
    const streams = await discover(
      customersOnly({ pipelines: [{ name: 'customers' }, { name: 'gold', description: 'Gold' }] }),
    );
    expect(streams.map((stream) => stream.name)).toEqual(['customers', 'gold']);
    for (const stream of streams) {
      expect(stream.supported_sync_modes).toEqual(['full_refresh']);
      expect(stream.description).toMatch(/Full refresh only: .*"Events: Read"/);
    }
    expect(streams[1]?.description).toMatch(/^Gold /);
    const full = await discover(configFor(emulator));
    expect(full[0]?.supported_sync_modes).toEqual(['full_refresh', 'incremental']);
  });

  it('an incremental catalog fails at once with a config_error, before reading customers', async () => {
    emulator.resetStats();
    const run = await readCli(customersOnly(), { syncMode: 'incremental' });
    expect(run.exitCode).not.toBe(0);
    expect(records(run.messages)).toEqual([]);
    const [error] = traceErrors(run.messages);
    expect(error.failure_type).toBe('config_error');
    expect(error.message).toMatch(/Incremental sync was asked for "customers"/);
    expect(error.message).toMatch(/"Events: Read"/);
    expect(emulator.stats().byRoute['GET /v1/customers'] ?? 0).toBe(0);
  });

  it('a connected account the key cannot reach is named as account_id, not as a permission', async () => {
    const config = configFor(emulator, { account_id: 'acct_NotConnected123' });
    const files = writeFiles({ config });
    const check = await runCli(['check', '--config', files.config as string]);
    const status = ofType(check.messages, 'CONNECTION_STATUS')[0]?.connectionStatus;
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/account_invalid/);
    expect(status.message).toMatch(/Check "Connected account ID"/);
    const read = await readCli(config, { syncMode: 'incremental' });
    const [error] = traceErrors(read.messages);
    expect(error.failure_type).toBe('config_error');
    expect(error.message).toMatch(/Check "Connected account ID"/);
    expect(error.message).not.toMatch(/Events: Read/);
  });

  it('a full refresh imports every customer', async () => {
    const run = await readCli(customersOnly(), { syncMode: 'full_refresh' });
    expect(run.exitCode).toBe(0);
    expect(records(run.messages)).toHaveLength(40);
  });
});
