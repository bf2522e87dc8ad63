/**
 * The package as n8n sees it: package.json ready for `npm publish` as a community package, what
 * n8n's loader makes of the built files (codex, icons, Poll Times), the panels' parameters (what
 * they offer, when they show, in which words), and the credential test of the credential dialog.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { INodeProperties, INodePropertyCollection, INodePropertyOptions } from 'n8n-workflow';
import { listFilterableProperties, MODEL_TYPES, OPERATORS } from '../../connector';
import { startEmulator, type RunningEmulator } from '../emulator';
import { TEST_KEY } from '../support/stripe';
import { ACTION, loadPackage, n8nWorkflow, TRIGGER, type LoadedPackage } from './support/n8n';

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

const PACKAGE_DIR = join(__dirname, '../../n8n-node');
const packageJson = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as Record<
  string,
  any
>;
const REPOSITORY = 'https://github.com/source-stripe-customers/source-stripe-customers';

/** The values of a fixedCollection's one kind of row, every declaration of each name included. */
function rowFields(properties: INodeProperties[], name: string): INodeProperties[] {
  return properties
    .filter((property) => property.name === name)
    .flatMap((property) => (property.options?.[0] as INodePropertyCollection).values);
}

const optionValues = (property: INodeProperties | undefined) =>
  (property?.options ?? []).map((option) => (option as INodePropertyOptions).value);

/** Whether n8n shows `parameter` for these values of its siblings (and of the root). */
function shown(
  parameter: INodeProperties,
  values: Record<string, unknown>,
  root: Record<string, unknown> = values,
): boolean {
  return n8nWorkflow.NodeHelpers.displayParameter(
    values as never,
    parameter,
    null,
    null,
    root as never,
  );
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

  it('is ready for `npm publish --provenance`: real author and contact, repository, no placeholders', () => {
    expect(packageJson.author).toEqual({
      name: 'Stripe Customers Connector maintainers',
      url: `${REPOSITORY}/issues`,
    });
    expect(packageJson.bugs).toEqual({ url: `${REPOSITORY}/issues` });
    expect(packageJson.homepage).toBe(`${REPOSITORY}/tree/main/n8n-node#readme`);
    // Provenance ties the tarball to the repository and the folder it was built from.
    expect(packageJson.repository).toEqual({
      type: 'git',
      url: `git+${REPOSITORY}.git`,
      directory: 'n8n-node',
    });
    expect(packageJson.publishConfig).toEqual({ access: 'public', provenance: true });
    // A publish always ships a fresh build that passed n8n's lint.
    expect(packageJson.scripts.prepublishOnly).toBe('tsx scripts/build.ts && eslint .');
    expect(JSON.stringify(packageJson)).not.toMatch(/noreply|example\.com|REPLACE|TODO|<.*>/i);
  });
});

describe('license', () => {
  it('ships the MIT license its package.json declares, in the published files', () => {
    expect(packageJson.license).toBe('MIT');
    const license = readFileSync(join(PACKAGE_DIR, 'LICENSE'), 'utf8');
    expect(license).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} Stripe Customers Connector maintainers\n/,
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
      'permissionsNotice',
      'accountId',
      'apiBaseUrl',
    ]);
    // n8n shows no message when Test passes: the permissions are explained in the form itself.
    expect(credential.properties[1]).toMatchObject({
      type: 'notice',
      displayName: expect.stringMatching(
        /"Customers: Read".*Trigger and "Only Changed Since Last Run" also need "Events: Read"/,
      ),
    });
    expect(credential.properties[0]?.typeOptions?.password).toBe(true);
  });

  it('gives the trigger n8n’s Poll Times schedule (every minute by default, or a cron)', () => {
    const pollTimes = pkg.nodeType(TRIGGER).description.properties[0]!;
    expect(pollTimes).toMatchObject({
      name: 'pollTimes',
      type: 'fixedCollection',
      default: { item: [{ mode: 'everyMinute' }] },
    });
    const modes = optionValues(
      (pollTimes.options?.[0] as INodePropertyCollection).values.find(
        (value) => value.name === 'mode',
      ),
    );
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
});

