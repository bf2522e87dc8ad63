/**
 * The package as n8n sees it: package.json for community packages, what n8n's loader makes of
 * the built files (codex, icons, Poll Times), parameters that offer exactly what the engine
 * accepts, and the credential test of the credential dialog.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { INodeProperties, INodePropertyCollection } from 'n8n-workflow';
import { OPERATORS } from '../../connector';
import { listFilterableProperties } from '../../connector/filter';
import { MODEL_TYPES } from '../../connector/model';
import { startEmulator, type RunningEmulator } from '../emulator';
import { TEST_KEY } from '../support/stripe';
import { ACTION, loadPackage, TRIGGER, type LoadedPackage } from './support/n8n';

let pkg: LoadedPackage;
let emulator: RunningEmulator;

beforeAll(async () => {
  [pkg, emulator] = await Promise.all([
    loadPackage(),
    startEmulator({
      customers: 5,
      seed: 2,
      restrictedKeys: {
        rk_test_customers_only: ['customers:read'],
        rk_test_nothing: [],
      },
      accounts: { acct_connected_test: { customers: 2, seed: 3 } },
    }),
  ]);
});

afterAll(async () => {
  await emulator?.close();
  pkg?.remove();
});

const packageJson = JSON.parse(
  readFileSync(join(__dirname, '../../n8n-node/package.json'), 'utf8'),
) as Record<string, any>;

function conditionFields(properties: INodeProperties[]): Map<string, INodeProperties> {
  const conditions = properties.find((property) => property.name === 'filterConditions');
  const values = (conditions?.options?.[0] as INodePropertyCollection).values;
  return new Map(values.map((value) => [value.name, value]));
}

describe('package.json', () => {
  it('is a community node package pointing at the built files, with no runtime dependencies', () => {
    expect(packageJson.name).toBe('n8n-nodes-stripe-customers');
    expect(packageJson.keywords).toContain('n8n-community-node-package');
    expect(packageJson.files).toEqual(['dist']);
    expect(packageJson.dependencies).toBeUndefined();
    expect(packageJson.peerDependencies).toEqual({ 'n8n-workflow': '*' });
    expect(packageJson.n8n).toMatchObject({ n8nNodesApiVersion: 1, strict: true });
    for (const file of [
      ...packageJson.n8n.nodes,
      ...packageJson.n8n.credentials,
      packageJson.main,
    ]) {
      expect(existsSync(join(pkg.dir, file)), file).toBe(true);
    }
  });
});

describe('license', () => {
  it('ships the MIT license its package.json declares, in the published files', () => {
    expect(packageJson.license).toBe('MIT');
    const license = readFileSync(join(__dirname, '../../n8n-node/LICENSE'), 'utf8');
    expect(license).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} source-stripe-customers contributors\n/,
    );
    // npm always packs a LICENSE file at the package root, whatever "files" says.
  });
});

describe('as loaded by n8n', () => {
  it('loads both nodes and the credential with their codex and icons', () => {
    const action = pkg.nodeType(ACTION).description;
    const trigger = pkg.nodeType(TRIGGER).description;
    expect(action).toMatchObject({
      displayName: 'Stripe Customers',
      usableAsTool: true,
      codex: { categories: ['Finance & Accounting', 'Sales'] },
      iconUrl: {
        light: 'icons/n8n-nodes-stripe-customers/dist/nodes/StripeCustomers/stripeCustomers.svg',
        dark: 'icons/n8n-nodes-stripe-customers/dist/nodes/StripeCustomers/stripeCustomers.dark.svg',
      },
    });
    expect(trigger).toMatchObject({ displayName: 'Stripe Customers Trigger', polling: true });
    expect(trigger.inputs).toEqual([]);
    const credential = pkg.loader.getCredential('stripeCustomersApi').type;
    expect(credential.properties.map((property) => property.name)).toEqual([
      'apiKey',
      'accountId',
      'apiBaseUrl',
    ]);
    expect(credential.properties[0]?.typeOptions?.password).toBe(true);
  });

  it('gives the trigger n8n’s Poll Times schedule (every minute by default, or a cron)', () => {
    const pollTimes = pkg.nodeType(TRIGGER).description.properties[0]!;
    expect(pollTimes).toMatchObject({
      name: 'pollTimes',
      type: 'fixedCollection',
      default: { item: [{ mode: 'everyMinute' }] },
    });
    const modes = (pollTimes.options?.[0] as INodePropertyCollection).values
      .find((value) => value.name === 'mode')
      ?.options?.map((option) => (option as { value: string }).value);
    expect(modes).toEqual(
      expect.arrayContaining([
        'everyMinute',
        'everyHour',
        'everyDay',
        'everyWeek',
        'everyMonth',
        'everyX',
        'custom',
      ]),
    );
  });

  it('offers every operator, filterable property and model type of the engine', () => {
    for (const type of [ACTION, TRIGGER]) {
      const properties = pkg.nodeType(type).description.properties;
      const fields = conditionFields(properties);
      const values = (name: string) =>
        (fields.get(name)?.options ?? []).map((option) => (option as { value: string }).value);
      expect(values('operator')).toEqual(OPERATORS.map((operator) => operator.id));
      expect(values('property')).toEqual([
        ...listFilterableProperties().map((property) => property.path),
        '__custom',
      ]);
      const model = properties.find((property) => property.name === 'customerModel');
      const modelFields = (model?.options?.[0] as INodePropertyCollection).values;
      expect(
        modelFields
          .find((field) => field.name === 'type')
          ?.options?.map((option) => (option as { value: string }).value),
      ).toEqual([...MODEL_TYPES]);
      // Value fields appear for the operators that take them.
      const shownFor = (name: string) => fields.get(name)?.displayOptions?.show?.operator;
      expect(shownFor('value')).toContain('contains');
      expect(shownFor('values')).toEqual(['is_one_of', 'is_not_one_of']);
      expect(shownFor('low')).toEqual(['is_between', 'is_not_between']);
    }
  });
});

describe('credential test', () => {
  it('passes for a working key, naming the mode', async () => {
    const result = await pkg.testCredential({ apiKey: TEST_KEY, apiBaseUrl: emulator.url });
    expect(result).toEqual({
      status: 'OK',
      message: expect.stringMatching(/Connected to Stripe \(test mode\).*customers and events/),
    });
  });

  it('fails with Stripe’s reason and the fix', async () => {
    const wrong = await pkg.testCredential({ apiKey: 'sk_test_nope', apiBaseUrl: emulator.url });
    expect(wrong.status).toBe('Error');
    expect(wrong.message).toMatch(/Stripe rejected the API key/);

    const malformed = await pkg.testCredential({ apiKey: 'pk_test_123', apiBaseUrl: emulator.url });
    expect(malformed.status).toBe('Error');
    expect(malformed.message).toMatch(/api_key/);

    const nothing = await pkg.testCredential({
      apiKey: 'rk_test_nothing',
      apiBaseUrl: emulator.url,
    });
    expect(nothing.message).toContain('Customers: Read');
  });

  it('sends each request once: a rejected key costs one request, not a second check', async () => {
    emulator.resetStats();
    const wrong = await pkg.testCredential({ apiKey: 'sk_test_nope', apiBaseUrl: emulator.url });
    expect(wrong.status).toBe('Error');
    expect(emulator.stats().requests).toBe(1);
  });

  it('returns at once with a clear message when the API base URL cannot be reached', async () => {
    // A port nobody listens on: the connection is refused.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    const started = Date.now();
    const result = await pkg.testCredential({
      apiKey: TEST_KEY,
      apiBaseUrl: `http://127.0.0.1:${port}`,
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result).toEqual({
      status: 'Error',
      message: expect.stringMatching(/Could not reach the Stripe API/),
    });
  });

  it('gives up after a short timeout when the API base URL does not answer', async () => {
    // Accepts connections and never answers, like a black-holed proxy.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const result = await pkg.testCredential({
        apiKey: TEST_KEY,
        apiBaseUrl: `http://127.0.0.1:${port}`,
      });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.status).toBe('Error');
      expect(result.message).toMatch(/Could not reach the Stripe API/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);

  it('says what works when only the events permission is missing', async () => {
    const result = await pkg.testCredential({
      apiKey: 'rk_test_customers_only',
      apiBaseUrl: emulator.url,
    });
    expect(result.status).toBe('Error');
    expect(result.message).toContain('Events: Read');
    expect(result.message).toContain('Customers are readable');
  });
});

describe('credential authentication for other Stripe calls (HTTP Request node)', () => {
  it('sends the key as a Bearer token, and Stripe-Account when a connected account is set', async () => {
    const request = { url: `${emulator.url}/v1/customers`, method: 'GET' as const, headers: {} };
    const own = await pkg.authenticateRequest(
      { apiKey: TEST_KEY, accountId: '', apiBaseUrl: emulator.url },
      request,
    );
    expect(own.headers).toEqual({ Authorization: `Bearer ${TEST_KEY}` });

    const connected = await pkg.authenticateRequest(
      { apiKey: TEST_KEY, accountId: 'acct_connected_test', apiBaseUrl: emulator.url },
      request,
    );
    expect(connected.headers).toEqual({
      Authorization: `Bearer ${TEST_KEY}`,
      'Stripe-Account': 'acct_connected_test',
    });
    // Stripe (here the emulator) answers with the connected account's customers.
    const list = async (headers: Record<string, string>) =>
      ((await (await fetch(request.url, { headers })).json()) as { data: unknown[] }).data;
    expect(await list(connected.headers as Record<string, string>)).toHaveLength(2);
    expect(await list(own.headers as Record<string, string>)).toHaveLength(5);
  });
});
