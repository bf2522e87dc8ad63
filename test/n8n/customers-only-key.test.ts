/**
 * The key the setup steps create: a restricted key with Customers: Read alone. The credential
 * test passes and says what needs Events: Read; the action node imports with it; "Only Changed
 * Since Last Run" fails at its first run and the trigger at activation (and at Fetch Test Event),
 * each saying why and how to enable the permission, before any customer is imported, never a
 * day later. Through n8n's own execution code against the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { loadPackage, type LoadedPackage } from './support/n8n';

const CUSTOMERS_ONLY = 'rk_test_customers_only';
const STEPS =
  'To enable it: Dashboard > Developers > API keys > (your restricted key) > Edit, set "Events" (under "All core resources") to Read, and save.';

let pkg: LoadedPackage;
let emulator: RunningEmulator;

const node = { credentials: { stripeCustomersApi: { id: 'customers-only', name: 'setup key' } } };

/** Requests per route since the last reset. */
const requests = () => emulator.stats().byRoute;

beforeAll(async () => {
  [pkg, emulator] = await Promise.all([
    loadPackage(),
    startEmulator({
      customers: 250,
      seed: 13,
      restrictedKeys: { [CUSTOMERS_ONLY]: ['customers:read'] },
    }),
  ]);
  await pkg.setCredential({ apiKey: CUSTOMERS_ONLY, apiBaseUrl: emulator.url }, 'customers-only');
});

afterAll(async () => {
  await emulator?.close();
  pkg?.remove();
});

describe('a restricted key with Customers: Read only', () => {
  it('passes the credential test, which says what works and what needs Events: Read', async () => {
    const result = await pkg.testCredential({ apiKey: CUSTOMERS_ONLY, apiBaseUrl: emulator.url });
    expect(result.status).toBe('OK');
    expect(result.message).toMatch(/^Connected to Stripe \(test mode\): customers are readable/);
    expect(result.message).toContain(
      'In n8n the Stripe Customers node imports customers with this key; the Stripe Customers Trigger and "Only Changed Since Last Run" need "Events: Read".',
    );
    expect(result.message).toContain(
      'To enable them: Dashboard > Developers > API keys > (your restricted key) > Edit, set "Events" (under "All core resources") to Read, and save.',
    );
  });

  it('imports every customer with the action node', async () => {
    const run = await pkg.runAction({ parameters: { returnAll: true }, node });
    expect(run.error).toBeUndefined();
    expect(run.items).toHaveLength(250);
  });

  it('fails "Only Changed Since Last Run" at its first run, before importing anything', async () => {
    for (const mode of ['trigger', 'manual'] as const) {
      emulator.resetStats();
      const run = await pkg.runAction({ parameters: { onlyChanged: true }, node, mode });
      expect(run.error).toMatchObject({ name: 'NodeApiError', httpCode: '403' });
      expect(run.error?.message).toBe(
        `"Only Changed Since Last Run" reads changes from Stripe’s event log and needs the "Events: Read" permission, which this API key lacks. Customers are readable: with "Only Changed Since Last Run" off, the node imports every matching customer. ${STEPS}`,
      );
      expect(run.items).toEqual([]);
      expect(run.staticData).toEqual({});
      // One request, the engine's, to find out: no import.
      expect(requests()).toEqual({ 'GET /v1/events': 1 });
    }
  });

  it('fails the trigger at activation, whatever its first poll, before importing anything', async () => {
    for (const firstPoll of ['startNow', 'importAll']) {
      emulator.resetStats();
      const activation = await pkg.poll({ parameters: { firstPoll }, activation: true, node });
      expect(activation.execution).toBeNull();
      expect(activation.errors).toHaveLength(1);
      expect(activation.errors[0]).toMatchObject({ name: 'NodeApiError', httpCode: '403' });
      expect(activation.errors[0]!.message).toBe(
        `The Stripe Customers Trigger reads changes from Stripe’s event log and needs the "Events: Read" permission, which this API key lacks. Customers are readable: the Stripe Customers node imports them (without "Only Changed Since Last Run"). ${STEPS}`,
      );
      // No cursor was saved: the next activation starts over.
      expect(activation.staticData['node:Stripe Customers Trigger'] ?? {}).toEqual({});
      // One request to find out, nothing else: every attempt n8n makes fails at once.
      expect(requests()).toEqual({ 'GET /v1/events': 1 });
    }
  });

  it('says so at Fetch Test Event already, since the trigger cannot run with this key', async () => {
    const sample = await pkg.fetchTestEvent({ parameters: {}, node });
    expect(sample.items).toEqual([]);
    expect(sample.error).toMatchObject({ name: 'NodeApiError', httpCode: '403' });
    expect(sample.error?.message).toMatch(/^The Stripe Customers Trigger reads changes/);
  });

  it('is refused by n8n’s activation of the workflow at once: one request, the reason', async () => {
    for (const firstPoll of ['startNow', 'importAll']) {
      emulator.resetStats();
      await expect(
        pkg.activate({ pollTimes: { item: [{ mode: 'everyMinute' }] }, firstPoll }, node),
      ).rejects.toThrow(
        /^There was a problem activating the workflow: "The Stripe Customers Trigger reads changes from Stripe’s event log and needs the "Events: Read" permission/,
      );
      // n8n retries a failed activation a few times: each attempt costs one request, no import
      // and no code loaded, so it answers as fast as Stripe does.
      expect(requests()).toEqual({ 'GET /v1/events': 1 });
    }
  });
});
