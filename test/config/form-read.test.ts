import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import {
  logs,
  ofType,
  readCli,
  runCli,
  stateFileFrom,
  traceErrors,
  writeFiles,
  type Message,
} from '../support/connector';
import { configFor, listAllCustomers, sdkFor, settle } from '../support/stripe';
import { FORM_MODEL, LEGACY_MODEL, formPipelines, legacyPipelines } from './shapes';

const STREAMS = ['nested', 'flat', 'raw'];
/** The cursor stamps when a row was observed, which differs from run to run. */
const CURSORS = ['updated', '_stripe_updated'];

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ customers: 120, seed: 11 });
});
afterAll(() => emulator.close());

const legacyConfig = () =>
  configFor(emulator, { customer_model: LEGACY_MODEL, pipelines: legacyPipelines() });
const formConfig = () =>
  configFor(emulator, { customer_model: FORM_MODEL, pipelines: formPipelines() });

function recordsByStream(messages: Message[]): Record<string, unknown[]> {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const { record } of ofType(messages, 'RECORD')) {
    const data = Object.fromEntries(
      Object.entries(record.data as Record<string, unknown>).filter(([k]) => !CURSORS.includes(k)),
    );
    (out[record.stream] ??= []).push(data);
  }
  const key = (r: Record<string, unknown>) => String(r._stripe_id ?? r.id);
  for (const list of Object.values(out)) list.sort((a, b) => key(a).localeCompare(key(b)));
  return out;
}

describe('a config in the JSON shape and the same one in the form’s shape', () => {
  let legacyRun: Message[];

  it('read the same records', async () => {
    const legacy = await readCli(legacyConfig(), { streams: STREAMS });
    const form = await readCli(formConfig(), { streams: STREAMS });
    expect(traceErrors(legacy.messages)).toEqual([]);
    expect(traceErrors(form.messages)).toEqual([]);
    legacyRun = legacy.messages;
    const expected = recordsByStream(legacy.messages);
    expect(recordsByStream(form.messages)).toEqual(expected);

    // The filters select some customers and leave others out, and the model shapes the rows.
    const total = (await listAllCustomers(sdkFor(emulator))).length;
    for (const stream of STREAMS) {
      expect(expected[stream]?.length, stream).toBeGreaterThan(0);
      expect(expected[stream]?.length, stream).toBeLessThan(total);
    }
    const row = expected.flat?.[0] as Record<string, unknown>;
    expect(Object.keys(row)).toEqual(
      expect.arrayContaining(['email', 'country', 'balance', 'amounts', 'tags', 'matrix']),
    );
    expect(row.amounts).toEqual([row.balance]);
    expect(row.matrix).toBeNull();
  });

  it('read records that fit the stream schemas `discover` publishes', async () => {
    const files = writeFiles({ config: formConfig() });
    const run = await runCli(['discover', '--config', files.config as string]);
    const [catalog] = ofType(run.messages, 'CATALOG');
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const schemas = new Map(
      (catalog?.catalog.streams as Array<{ name: string; json_schema: object }>).map((s) => [
        s.name,
        ajv.compile(s.json_schema),
      ]),
    );
    const records = ofType(legacyRun, 'RECORD');
    expect(records.length).toBeGreaterThan(0);
    for (const { record } of records) {
      const validate = schemas.get(record.stream)!;
      expect(validate(record.data), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('share saved states: moving a config to the form’s shape keeps reading changes only', async () => {
    const stripe = sdkFor(emulator);
    const [someone] = await listAllCustomers(stripe);
    await stripe.customers.update(someone!.id, {
      metadata: { plan: 'enterprise' },
      address: { country: 'FR' },
      name: 'Ada Form',
    });
    settle(emulator);
    const moved = await readCli(formConfig(), {
      streams: STREAMS,
      state: stateFileFrom(legacyRun),
    });
    expect(traceErrors(moved.messages)).toEqual([]);
    expect(logs(moved.messages).join('\n')).not.toMatch(/changed since the last run/);
    const changed = recordsByStream(moved.messages);
    expect(changed.nested?.map((r) => (r as { _stripe_id: string })._stripe_id)).toEqual([
      someone!.id,
    ]);
  });
});
