import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import {
  catalogFor,
  logs,
  ofType,
  runCli,
  states,
  traceErrors,
  writeFiles,
  type Message,
} from '../support/connector';
import { configFor, listAllCustomers, sdkFor } from '../support/stripe';

const MODEL = [
  { name: 'email', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'plan', type: 'string' },
  { name: 'balance', type: 'integer' },
  { name: 'signed_up', type: 'datetime' },
];

const JS = `function transform(c) {
  if (!c.email) return null;
  return { email: c.email.trim().toLowerCase(), name: c.name || 'unknown', country: c.address && c.address.country,
           plan: c.metadata.plan, balance: c.balance, signed_up: c.created };
}`;

const PYTHON = `def transform(c):
    if not c.get("email"):
        return None
    return {"email": c["email"].strip().lower(), "name": c.get("name") or "unknown",
            "country": (c.get("address") or {}).get("country"), "plan": c["metadata"].get("plan"),
            "balance": c["balance"], "signed_up": c["created"]}
`;

const PIPELINES = [
  { name: 'raw' },
  {
    name: 'mapped',
    transformation: {
      type: 'mapping',
      mappings: [
        { to: 'email', from: 'lower(trim(email))' },
        { to: 'name', from: 'coalesce(name, "unknown")' },
        { to: 'country', from: '$.address.country' },
        { to: 'plan', from: 'metadata.plan' },
        { to: 'balance', from: 'balance' },
        { to: 'signed_up', from: 'created' },
      ],
    },
  },
  { name: 'js', transformation: { type: 'javascript', source: JS } },
  { name: 'py', transformation: { type: 'python', source: PYTHON } },
  { name: 'off', enabled: false },
];

let emulator: RunningEmulator;
let customers: Array<Record<string, any>>;
beforeAll(async () => {
  emulator = await startEmulator({ customers: 400, seed: 12 });
  emulator.advanceClock(3_600);
  customers = await listAllCustomers(sdkFor(emulator));
});
afterAll(() => emulator.close());

const recordsOf = (messages: Message[], stream: string) =>
  ofType(messages, 'RECORD')
    .filter((m) => m.record.stream === stream)
    .map((m) => m.record.data);

/** What the model record of a customer must be, computed independently from the SDK's view. */
const expected = (c: Record<string, any>) => ({
  email: c.email ? c.email.trim().toLowerCase() : null,
  name: c.name || 'unknown',
  country: c.address?.country ?? null,
  plan: c.metadata?.plan ?? null,
  balance: c.balance,
  signed_up: new Date(c.created * 1000).toISOString().replace('.000Z', 'Z'),
  _stripe_id: c.id,
});