describe('the conditions', () => {
  const conditionFields = (type: string) =>
    rowFields(pkg.nodeType(type).description.properties, 'filterConditions');

  it('offer the customer’s fields that hold a value, not whole objects nor `object`', () => {
    for (const type of [ACTION, TRIGGER]) {
      const property = conditionFields(type).find((field) => field.name === 'property');
      const offered = optionValues(property);
      const expected = listFilterableProperties()
        .filter((p) => p.type !== 'object' && !/(^|\.)object$/.test(p.path))
        .map((p) => p.path);
      expect(offered).toEqual([...expected, '__custom']);
      expect(offered).not.toContain('object');
      expect(offered).not.toContain('address');
      expect(offered).toEqual(expect.arrayContaining(['email', 'address.city', 'metadata.<key>']));
      // The Operator's options depend on it: no expression switch there.
      expect(property?.noDataExpression).toBe(true);
    }
  });

  it('offer the operators that fit the chosen property’s type, by their names; any for a typed path', () => {
    const fields = conditionFields(ACTION);
    const operatorFields = fields.filter((field) => field.name === 'operator');
    const properties = listFilterableProperties().filter(
      (p) => p.type !== 'object' && !/(^|\.)object$/.test(p.path),
    );
    for (const property of properties) {
      const shownFor = operatorFields.filter((field) => shown(field, { property: property.path }));
      expect(shownFor, property.path).toHaveLength(1);
      const expected = OPERATORS.filter((operator) => operator.types.includes(property.type));
      expect(optionValues(shownFor[0]), property.path).toEqual(expected.map((o) => o.id));
    }
    const byName = new Map(
      OPERATORS.map((operator) => [operator.id as string, operator.label as string]),
    );
    expect(byName.get('is_true')).toBe('is true');
    const forBoolean = operatorFields.find((field) => shown(field, { property: 'delinquent' }))!;
    expect(forBoolean.options).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: 'is_true', name: 'Is True' }),
        expect.objectContaining({ value: 'is', name: 'Is' }),
      ]),
    );
    expect(optionValues(forBoolean)).not.toContain('contains');
    const forDate = operatorFields.find((field) => shown(field, { property: 'created' }))!;
    expect(forDate.options).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: 'is_on_or_after', name: 'Is On or After' }),
      ]),
    );
    expect(optionValues(forDate)).not.toContain('starts_with');
    // Other (Type a Path): the type is not known, every operator is offered.
    const forPath = operatorFields.filter((field) => shown(field, { property: '__custom' }));
    expect(forPath.map(optionValues)).toEqual([OPERATORS.map((operator) => operator.id)]);
    // Descriptions speak the panel's words too.
    expect(JSON.stringify(operatorFields)).not.toMatch(/case_sensitive/);
  });

  it('show Value, Values or From/To for the operators that take them', () => {
    const fields = conditionFields(ACTION);
    const visible = (values: Record<string, unknown>) =>
      fields.filter((field) => shown(field, values)).map((field) => field.displayName);
    expect(visible({ property: 'email', operator: 'contains' })).toEqual([
      'Property',
      'Operator',
      'Value',
      'Case Sensitive',
    ]);
    expect(visible({ property: 'balance', operator: 'is' })).toEqual([
      'Property',
      'Operator',
      'Value',
    ]);
    expect(visible({ property: 'created', operator: 'is_between' })).toEqual([
      'Property',
      'Operator',
      'From',
      'To',
    ]);
    expect(visible({ property: 'metadata.<key>', operator: 'is_one_of' })).toEqual([
      'Property',
      'Key',
      'Operator',
      'Values',
      'Case Sensitive',
    ]);
    expect(visible({ property: 'delinquent', operator: 'is_true' })).toEqual([
      'Property',
      'Operator',
    ]);
  });
});

