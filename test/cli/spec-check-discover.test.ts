import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { ofType, runCli, writeFiles } from '../support/connector';
import { configFor } from '../support/stripe';
import { parseConfig } from '../../connector/config/config';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({
    customers: 30,
    seed: 7,
    restrictedKeys: {
      rk_test_customers_only: ['customers:read'],
      rk_test_events_only: ['events:read'],
    },
  });
});
afterAll(() => emulator.close());

const connectionStatus = async (config: unknown) => {
  const files = writeFiles({ config });
  const run = await runCli(['check', '--config', files.config as string]);
  expect(run.exitCode).toBe(0);
  const [status] = ofType(run.messages, 'CONNECTION_STATUS');
  return { ...status?.connectionStatus, stdout: run.stdout } as {
    status: string;
    message: string;
    stdout: string;
  };
};

describe('spec', () => {
  it('prints a connection specification Airbyte can render', async () => {
    const run = await runCli(['spec']);
    expect(run.exitCode).toBe(0);
    const [message] = run.messages;
    expect(message?.type).toBe('SPEC');
    const spec = message?.spec.connectionSpecification;
    expect(spec.required).toEqual(['api_key']);
    expect(spec.properties.api_key.airbyte_secret).toBe(true);
    expect(Object.keys(spec.properties)).toEqual(
      expect.arrayContaining([
        'api_key',
        'account_id',
        'start_date',
        'api_base_url',
        'pipelines',
        'customer_model',
      ]),
    );
    // Airbyte's UI cannot render these combinators; a oneOf only with one const discriminator
    // (test/spec/spec-rules.test.ts applies all of Airbyte's rules).
    expect(JSON.stringify(spec)).not.toMatch(/"(anyOf|allOf|\$ref)"/);
  });
});

describe('check', () => {
  it('succeeds with a working key', async () => {
    const status = await connectionStatus(configFor(emulator));
    expect(status.status).toBe('SUCCEEDED');
    expect(status.message).toMatch(/customers and events are readable/);
  });

  it('fails with a clear message for a key Stripe rejects, without printing the key', async () => {
    const key = 'sk_test_CanaryKey1234567890';
    const status = await connectionStatus({ ...configFor(emulator), api_key: key });
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/rejected the API key \(HTTP 401, invalid_request_error\)/);
    expect(status.message).toMatch(/Check "API key": use a secret key/);
    expect(status.stdout).not.toContain('CanaryKey');
    expect(status.stdout).not.toContain('7890');
  });

  it('names the permission a restricted key lacks', async () => {
    const status = await connectionStatus({
      ...configFor(emulator),
      api_key: 'rk_test_events_only',
    });
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/may not read customers \(HTTP 403, invalid_request_error\)/);
    expect(status.message).toMatch(/"Customers: Read" permission/);
  });

  it('succeeds with a Customers-only key, saying what works and how to enable incremental', async () => {
    const status = await connectionStatus({
      ...configFor(emulator),
      api_key: 'rk_test_customers_only',
    });
    expect(status.status).toBe('SUCCEEDED');
    expect(status.message).toMatch(/customers are readable, so full imports work/);
    expect(status.message).toMatch(/may not read events/);
    expect(status.message).toMatch(/"Events: Read"/);
    expect(status.message).toMatch(/Dashboard > Developers > API keys/);
    const fullOnly = await connectionStatus({
      ...configFor(emulator),
      api_key: 'rk_test_customers_only',
      pipelines: [{ name: 'customers', incremental: false }],
    });
    expect(fullOnly.status).toBe('SUCCEEDED');
  });

  it('reports an unreachable API', async () => {
    const status = await connectionStatus({
      ...configFor(emulator),
      api_base_url: 'http://127.0.0.1:9',
    });
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/Could not reach the Stripe API/);
    expect(status.message).toMatch(/\(and "API base URL" if set\)/);
  });

  it('reports a config file that is not JSON', async () => {
    const files = writeFiles({ config: '{"api_key": "sk_test_x",' });
    const run = await runCli(['check', '--config', files.config as string]);
    const [status] = ofType(run.messages, 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toMatch(/--config file .* is not valid JSON/);
  });

  it('names missing and malformed fields', async () => {
    const missing = await connectionStatus({ api_base_url: emulator.url });
    expect(missing.message).toMatch(
      /^API key: missing \(required\)\. Give a Stripe secret or restricted key/,
    );
    const malformed = await connectionStatus({
      api_key: 'pk_test_publishable',
      account_id: 'not-an-account',
      lookback_window_days: 90,
    });
    expect(malformed.message).toMatch(/^The config has 3 problems:/);
    expect(malformed.message).toMatch(/\n- API key: malformed\. A Stripe secret key/);
    expect(malformed.message).toMatch(/\n- Connected account ID: malformed/);
    expect(malformed.message).toMatch(/\n- Lookback window \(days\): must be <= 29/);
    expect(malformed.stdout).not.toContain('pk_test_publishable');
  });

  it('accepts a date-only start_date, and says how to write a malformed one', async () => {
    const dateOnly = await connectionStatus({ ...configFor(emulator), start_date: '2024-01-01' });
    expect(dateOnly.status).toBe('SUCCEEDED');
    const malformed = await connectionStatus({ ...configFor(emulator), start_date: '01/02/2024' });
    expect(malformed.status).toBe('FAILED');
    expect(malformed.message).toContain(
      'Start date: malformed. A UTC date like 2024-01-01 or a date-time like 2024-01-01T00:00:00Z',
    );
  });
});