describe('pipelines: one connection, several streams', () => {
  const config = () => configFor(emulator, { customer_model: MODEL, pipelines: PIPELINES });

  it('discover offers the enabled pipelines, mapped ones with the model schema', async () => {
    const files = writeFiles({ config: config() });
    const run = await runCli(['discover', '--config', files.config as string]);
    const streams = ofType(run.messages, 'CATALOG')[0]?.catalog.streams as Array<
      Record<string, any>
    >;
    expect(streams.map((s) => s.name)).toEqual(['raw', 'mapped', 'js', 'py']);
    const mapped = streams.find((s) => s.name === 'mapped')!;
    expect(mapped.source_defined_primary_key).toEqual([['_stripe_id']]);
    expect(mapped.default_cursor_field).toEqual(['_stripe_updated']);
    expect(mapped.json_schema.properties.signed_up).toMatchObject({ format: 'date-time' });
    expect(Object.keys(mapped.json_schema.properties)).toEqual(
      expect.arrayContaining([
        'email',
        'country',
        'plan',
        'balance',
        '_stripe_id',
        '_ab_cdc_deleted_at',
      ]),
    );
  });

  it('one read: each pipeline its own records and state, transformed the same way by mapping, JavaScript and Python', async () => {
    const files = writeFiles({
      config: config(),
      catalog: catalogFor(['raw', 'mapped', 'js', 'py', 'off'].map((name) => ({ name }))),
    });
    const run = await runCli([
      'read',
      '--config',
      files.config as string,
      '--catalog',
      files.catalog as string,
    ]);
    expect(traceErrors(run.messages)).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(recordsOf(run.messages, 'raw')).toHaveLength(customers.length);
    expect(recordsOf(run.messages, 'off')).toEqual([]);
    expect(logs(run.messages).join('\n')).toMatch(
      /Pipeline "off" is disabled in the config \(enabled pipelines: .*\); skipping it/,
    );
    const strip = (r: Record<string, any>) => {
      const { _stripe_updated, _stripe_is_deleted, _ab_cdc_deleted_at, ...rest } = r;
      expect(_stripe_is_deleted).toBe(false);
      expect(_ab_cdc_deleted_at).toBeNull();
      expect(typeof _stripe_updated).toBe('number');
      return rest;
    };
    const byId = (list: Array<Record<string, any>>) =>
      new Map(list.map((r) => [r._stripe_id, strip(r)]));
    const mapped = byId(recordsOf(run.messages, 'mapped'));
    const js = byId(recordsOf(run.messages, 'js'));
    const py = byId(recordsOf(run.messages, 'py'));
    expect(mapped.size).toBe(customers.length);
    for (const c of customers) expect(mapped.get(c.id), c.id).toEqual(expected(c));
    const withEmail = customers.filter((c) => c.email);
    expect(withEmail.length).toBeLessThan(customers.length);
    expect(js.size).toBe(withEmail.length);
    expect(py.size).toBe(withEmail.length);
    for (const c of withEmail) {
      expect(js.get(c.id), c.id).toEqual(expected(c));
      expect(py.get(c.id), c.id).toEqual(expected(c));
    }
    const stateStreams = new Set(states(run.messages).map((s) => s.stream.stream_descriptor.name));
    expect([...stateStreams].sort()).toEqual(['js', 'mapped', 'py', 'raw']);
  });

  it('on_error: skip logs the first 10 failing customers, then counts, and goes on; fail stops naming the customer', async () => {
    const throwing = {
      type: 'javascript',
      source:
        'function transform(c) { if (c.created % 3 === 0) throw new Error("created on a multiple of 3"); return { email: c.email, balance: c.balance }; }',
    };
    const model = [
      { name: 'email', type: 'string' },
      { name: 'balance', type: 'integer' },
    ];
    const rejected = customers.filter((c) => c.created % 3 === 0);
    // More than the 10 listed one by one.
    expect(rejected.length).toBeGreaterThan(10);
    const skip = writeFiles({
      config: configFor(emulator, {
        customer_model: model,
        pipelines: [{ name: 'p', transformation: throwing, on_error: 'skip' }],
      }),
      catalog: catalogFor([{ name: 'p', syncMode: 'full_refresh' }]),
    });
    const skipped = await runCli([
      'read',
      '--config',
      skip.config as string,
      '--catalog',
      skip.catalog as string,
    ]);
    expect(skipped.exitCode).toBe(0);
    expect(recordsOf(skipped.messages, 'p')).toHaveLength(customers.length - rejected.length);
    const warnings = logs(skipped.messages).filter((l) => l.includes('skipped customer'));
    expect(warnings).toHaveLength(10);
    expect(warnings[0]).toMatch(
      /^WARN Stream "p": skipped customer cus_\w+: transformation failed: .*multiple of 3/,
    );
    const closing = logs(skipped.messages).filter((l) => /skipped after errors/.test(l));
    expect(closing.slice(-2)).toEqual([
      `WARN Stream "p": ${rejected.length - 10} more customer(s) skipped after errors, not listed one by one.`,
      `WARN Stream "p": ${rejected.length} skipped after errors (on_error: skip).`,
    ]);

    const fail = writeFiles({
      config: configFor(emulator, {
        customer_model: model,
        pipelines: [{ name: 'p', transformation: throwing }],
      }),
      catalog: catalogFor([{ name: 'p', syncMode: 'full_refresh' }]),
    });
    const failed = await runCli([
      'read',
      '--config',
      fail.config as string,
      '--catalog',
      fail.catalog as string,
    ]);
    expect(failed.exitCode).not.toBe(0);
    const [error] = traceErrors(failed.messages);
    expect(error?.failure_type).toBe('config_error');
    expect(error?.message).toMatch(
      /^Stream "p": Customer cus_\w+ transformation failed: .*multiple of 3.* set "On transformation error" to "skip"/,
    );
  });

  it('check names the line of a syntax error in user code', async () => {
    const files = writeFiles({
      config: configFor(emulator, {
        customer_model: MODEL,
        pipelines: [
          {
            name: 'py',
            transformation: { type: 'python', source: 'def transform(c):\n    return {\n' },
          },
        ],
      }),
    });
    const run = await runCli(['check', '--config', files.config as string]);
    const status = ofType(run.messages, 'CONNECTION_STATUS')[0]?.connectionStatus;
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(
      /^Pipelines › row 1 \(py\) › Transformation \(Python\) › Source: line [23]: /,
    );
  });
});
