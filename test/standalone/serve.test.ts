import { request } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { launchChromium } from '../support/chromium';
import { configFor, listAllCustomers, sdkFor } from '../support/stripe';
import { isPro, MODEL, PRO_PIPELINE } from './support/fixtures';
import { api, pipelineView, runNow, until } from './support/serve-api';
import {
  BACKENDS,
  duckdbElsewhere,
  serveRefusal,
  startServe,
  writeConfig,
  type Backend,
  type ServeProcess,
} from './support/standalone';

const DUCKDB = BACKENDS.find((backend) => backend.name === 'DuckDB')!;

describe('serve: schedules and the pipelines page', () => {
  let backend: Backend;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  let browser: Browser;
  beforeAll(async () => {
    backend = await DUCKDB.start();
    emulator = await startEmulator({ customers: 150, seed: 29 });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
    await backend?.stop();
  });

  const config = () =>
    writeConfig(
      configFor(emulator, {
        customer_model: MODEL,
        pipelines: [
          { name: 'customers', description: 'Every customer', schedule: '1h' },
          { ...PRO_PIPELINE, enabled: false, schedule: '0 6 * * *' },
        ],
      }),
    );

  const row = (page: Page, name: string) => page.locator(`tr[data-pipeline="${name}"]`);

  it('shows every pipeline, and Enable and Run now work in a real browser; the switch survives a restart', async () => {
    const warehouse = await backend.create();
    const args = ['--config', config(), '--destination', warehouse.url, '--timezone', 'UTC'];
    let server = await startServe(args);
    const page = await browser.newPage();
    try {
      await page.goto(server.url);
      expect(await page.title()).toBe('Stripe customers · pipelines');
      const customers = row(page, 'customers');
      expect(await customers.textContent()).toContain('Every customer');
      expect(await customers.locator('td').nth(1).textContent()).toBe('every customer');
      expect(await customers.textContent()).toMatch(/every 1h\s*next \d{4}-\d{2}-\d{2}/);
      const pro = row(page, 'pro');
      expect(await pro.locator('td').nth(1).textContent()).toBe('metadata.plan is pro');
      expect(await pro.getByRole('switch').getAttribute('aria-checked')).toBe('false');
      expect(await pro.getByRole('button', { name: /Run pro now/ }).count()).toBe(0);

      // Enable pro from the page: the switch turns on and Run now appears.
      await pro.getByRole('switch').click();
      await expect.poll(() => page.getByRole('status').textContent()).toBe('pro enabled.');
      expect(await row(page, 'pro').getByRole('switch').getAttribute('aria-checked')).toBe('true');
      expect(await row(page, 'pro').textContent()).toContain('set here');

      // Run it now from the page, and watch its run appear among the last runs.
      await row(page, 'pro').getByRole('button', { name: 'Run pro now' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toBe('pro: run started.');
      const proCustomers = (await listAllCustomers(stripe)).filter(isPro).length;
      await until('the run to succeed on the page', async () => {
        await page.goto(server.url);
        const text = (await row(page, 'pro').locator('ul.runs li').first().textContent()) ?? '';
        return text.startsWith('succeeded') && text;
      }).then((text) =>
        expect(text).toMatch(
          new RegExp(
            `full import · ${proCustomers} written · 0 deleted · ${150 - proCustomers} filtered out`,
          ),
        ),
      );
      const [run] = (await pipelineView(server, 'pro')).lastRuns;
      expect(run).toMatchObject({ status: 'succeeded', trigger: 'run_now', written: proCustomers });

      // Disabled again from the page: no Run now.
      await row(page, 'pro').getByRole('switch').click();
      await expect.poll(() => page.getByRole('status').textContent()).toBe('pro disabled.');
      expect(await row(page, 'pro').getByRole('button', { name: 'Run pro now' }).count()).toBe(0);
      // "set here" can be undone: the config's setting (disabled) applies again.
      await row(page, 'pro')
        .getByRole('button', { name: "Use the config's setting for pro" })
        .click();
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toBe("pro: the config's enabled setting applies again.");
      expect(await row(page, 'pro').textContent()).not.toContain('set here');
      expect((await pipelineView(server, 'pro')).enabledBy).toBe('config');
      await row(page, 'pro').getByRole('switch').click();
      await expect.poll(() => page.getByRole('status').textContent()).toBe('pro enabled.');

      // Restarted, the server still has pro enabled: the switch is kept in the warehouse.
      expect(await server.stop()).toBe(0);
      server = await startServe(args);
      await page.goto(server.url);
      expect(await row(page, 'pro').getByRole('switch').getAttribute('aria-checked')).toBe('true');
      expect(await row(page, 'pro').locator('ul.runs li').first().textContent()).toMatch(
        /^succeeded/,
      );
    } finally {
      await page.close();
      await server.stop();
    }
    const table = await warehouse.rows('pro', '_stripe_id');
    expect(table!.size).toBe((await listAllCustomers(stripe)).filter(isPro).length);
  });

  it('runs schedules on its own, never two runs of a pipeline at once, survives a failing run, and stops at a checkpoint on SIGTERM', async () => {
    const warehouse = await backend.create();
    const slow = await startEmulator({ customers: 400, seed: 31, latencyMs: 250 });
    let server: ServeProcess | undefined;
    try {
      slow.advanceClock(3_600);
      const file = writeConfig(
        configFor(slow, {
          concurrency: 1,
          max_attempts: 1,
          pipelines: [{ name: 'every_second', schedule: '* * * * * *' }],
        }),
      );
      server = await startServe(['--config', file, '--destination', warehouse.url]);
      const current = server;
      // The first run is a full import of 4 pages at 250 ms each: ticks meanwhile are skipped.
      const runs = await until('two finished scheduled runs', async () => {
        const view = await pipelineView(current, 'every_second');
        const done = view.lastRuns.filter((run) => run.finishedAt !== undefined);
        return done.length >= 2 && view.lastRuns;
      });
      expect(runs.every((run) => run.trigger === 'schedule')).toBe(true);
      const ordered = [...runs].sort((a, b) => a.startedAt - b.startedAt);
      for (let index = 1; index < ordered.length; index++) {
        const previous = ordered[index - 1]!;
        expect(previous.finishedAt, 'a run ends before the next one starts').toBeDefined();
        expect(ordered[index]!.startedAt).toBeGreaterThanOrEqual(previous.finishedAt!);
      }
      expect(server.output()).toMatch(
        /every_second: its previous run is still going: skipped this scheduled run/,
      );

      // Stripe fails every request for a while: runs fail, the server goes on, and the next tick
      // after the outage succeeds.
      slow.setFaults({ failRate: 1 });
      const failed = await until('a failed run', async () => {
        const view = await pipelineView(current, 'every_second');
        return view.lastRuns.find((run) => run.status === 'failed');
      });
      expect(failed.error).toBeTruthy();
      slow.setFaults({ failRate: 0 });
      await until('a successful run after the failure', async () => {
        const view = await pipelineView(current, 'every_second');
        const latest = view.lastRuns[0];
        return latest?.status === 'succeeded' && latest.startedAt > failed.startedAt;
      });

      // A long run under way, then SIGTERM: it stops at its next checkpoint and the server exits.
      const slowStripe = sdkFor(slow);
      for (const customer of (await slowStripe.customers.list({ limit: 30 })).data) {
        await slowStripe.customers.update(customer.id, { metadata: { touched: 'yes' } });
      }
      slow.advanceClock(60);
      slow.setFaults({ latencyMs: 1_500 });
      await until(
        'a run under way',
        async () => (await pipelineView(current, 'every_second')).running,
      );
      const started = Date.now();
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(Date.now() - started, 'it stops at the next checkpoint, not at the end').toBeLessThan(
        20_000,
      );
      expect(server.output()).toMatch(/SIGTERM received: stopping/);
      expect(server.output()).toMatch(/INFO stopped\./);
      server = undefined;
      const statuses = await warehouse.query(
        'SELECT status, count(*) AS n FROM _stripe_sync_runs GROUP BY status ORDER BY status',
      );
      expect(statuses.map((row) => row.status)).not.toContain('running');
    } finally {
      await server?.stop();
      await slow.close();
    }
  });

  it('answers the JSON API, and refuses other sites, other hosts, unknown pipelines and disabled runs', async () => {
    const warehouse = await backend.create();
    const server = await startServe(['--config', config(), '--destination', warehouse.url]);
    try {
      const json = { 'content-type': 'application/json' };
      expect(await api(server, '/api/pipelines/pro/run', { method: 'POST' })).toMatchObject({
        status: 409,
        body: { outcome: 'disabled' },
      });
      const enabled = await api(server, '/api/pipelines/pro/enable', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ enabled: true }),
      });
      expect(enabled).toMatchObject({
        status: 200,
        body: { pipeline: { name: 'pro', enabled: true, enabledBy: 'page' } },
      });
      expect(await api(server, '/api/pipelines/pro/run', { method: 'POST' })).toMatchObject({
        status: 202,
        body: { outcome: 'started' },
      });
      await until('the API run to end', async () => {
        const view = await pipelineView(server, 'pro');
        return !view.running && view.lastRuns[0]?.status === 'succeeded';
      });
      expect(
        await api(server, '/api/pipelines/pro/enable', {
          method: 'POST',
          headers: json,
          body: '{"enabled": "maybe"}',
        }),
      ).toMatchObject({ status: 400 });
      expect(await api(server, '/api/pipelines/nope/run', { method: 'POST' })).toMatchObject({
        status: 404,
      });
      // A page of another site cannot drive the syncs, nor can a name that resolves here.
      expect(
        (
          await api(server, '/pipelines/pro/run', {
            method: 'POST',
            headers: { origin: 'http://evil.example' },
          })
        ).status,
      ).toBe(403);
      const rebound = await new Promise<number>((resolve, reject) => {
        const url = new URL(server.url);
        const call = request(
          {
            host: url.hostname,
            port: url.port,
            path: '/api/pipelines',
            headers: { host: 'evil.example' },
          },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        call.on('error', reject);
        call.end();
      });
      expect(rebound).toBe(421);

      // Client mistakes are the client's: 4xx with what to change, never a 500.
      const post = (path: string, init: RequestInit = {}) =>
        api(server, path, { method: 'POST', ...init });
      expect(await post('/pipelines/%E0%A4%A/run')).toMatchObject({
        status: 400,
        body: expect.stringMatching(/not valid percent-encoding/),
      });
      expect(await post('/api/pipelines/%E0%A4%A/run')).toMatchObject({
        status: 400,
        body: { error: expect.stringMatching(/not valid percent-encoding/) },
      });
      expect(
        await post('/api/pipelines/pro/enable', { headers: json, body: '{"enabled": tru' }),
      ).toMatchObject({ status: 400, body: { error: expect.stringMatching(/must be/) } });
      expect(await post('/api/pipelines/pro/enable', { body: 'enabled=true' })).toMatchObject({
        status: 415,
      });
      expect(
        await post('/api/pipelines/pro/enable', {
          headers: json,
          body: JSON.stringify({ enabled: true, padding: 'x'.repeat(40_000) }),
        }),
      ).toMatchObject({ status: 413, body: { error: expect.stringMatching(/larger than/) } });
      expect((await api(server, '/api/pipelines')).status, 'still serving').toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('holds the DuckDB file only while a run writes: between runs other processes open it, read-only or not', async () => {
    const warehouse = await backend.create();
    const path = warehouse.url.slice('duckdb:'.length);
    const server = await startServe(['--config', config(), '--destination', warehouse.url]);
    try {
      expect(await runNow(server, 'customers')).toMatchObject({ status: 'succeeded' });
      // Between runs: a reader (as `duckdb -readonly` would), then a writer elsewhere.
      const [counted] = await duckdbElsewhere(path, 'SELECT count(*) AS n FROM customers').done;
      expect(counted).toEqual({ n: 150 });
      await duckdbElsewhere(path, 'CREATE TABLE notes AS SELECT 1 AS x', { readOnly: false }).done;
      // While another process reads, the page still shows the runs (serve reads read-only too).
      const reader = duckdbElsewhere(path, 'SELECT 1 AS x', { holdMs: 3_000 });
      await reader.opened;
      const view = await pipelineView(server, 'customers');
      expect(view.lastRuns[0]).toMatchObject({ status: 'succeeded' });
      await reader.done;
      // And the next run writes again.
      await stripe.customers.create({ email: 'between-runs@example.com' });
      emulator.advanceClock(60);
      expect(await runNow(server, 'customers')).toMatchObject({ status: 'succeeded', written: 1 });
    } finally {
      await server.stop();
    }
    const [after] = await duckdbElsewhere(path, 'SELECT count(*) AS n FROM customers').done;
    expect(after).toEqual({ n: 151 });
  });

  it('needs a token on another address than 127.0.0.1, and refuses a schedule it cannot read', async () => {
    const warehouse = await backend.create();
    const args = ['--config', config(), '--destination', warehouse.url, '--host', '0.0.0.0'];
    const refused = await serveRefusal(args);
    expect(refused.exitCode).toBe(2);
    expect(refused.output).toMatch(/--token or SERVE_TOKEN/);

    const server = await startServe(args, { SERVE_TOKEN: 'token-for-tests-123' });
    const page = await browser.newPage();
    try {
      const url = server.url.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${url}/api/pipelines`)).status).toBe(401);
      const authorized = await fetch(`${url}/api/pipelines`, {
        headers: { authorization: 'Bearer token-for-tests-123' },
      });
      expect(authorized.status).toBe(200);
      await page.goto(`${url}/?token=token-for-tests-123`);
      expect(await row(page, 'customers').count()).toBe(1);
      expect(server.output()).not.toContain('token-for-tests-123');
    } finally {
      await page.close();
      await server.stop();
    }

    const bad = writeConfig(
      configFor(emulator, {
        pipelines: [{ name: 'customers' }, { name: 'later', schedule: 'every hour' }],
      }),
    );
    const unreadable = await serveRefusal(['--config', bad, '--destination', warehouse.url]);
    expect(unreadable.exitCode).toBe(2);
    expect(unreadable.output).toMatch(
      /pipelines\[1\] \("later"\): schedule "every hour" is neither an interval/,
    );
  });
});