describe('discover', () => {
  it('offers one stream of customers with primary key and cursor', async () => {
    const files = writeFiles({ config: configFor(emulator) });
    const run = await runCli(['discover', '--config', files.config as string]);
    expect(run.exitCode).toBe(0);
    const [catalog] = ofType(run.messages, 'CATALOG');
    const [stream] = catalog?.catalog.streams;
    expect(stream).toMatchObject({
      name: 'customers',
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['updated'],
      source_defined_primary_key: [['id']],
    });
    expect(Object.keys(stream.json_schema.properties)).toEqual(
      expect.arrayContaining([
        'id',
        'email',
        'address',
        'metadata',
        'invoice_settings',
        'shipping',
        'updated',
        '_ab_cdc_deleted_at',
      ]),
    );
  });

  it('types the columns of a mapping without a Customer Model', async () => {
    const files = writeFiles({
      config: {
        ...configFor(emulator),
        pipelines: [
          {
            name: 'mapped',
            transformation: {
              type: 'mapping',
              mappings: [
                { to: 'email', from: 'lower(email)' },
                { to: 'country', from: 'address.country' },
                { to: 'signed_up', from: 'created' },
                { to: 'locales', from: 'preferred_locales' },
                { to: 'anything', from: 'json_parse(metadata.extra)' },
              ],
            },
          },
        ],
      },
    });
    const run = await runCli(['discover', '--config', files.config as string]);
    expect(run.exitCode).toBe(0);
    const [catalog] = ofType(run.messages, 'CATALOG');
    const [stream] = catalog?.catalog.streams;
    expect(stream).toMatchObject({ name: 'mapped', source_defined_primary_key: [['_stripe_id']] });
    const properties = stream.json_schema.properties;
    expect(Object.keys(properties)).toEqual([
      'email',
      'country',
      'signed_up',
      'locales',
      'anything',
      '_stripe_id',
      '_stripe_updated',
      '_stripe_is_deleted',
      '_ab_cdc_deleted_at',
    ]);
    expect(properties.email).toEqual({ type: ['null', 'string'] });
    expect(properties.country).toEqual({ type: ['null', 'string'] });
    expect(properties.signed_up).toEqual({ type: ['null', 'integer'] });
    expect(properties.locales).toMatchObject({
      type: ['null', 'array'],
      items: { type: 'string' },
    });
    expect(properties.anything).toEqual({});
  });

  it('fails with a config_error trace for an invalid config', async () => {
    const files = writeFiles({ config: { api_key: 42 } });
    const run = await runCli(['discover', '--config', files.config as string]);
    expect(run.exitCode).not.toBe(0);
    const [trace] = ofType(run.messages, 'TRACE');
    expect(trace?.trace.error.failure_type).toBe('config_error');
    expect(trace?.trace.error.message).toMatch(/^API key: must be string/);
  });

  it('rejects unknown commands and missing flags with usage', async () => {
    const run = await runCli(['read', '--config', 'x.json']);
    expect(run.exitCode).not.toBe(0);
    const [trace] = ofType(run.messages, 'TRACE');
    expect(trace?.trace.error.message).toMatch(/--catalog/);
    expect(trace?.trace.error.failure_type).toBe('config_error');
  });
});

describe('config', () => {
  const base = { api_key: 'sk_test_config' };

  it('refuses pipeline names that differ only in case (they name one warehouse table)', () => {
    expect(() =>
      parseConfig({ ...base, pipelines: [{ name: 'Customers' }, { name: 'customers' }] }),
    ).toThrow(
      'pipelines[1] ("customers").name: "customers" clashes with pipelines[0] ("Customers"), which differs only in upper/lower case. Rename one of them: every pipeline needs its own name, whatever its case (it names the stream and the destination table).',
    );
    expect(() =>
      parseConfig({ ...base, pipelines: [{ name: 'eu' }, { name: 'us' }, { name: 'eu' }] }),
    ).toThrow(
      'pipelines[2] ("eu").name: "eu" is already used by pipelines[0] ("eu"). Rename one of them: every pipeline needs its own name',
    );
  });

  it('reads a date-only start_date as that day at 00:00 UTC', () => {
    expect(parseConfig({ ...base, start_date: '2024-01-01' }).startDate).toBe(1_704_067_200);
    expect(parseConfig({ ...base, start_date: '2024-01-01T00:00:00Z' }).startDate).toBe(
      1_704_067_200,
    );
    expect(parseConfig({ ...base, start_date: '2024-02-29T01:00:00+02:00' }).startDate).toBe(
      1_709_161_200,
    );
  });

  it('refuses a start_date the calendar does not have, instead of rolling it over', () => {
    for (const start_date of ['2024-02-30', '2023-02-29', '2024-13-01', '2024-04-31T00:00:00Z'])
      expect(() => parseConfig({ ...base, start_date }), start_date).toThrow(
        'start_date: not a real date. Write a UTC date like 2024-01-01',
      );
  });
});
