import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { launchChromium } from '../support/chromium';
import { configFor, listAllCustomers, sdkFor } from '../support/stripe';
import { api, pipelineView, until } from './support/serve-api';
import { BACKENDS, startServe, writeConfig, type Backend } from './support/standalone';

const DUCKDB = BACKENDS.find((backend) => backend.name === 'DuckDB')!;

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('serve: the pipelines page manages and watches pipelines', () => {
  let backend: Backend;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  let browser: Browser;
  beforeAll(async () => {
    backend = await DUCKDB.start();
    emulator = await startEmulator({ customers: 120, seed: 41 });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
    await backend?.stop();
  });

  const row = (page: Page, name: string) => page.locator(`tr[data-pipeline="${name}"]`);
  const plan = (customer: Stripe.Customer) => (customer.metadata?.plan ?? '').toLowerCase();

  it('adds a pipeline through the form, previews it, saves, runs it, shows its rows and history, edits its filter and deletes it', async () => {
    const warehouse = await backend.create();
    const file = writeConfig({
      ...configFor(emulator, { pipelines: [{ name: 'customers', description: 'Every customer' }] }),
      notes: 'a field the page does not know',
    });
    // The key stays out of the file, as the docs suggest: a save must not write it in.
    const document = readJson(file);
    delete document.api_key;
    writeFileSync(file, JSON.stringify(document));
    const server = await startServe(['--config', file, '--destination', warehouse.url], {
      STRIPE_API_KEY: 'sk_test_emulator',
    });
    const page = await browser.newPage();
    const other = await browser.newPage();
    try {
      const truth = await listAllCustomers(stripe);
      const pro = truth.filter((customer) => plan(customer) === 'pro');
      const starter = truth.filter((customer) => plan(customer) === 'starter');
      await page.goto(server.url);
      await page.getByRole('link', { name: 'Add pipeline' }).click();
      await page.getByLabel('Name', { exact: true }).fill('vip');
      await page.getByLabel('Description', { exact: true }).fill('Customers on the pro plan');
      await page.getByRole('button', { name: 'Add condition' }).click();
      const property = page.getByLabel('Condition 1 property');
      // Each field names its place in the config, so an error about that place can point at it.
      expect(await property.getAttribute('data-at')).toBe(
        '["pipelines",1,"filter","conditions",0,"property"]',
      );
      await property.fill('metadata.plan');
      // The operators offered fit the property's type (text): no "is true" for it.
      const operator = page.getByLabel('Condition 1 operator');
      expect(await operator.locator('option[value="is_true"]').evaluate((o) => o.hidden)).toBe(
        true,
      );
      await operator.selectOption('is');
      await page.getByLabel('Condition 1 values').fill('pro');

      // Preview: the first 20 customers it would import, as rows of its table; nothing written.
      await page.getByRole('button', { name: 'Preview' }).click();
      const preview = page.getByRole('region', { name: 'Preview' });
      await expect.poll(() => preview.locator('tbody tr').count()).toBe(Math.min(20, pro.length));
      const headers = await preview.locator('thead th').allTextContents();
      const metadata = headers.indexOf('metadata');
      for (const cells of await preview.locator('tbody tr').all()) {
        const value = await cells.locator('td').nth(metadata).textContent();
        expect(JSON.parse(value!)).toMatchObject({ plan: 'pro' });
      }
      expect(readJson(file).pipelines).toHaveLength(1);
      expect(await warehouse.rows('vip')).toBeUndefined();

      // Save: written into the file (the rest kept as it was), a backup beside it, in effect now.
      await page.getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(`${server.url}/`);
      expect(await page.getByRole('status').textContent()).toMatch(/^vip saved to config\.json/);
      const saved = readJson(file);
      expect(saved).not.toHaveProperty('api_key');
      expect(saved.notes).toBe('a field the page does not know');
      expect(saved.pipelines).toEqual([
        { name: 'customers', description: 'Every customer' },
        {
          name: 'vip',
          description: 'Customers on the pro plan',
          filter: {
            logical: 'all',
            conditions: [{ property: 'metadata.plan', operator: 'is', values: ['pro'] }],
          },
        },
      ]);
      expect(readJson(`${file}.bak`)).toEqual(document);
      // The notice is said once: not in the address, not again on reload.
      expect(page.url()).toBe(`${server.url}/`);
      await page.reload();
      expect(await page.getByRole('status').count()).toBe(0);
      expect(await row(page, 'vip').locator('td.filter').textContent()).toBe(
        'metadata.plan is pro',
      );

      // Run it; its rows and its history show.
      await row(page, 'vip').getByRole('button', { name: 'Run vip now' }).click();
      await until('the run of vip to succeed on the page', async () => {
        await page.goto(server.url);
        return (await row(page, 'vip').getAttribute('data-health')) === 'ok';
      });
      expect(await row(page, 'vip').textContent()).toContain(`${pro.length} rows`);
      expect(await row(page, 'vip').textContent()).toMatch(/last success \d{4}-\d\d-\d\d/);
      expect((await warehouse.rows('vip'))!.size).toBe(pro.length);
      await row(page, 'vip').getByRole('link', { name: 'vip', exact: true }).click();
      const run = page.locator('table.history tbody tr[data-run]').first();
      const cells = await run.locator('td').allTextContents();
      expect(cells[0]).toBe('succeeded');
      expect(cells[1]).toBe('Run now');
      expect(cells[4]).toBe('full import');
      expect(cells.slice(5, 12)).toEqual([
        String(truth.length),
        String(pro.length),
        '0',
        '0',
        String(truth.length - pro.length),
        '0',
        '0',
      ]);
      await page
        .getByText(/^log \(\d+ line\(s\)\)$/)
        .first()
        .click();
      expect(await page.locator('pre.log').first().textContent()).toMatch(
        /INFO run succeeded: 120 read/,
      );

      // Two browsers edit at once: the second save is refused with what changed.
      await page.goto(`${server.url}/pipelines/vip/edit`);
      await other.goto(`${server.url}/pipelines/vip/edit`);
      await page.getByLabel('Condition 1 operator').selectOption('is_one_of');
      await page.getByLabel('Condition 1 values').fill('pro\nstarter');
      await page.getByLabel('Match').selectOption('any');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(`${server.url}/`);
      await other.getByLabel('Description', { exact: true }).fill('edited meanwhile');
      await other.getByRole('button', { name: 'Save' }).click();
      expect(await other.getByRole('alert').textContent()).toMatch(
        /changed since this form was opened, so nothing was saved: pipeline "vip" was changed/,
      );
      expect(readJson(file).pipelines[1].description).toBe('Customers on the pro plan');
      expect(readJson(file).pipelines[1].filter.conditions[0]).toEqual({
        property: 'metadata.plan',
        operator: 'is_one_of',
        values: ['pro', 'starter'],
      });

      // The edited filter applies to the next run: a new definition, imported again.
      await page.goto(server.url);
      expect(await row(page, 'vip').locator('td.filter').textContent()).toBe(
        'metadata.plan is one of pro, starter',
      );
      await row(page, 'vip').getByRole('button', { name: 'Run vip now' }).click();
      await until('the second run of vip', async () => {
        const view = await pipelineView(server, 'vip');
        return !view.running && view.lastRuns.length === 2 && view.lastRuns[0]?.finishedAt;
      });
      expect((await warehouse.rows('vip'))!.size).toBe(pro.length + starter.length);

      // Delete it, table too, from the ⋮ menu.
      await page.goto(server.url);
      await row(page, 'vip').getByLabel('More actions for vip').click();
      await row(page, 'vip').getByRole('link', { name: 'Delete' }).click();
      await page.getByLabel(/Also drop its table/).check();
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.waitForURL(`${server.url}/`);
      expect(await page.getByRole('status').textContent()).toMatch(
        /^vip deleted from config\.json .* Its table vip and its state were dropped\.$/,
      );
      expect(await row(page, 'vip').count()).toBe(0);
      expect(readJson(file).pipelines).toEqual([
        { name: 'customers', description: 'Every customer' },
      ]);
      expect(await warehouse.rows('vip')).toBeUndefined();

      // A narrow window (a phone) shows the page without sideways scrolling.
      await page.setViewportSize({ width: 380, height: 800 });
      await page.goto(server.url);
      // Evaluated in the page (no DOM types here): the page is no wider than the window.
      const fits = 'document.documentElement.scrollWidth <= globalThis.innerWidth';
      expect(await page.evaluate(fits)).toBe(true);
    } finally {
      await page.close();
      await other.close();
      await server.stop();
    }
    expect(server.output()).not.toContain('sk_test_emulator');
  });

  it('alerts a local receiver on a failure and the recovery, serves /metrics behind the token, cancels a run, and picks up a config changed on disk', async () => {
    const warehouse = await backend.create();
    const received: Array<Record<string, any>> = [];
    const receiver: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ path: request.url, ...JSON.parse(body) });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T000/B000/secret-part`;
    const slow = await startEmulator({ customers: 300, seed: 43 });
    slow.advanceClock(3_600);
    const file = writeConfig(
      configFor(slow, {
        max_attempts: 1,
        concurrency: 1,
        pipelines: [{ name: 'customers' }],
        alerts: { webhook_url: hook, on: ['failure', 'recovery'] },
      }),
    );
    const token = 'token-for-tests-456';
    const server = await startServe(
      ['--config', file, '--destination', warehouse.url, '--public-url', 'https://sync.example'],
      { SERVE_TOKEN: token },
    );
    const auth = { authorization: `Bearer ${token}` };
    const call = (path: string, init: RequestInit = {}) =>
      api(server, path, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
    try {
      // Stripe fails: the first run fails, labelled as the full import it was, and alerts.
      slow.setFaults({ failRate: 1 });
      expect((await call('/api/pipelines/customers/run', { method: 'POST' })).status).toBe(202);
      const failed = await until('the failure alert', async () => received[0]);
      expect(failed).toMatchObject({
        path: '/services/T000/B000/secret-part',
        event: 'failure',
        pipeline: 'customers',
        status: 'failed',
        page: 'https://sync.example/pipelines/customers',
        run_id: expect.any(String),
      });
      expect(failed.text).toMatch(/^Stripe customers: pipeline customers failed: /);
      const history = (await call('/api/pipelines/customers/runs')).body;
      expect(history.runs[0]).toMatchObject({
        status: 'failed',
        trigger: 'api',
        mode: 'full import',
        runId: failed.run_id,
      });
      expect(history.runs[0].log.map((line: any) => line.message).join('\n')).toMatch(
        /the run failed/,
      );
      // The failed run's line in the server log names its pipeline first.
      expect(server.output()).toMatch(/ERROR customers: the run failed \(/);

      // Stripe is back: the next run succeeds, and the recovery is announced.
      slow.setFaults({ failRate: 0 });
      expect((await call('/api/pipelines/customers/run', { method: 'POST' })).status).toBe(202);
      const recovered = await until('the recovery alert', async () => received[1]);
      expect(recovered).toMatchObject({ event: 'recovery', status: 'recovered' });
      // The webhook's secret path appears in no output: only its host. Nor does the API key,
      // in the history, its log lines or the pipeline's page.
      expect(server.output()).toContain('alert "failure" sent to http://127.0.0.1:');
      expect(server.output()).not.toContain('secret-part');
      const shown = [
        JSON.stringify((await call('/api/pipelines/customers/runs')).body),
        String((await call('/pipelines/customers')).body),
        String((await call('/pipelines/customers/edit')).body),
      ].join('\n');
      expect(shown).toContain('run succeeded: 300 read');
      for (const secret of ['sk_test_emulator', 'secret-part', token]) {
        expect(shown).not.toContain(secret);
      }

      // /metrics: Prometheus' text format, behind the same token as the rest.
      expect((await api(server, '/metrics')).status).toBe(401);
      const metrics = parsePrometheus((await call('/metrics')).body as string);
      expect(metrics.get('stripe_sync_runs_total{pipeline="customers",status="failed"}')).toBe(1);
      expect(metrics.get('stripe_sync_runs_total{pipeline="customers",status="succeeded"}')).toBe(
        1,
      );
      expect(metrics.get('stripe_sync_rows_written_total{pipeline="customers"}')).toBe(300);
      expect(
        metrics.get('stripe_sync_seconds_since_last_success{pipeline="customers"}'),
      ).toBeLessThan(60);
      expect(
        metrics.get('stripe_sync_stripe_requests_total{endpoint="GET /v1/customers"}'),
      ).toBeGreaterThanOrEqual(3);
      expect(
        metrics.get('stripe_sync_stripe_rate_limited_total{endpoint="GET /v1/customers"}'),
      ).toBe(0);
      expect(metrics.get('stripe_sync_run_duration_seconds_count{pipeline="customers"}')).toBe(2);

      // Cancel stops a long run (a rebuild: every customer again, slowly) at its next checkpoint.
      slow.setFaults({ latencyMs: 1_000 });
      expect((await call('/api/pipelines/customers/rebuild', { method: 'POST' })).status).toBe(202);
      await until('the rebuild under way', async () => {
        const view = (await call('/api/pipelines')).body.pipelines[0];
        return view.running?.progress.received > 0;
      });
      expect((await call('/api/pipelines/customers/cancel', { method: 'POST' })).status).toBe(202);
      const stopped = await until('the cancelled run', async () => {
        const runs = (await call('/api/pipelines/customers/runs')).body.runs;
        return runs[0]?.status === 'stopped' && runs[0];
      });
      expect(stopped.log.map((line: any) => line.message).join('\n')).toMatch(
        /cancelled from the pipelines page/,
      );
      slow.setFaults({ latencyMs: 0 });

      // The file changed on disk: picked up without a restart, schedules re-planned.
      const changed = readJson(file);
      changed.pipelines.push({ name: 'later', schedule: '15m', enabled: true });
      writeFileSync(file, JSON.stringify(changed));
      const later = await until('the new pipeline', async () => {
        const views = (await call('/api/pipelines')).body.pipelines;
        return views.find((view: any) => view.name === 'later');
      });
      expect(later).toMatchObject({ schedule: 'every 15m', nextRun: expect.any(Number) });
      // A change that cannot be used keeps the running version, and says why.
      writeFileSync(file, JSON.stringify({ ...changed, pipelines: [{ name: 'x', filtr: {} }] }));
      await until('the refused change to be logged', async () =>
        /changed on disk but cannot be used/.test(server.output()),
      );
      expect((await call('/api/pipelines')).body.pipelines).toHaveLength(2);
    } finally {
      await server.stop();
      await slow.close();
      await new Promise((resolve) => receiver.close(resolve));
    }
    expect(server.output()).not.toContain(token);
    expect(existsSync(`${file}.bak`)).toBe(false);
  });
});

/** Prometheus' text format: `name{labels} value` lines, comments left out. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