describe('the Output and the Customer Model', () => {
  const properties = () => pkg.nodeType(ACTION).description.properties;
  const visibleTop = (values: Record<string, unknown>) =>
    properties()
      .filter((property) => shown(property, values))
      .map((property) => property.name);

  it('Mapped Fields: one row per field with name, type and From; no second list to fill', () => {
    const output = { transformation: 'mapping', modelMode: 'fields' };
    expect(visibleTop(output)).toEqual(expect.arrayContaining(['customerModel', 'onError']));
    expect(visibleTop(output)).not.toContain('mappings');
    const model = properties().filter(
      (property) => property.name === 'customerModel' && shown(property, output),
    );
    expect(model).toHaveLength(1);
    const row = (model[0]!.options?.[0] as INodePropertyCollection).values;
    expect(row.map((field) => field.name)).toEqual([
      'name',
      'type',
      'from',
      'precision',
      'scale',
      'elementType',
      'fieldOptions',
    ]);
    // A row is Name, Type and From; the rest only for the types it concerns, or when added.
    expect(row.filter((field) => shown(field, { type: 'string' })).map((f) => f.name)).toEqual([
      'name',
      'type',
      'from',
      'fieldOptions',
    ]);
    const fieldOptions = row.find((field) => field.name === 'fieldOptions')!;
    expect(fieldOptions.type).toBe('collection');
    expect((fieldOptions.options as INodeProperties[]).map((option) => option.name)).toEqual([
      'nullable',
      'description',
    ]);
    // From speaks one language: the mapping language, with examples, and no expression switch.
    const from = row.find((field) => field.name === 'from')!;
    expect(from.noDataExpression).toBe(true);
    expect(from.hint).toMatch(/^Mapping language, not an n8n expression: .*lower\(trim\(email\)\)/);
  });

  it('code: the model rows have no From, and the code options show only when code runs', () => {
    const javascript = { transformation: 'javascript', modelMode: 'fields' };
    const model = properties().filter(
      (property) => property.name === 'customerModel' && shown(property, javascript),
    );
    expect(model).toHaveLength(1);
    const row = (model[0]!.options?.[0] as INodePropertyCollection).values;
    expect(row.map((field) => field.name)).not.toContain('from');
    expect(visibleTop(javascript)).toEqual(
      expect.arrayContaining(['javascriptCode', 'codeOptions', 'modelMode']),
    );
    for (const transformation of ['none', 'mapping']) {
      expect(visibleTop({ transformation, modelMode: 'fields' })).not.toContain('codeOptions');
    }
    const options = properties().find((property) => property.name === 'options')!;
    expect((options.options as INodeProperties[]).map((option) => option.name)).toEqual([
      'startDate',
      'requestsPerSecond',
      'maxShareOfRateLimits',
      'useSearchApi',
    ]);
  });

  it('names every model type as n8n users read them, and offers all the engine’s', () => {
    const type = rowFields(properties(), 'customerModel').find((field) => field.name === 'type')!;
    expect(optionValues(type)).toEqual([...MODEL_TYPES]);
    const names = (type.options as INodePropertyOptions[]).map((option) => option.name);
    expect(names).toEqual(expect.arrayContaining(['UUID', 'IP Address', 'JSON', 'Date & Time']));
    expect(names.join()).not.toMatch(/Uuid|Ip\b|Json/);
  });

  it('labels no parameter with a unit in title case or an engine key', () => {
    const labels = JSON.stringify([
      pkg.nodeType(ACTION).description.properties,
      pkg.nodeType(TRIGGER).description.properties,
    ]);
    expect(labels).not.toMatch(/\(Ms\)|Uuid|"Ip"|the Airbyte connector/);
    expect(labels).toContain('Code Timeout per Customer (Milliseconds)');
  });

  it('"Only Changed Since Last Run" shows its preview limit and a notice of what production does', () => {
    const visible = visibleTop({ onlyChanged: true, returnAll: false });
    expect(visible).toEqual(expect.arrayContaining(['onlyChangedNotice', 'previewLimit']));
    expect(visible).not.toContain('limit');
    const notice = properties().find((property) => property.name === 'onlyChangedNotice')!;
    expect(notice.type).toBe('notice');
    expect(notice.displayName).toMatch(/A manual run here shows a preview of up to Preview Limit/);
    expect(visibleTop({ onlyChanged: false, returnAll: false })).not.toContain('previewLimit');
  });
});

describe('credential test', () => {
  it('passes for a working key, naming the mode and what works', async () => {
    const result = await pkg.testCredential({ apiKey: TEST_KEY, apiBaseUrl: emulator.url });
    expect(result).toEqual({
      status: 'OK',
      message:
        'Connected to Stripe (test mode): customers and events are readable, so full and incremental imports both work. In n8n both nodes work, the Stripe Customers Trigger and "Only Changed Since Last Run" included.',
    });
  });

  it('passes for a Customers-only restricted key, saying what needs Events: Read and how to enable it', async () => {
    const result = await pkg.testCredential({
      apiKey: 'rk_test_customers_only',
      apiBaseUrl: emulator.url,
    });
    expect(result.status).toBe('OK');
    expect(result.message).toBe(
      'Connected to Stripe (test mode): customers are readable, so full imports work. This API key may not read events, so only full imports are possible: incremental imports read changes from Stripe\'s event log and need the "Events: Read" permission. To enable them: Dashboard > Developers > API keys > (your restricted key) > Edit, set "Events" (under "All core resources") to Read, and save. In n8n the Stripe Customers node imports customers with this key; the Stripe Customers Trigger and "Only Changed Since Last Run" need "Events: Read".',
    );
  });

  it('fails with Stripe’s reason and the fix, in the credential’s words', async () => {
    const wrong = await pkg.testCredential({ apiKey: 'sk_test_nope', apiBaseUrl: emulator.url });
    expect(wrong.status).toBe('Error');
    expect(wrong.message).toMatch(
      /Stripe rejected the API key.*Check the credential’s "Secret or Restricted Key"/,
    );

    const malformed = await pkg.testCredential({ apiKey: 'pk_test_123', apiBaseUrl: emulator.url });
    expect(malformed.status).toBe('Error');
    expect(malformed.message).toMatch(/^The credential’s "Secret or Restricted Key": malformed\./);
    expect(malformed.message).not.toContain('api_key');

    const nothing = await pkg.testCredential({
      apiKey: 'rk_test_nothing',
      apiBaseUrl: emulator.url,
    });
    expect(nothing.status).toBe('Error');
    expect(nothing.message).toContain('Customers: Read');
  });

  it('sends each request once: a rejected key costs one request, not a second check', async () => {
    emulator.resetStats();
    const wrong = await pkg.testCredential({ apiKey: 'sk_test_nope', apiBaseUrl: emulator.url });
    expect(wrong.status).toBe('Error');
    expect(emulator.stats().requests).toBe(1);
  });

  it('does not wait out a rate limit: a 429 is answered at once, saying what to do', async () => {
    emulator.resetStats();
    // Stripe asks to come back in five minutes: the test is not the place to wait for that.
    emulator.setFaults({ failNext: [{ status: 429, path: 'GET /v1/customers', retryAfter: 300 }] });
    const started = Date.now();
    const result = await pkg.testCredential({ apiKey: TEST_KEY, apiBaseUrl: emulator.url });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toEqual({
      status: 'Error',
      message: expect.stringMatching(/^Stripe answered 429 \(rate limit\).*Test again in a minute/),
    });
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

  it('ends within its 10 s deadline, both requests together, when Stripe stops answering', async () => {
    // Answers the customers request, then holds the events request open: each request alone is
    // within its own timeout, the test as a whole is not.
    const sockets: Socket[] = [];
    const halfSilent: Server = createHttpServer((request, response) => {
      if (request.url?.startsWith('/v1/customers')) {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ object: 'list', data: [], has_more: false }));
      }
    });
    halfSilent.on('connection', (socket: Socket) => sockets.push(socket));
    await new Promise<void>((resolve) => halfSilent.listen(0, '127.0.0.1', resolve));
    const port = (halfSilent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const result = await pkg.testCredential({
        apiKey: TEST_KEY,
        apiBaseUrl: `http://127.0.0.1:${port}`,
      });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(9_500);
      expect(elapsed).toBeLessThan(11_500);
      expect(result).toEqual({
        status: 'Error',
        message:
          'Stripe did not answer within 10 s. Check the credential’s "API Base URL" and the network between n8n and Stripe, then test again.',
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => halfSilent.close(resolve));
    }
  }, 30_000);
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
