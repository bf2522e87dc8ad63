/**
 * Stripe webhook deliveries into `serve`, end to end on both warehouses: the emulator signs and
 * delivers them as Stripe does (or the test signs its own, to choose their order), `serve` runs
 * as a process of its own, and the tables are read back with SQL.
 */
import { request as httpRequest } from 'node:http';
import pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { configFor, listAllCustomers, sdkFor, TEST_KEY } from '../support/stripe';
import {
  expectPassThroughEqual,
  expectProEqual,
  isPro,
  MODEL,
  PRO_PIPELINE,
} from './support/fixtures';
import { api, pipelineView, runNow, until } from './support/serve-api';
import {
  BACKENDS,
  duckdbElsewhere,
  startServe,
  writeConfig,
  type Backend,
  type ServeProcess,
  type TestWarehouse,
} from './support/standalone';

const SECRET = 'whsec_test_2f9KQm3xLr8Zp1';

interface Delivered {
  status: number;
  ms: number;
  body: any;
}

/** POSTs a delivery to serve as Stripe would, signed with `secret` at `t` unless told otherwise. */
async function deliver(
  server: ServeProcess,
  body: string,
  signature: string | null = sign(body),
): Promise<Delivered> {
  const started = performance.now();
  const response = await fetch(`${server.url}/stripe/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(signature === null ? {} : { 'stripe-signature': signature }),
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, ms: performance.now() - started, body: JSON.parse(text) };
}

function sign(body: string, t = Math.floor(Date.now() / 1000), secret = SECRET): string {
  return Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t });
}

/** The newest `count` events of the emulator, oldest first, as Stripe renders them. */
async function latestEvents(emulator: RunningEmulator, count: number): Promise<any[]> {
  const response = await fetch(`${emulator.url}/v1/events?limit=${count}`, {
    headers: { authorization: `Bearer ${TEST_KEY}` },
  });
  const events = ((await response.json()) as { data: any[] }).data;
  return events.reverse();
}

const json = (event: unknown) => JSON.stringify(event, null, 2);

describe.each(BACKENDS)('Stripe webhooks into $name', ({ start }) => {
  let backend: Backend;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    backend = await start();
    emulator = await startEmulator({ customers: 40, seed: 25 });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
  }, 120_000);
  afterAll(async () => {
    await emulator?.close();
    await backend?.stop();
  });

  /** A warehouse with both pipelines imported, and serve taking deliveries for it. */
  async function served(extra: Record<string, unknown> = {}) {
    const warehouse = await backend.create();
    const config = writeConfig(
      configFor(emulator, {
        webhook_secret: SECRET,
        customer_model: MODEL,
        pipelines: [{ name: 'customers' }, PRO_PIPELINE],
        ...extra,
      }),
    );
    const args = ['--config', config, '--destination', warehouse.url, '--timezone', 'UTC'];
    const server = await startServe(args);
    await runNow(server, 'customers');
    await runNow(server, 'pro');
    return { warehouse, server, args };
  }

  const rowsOf = (warehouse: TestWarehouse, table: 'customers' | 'pro') =>
    until(`the rows of ${table}`, async () => {
      const rows = await warehouse.rows(table, table === 'pro' ? '_stripe_id' : 'id');
      return rows ?? false;
    });

  it('refuses unsigned, forged, tampered, replayed and oversized deliveries with 400 and changes nothing; takes a signed one within 200 ms', async () => {
    const { warehouse, server } = await served();
    try {
      const customer = (await listAllCustomers(stripe))[0]!;
      await stripe.customers.update(customer.id, { email: 'signed@example.com' });
      const [event] = await latestEvents(emulator, 1);
      const body = json(event);
      const refusals: Array<[string, Promise<Delivered>]> = [
        ['unsigned', deliver(server, body, null)],
        ['forged (another secret)', deliver(server, body, sign(body, undefined, 'whsec_forged'))],
        [
          'tampered (the signature of another body)',
          deliver(server, body.replace('signed@', 'evil@'), sign(body)),
        ],
        [
          'replayed (signed ten minutes ago)',
          deliver(server, body, sign(body, Math.floor(Date.now() / 1000) - 600)),
        ],
        ['oversized', deliver(server, `{"pad":"${'x'.repeat(600 * 1024)}"}`)],
      ];
      for (const [what, delivery] of refusals) {
        const answer = await delivery;
        expect(answer.status, what).toBe(400);
        expect(answer.body.error, what).toEqual(expect.any(String));
      }
      expect((await deliver(server, body, sign(body))).body.error).toBeUndefined();
      await until(
        'the signed delivery to be applied',
        async () =>
          (await warehouse.rows('customers'))?.get(customer.id)?.email === 'signed@example.com',
      );
      // No refusal left anything in the inbox: only the signed delivery was applied.
      const view = await pipelineView(server, 'customers');
      expect((view as any).webhooks.eventsApplied).toBe(1);
      expect(server.output()).not.toContain(SECRET);

      // Deliveries from the emulator, signed and sent as Stripe does: acknowledged within 200 ms.
      emulator.setFaults({ webhookUrls: [`${server.url}/stripe/webhooks`], webhookSecret: SECRET });
      try {
        for (let i = 0; i < 10; i++) {
          await stripe.customers.update(customer.id, { metadata: { ack: String(i) } });
        }
        await until('the deliveries', async () => emulator.webhooks().pending === 0);
        const attempts = emulator.webhooks().events.flatMap((entry) => entry.attempts);
        expect(attempts).toHaveLength(10);
        for (const attempt of attempts) {
          expect(attempt.outcome).toBe(200);
          expect(attempt.durationMs).toBeLessThan(200);
        }
      } finally {
        emulator.setFaults({ webhookUrls: [] });
      }
    } finally {
      await server.stop();
    }
  });

  it('applies a duplicate once, ignores an older delivery after a newer one, ends same-second events in the current state, and deletes a customer leaving the filter', async () => {
    const { warehouse, server } = await served();
    try {
      const customers = await listAllCustomers(stripe);
      const plain = customers.find((customer) => !isPro(customer))!;
      const pro = customers.find(isPro)!;

      // Two changes in two seconds; the newer delivered first (and twice), the older after it.
      await stripe.customers.update(plain.id, { email: 'older@example.com' });
      emulator.advanceClock(1);
      await stripe.customers.update(plain.id, { email: 'newer@example.com' });
      const [older, newer] = await latestEvents(emulator, 2);
      expect(newer.created).toBeGreaterThan(older.created);
      expect((await deliver(server, json(newer))).status).toBe(200);
      expect((await deliver(server, json(newer))).status).toBe(200);
      await until(
        'the newer state',
        async () =>
          (await warehouse.rows('customers'))?.get(plain.id)?.email === 'newer@example.com',
      );
      expect((await deliver(server, json(older))).status).toBe(200);
      await until(
        'the older delivery to be handled',
        async () => ((await pipelineView(server, 'customers')) as any).webhooks.eventsApplied === 2,
      );
      expect((await rowsOf(warehouse, 'customers')).get(plain.id)?.email).toBe('newer@example.com');

      // Two changes in one second, delivered in the reverse order, one at a time: the second
      // delivery finds that second written already and retrieves the customer.
      let same: any[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        emulator.advanceClock(1);
        await stripe.customers.update(pro.id, { name: `first ${attempt}` });
        await stripe.customers.update(pro.id, { name: `second ${attempt}` });
        same = await latestEvents(emulator, 2);
        if (same[0].created === same[1].created) break;
      }
      expect(same[0].created).toBe(same[1].created);
      const retrievesBefore = emulator.stats().byRoute['GET /v1/customers/:id'] ?? 0;
      expect((await deliver(server, json(same[1]))).status).toBe(200);
      await until(
        'the first same-second delivery',
        async () => ((await pipelineView(server, 'customers')) as any).webhooks.eventsApplied === 3,
      );
      expect((await deliver(server, json(same[0]))).status).toBe(200);
      const current = (await stripe.customers.retrieve(pro.id)) as Stripe.Customer;
      await until(
        'the current state',
        async () => (await warehouse.rows('customers'))?.get(pro.id)?.name === current.name,
      );
      expect(emulator.stats().byRoute['GET /v1/customers/:id']).toBeGreaterThan(retrievesBefore);

      // A pro customer moves to another plan: deleted from pro, updated in customers.
      emulator.advanceClock(1);
      await stripe.customers.update(pro.id, { metadata: { plan: 'free' } });
      const [leaves] = await latestEvents(emulator, 1);
      expect((await deliver(server, json(leaves))).status).toBe(200);
      await until(
        'the pro row to go',
        async () => !(await warehouse.rows('pro', '_stripe_id'))?.has(pro.id),
      );
      expect((await rowsOf(warehouse, 'customers')).get(pro.id)?.metadata).toEqual({
        ...pro.metadata,
        plan: 'free',
      });

      // Everything equals Stripe, and a run finds nothing the deliveries missed.
      emulator.advanceClock(60);
      const run = await runNow(server, 'customers');
      expect(run).toMatchObject({ status: 'succeeded', written: 0, deleted: 0 });
      const truth = await listAllCustomers(stripe);
      expectPassThroughEqual(await rowsOf(warehouse, 'customers'), truth, 'customers');
      expectProEqual(await rowsOf(warehouse, 'pro'), truth);
      await stripe.customers.update(pro.id, { metadata: { plan: 'pro' } });
    } finally {
      await server.stop();
    }
  });

  it('reconciles dropped deliveries with the next run, applying nothing twice, and shows both on the page', async () => {
    const { warehouse, server } = await served();
    emulator.setFaults({
      webhookUrls: [`${server.url}/stripe/webhooks`],
      webhookSecret: SECRET,
      webhookDropShare: 0.4,
      webhookDuplicateShare: 0.3,
      webhookDelayMaxMs: 300,
    });
    try {
      emulator.advanceClock(2);
      const customers = await listAllCustomers(stripe);
      const changed = customers.slice(0, 12);
      for (const [index, customer] of changed.entries()) {
        await stripe.customers.update(customer.id, { metadata: { round: `r${index}` } });
      }
      await until('the deliveries', async () => emulator.webhooks().pending === 0);
      const log = emulator.webhooks().events.slice(-changed.length);
      const droppedIds = new Set(log.filter((entry) => entry.dropped.length > 0).map((e) => e.id));
      expect(droppedIds.size).toBeGreaterThan(0);
      expect(droppedIds.size).toBeLessThan(changed.length);
      const events = await latestEvents(emulator, changed.length);
      const missed = events
        .filter((event) => droppedIds.has(event.id))
        .map((e) => e.data.object.id);
      await until('the delivered changes', async () => {
        const rows = await warehouse.rows('customers');
        return changed.every(
          (customer, index) =>
            missed.includes(customer.id) || rows?.get(customer.id)?.metadata?.round === `r${index}`,
        );
      });
      const rows = await rowsOf(warehouse, 'customers');
      for (const id of missed) expect(rows.get(id)?.metadata?.round).toBeUndefined();

      // The next run reads the event log: it writes exactly the missed changes.
      emulator.advanceClock(60);
      const run = await runNow(server, 'customers');
      expect(run).toMatchObject({ status: 'succeeded', written: missed.length, deleted: 0 });
      expectPassThroughEqual(
        await rowsOf(warehouse, 'customers'),
        await listAllCustomers(stripe),
        'customers',
      );

      const view = (await pipelineView(server, 'customers')) as any;
      expect(view.webhooks.eventsApplied).toBe(changed.length - missed.length);
      expect(view.lastReconcile).toMatchObject({ written: missed.length, deleted: 0 });
      const page = await (await fetch(`${server.url}/`)).text();
      expect(page).toMatch(/webhooks: last applied .* · \d+ change\(s\) in all/);
      expect(page).toContain(`found ${missed.length} change(s) the deliveries had missed`);
    } finally {
      emulator.setFaults({
        webhookUrls: [],
        webhookDropShare: 0,
        webhookDuplicateShare: 0,
        webhookDelayMaxMs: 0,
      });
      await server.stop();
    }
  });

  it('applies, after a restart, a delivery acknowledged right before the process was killed', async () => {
    const { warehouse, server, args } = await served();
    const customer = (await listAllCustomers(stripe))[1]!;
    emulator.advanceClock(1);
    await stripe.customers.update(customer.id, { email: 'after-the-kill@example.com' });
    const [event] = await latestEvents(emulator, 1);
    // Something else holds the table, so the delivery is recorded but not applied yet.
    const holder = await holdTable(warehouse);
    let restarted: ServeProcess | undefined;
    try {
      expect((await deliver(server, json(event))).status).toBe(200);
      expect(await server.stop('SIGKILL')).toBeNull();
      await holder.release();
      expect((await rowsOf(warehouse, 'customers')).get(customer.id)?.email).not.toBe(
        'after-the-kill@example.com',
      );
      restarted = await startServe(args);
      await until(
        'the delivery to be applied',
        async () =>
          (await warehouse.rows('customers'))?.get(customer.id)?.email ===
          'after-the-kill@example.com',
      );
      expect(((await pipelineView(restarted, 'customers')) as any).webhooks.eventsApplied).toBe(1);
    } finally {
      await holder.release();
      await restarted?.stop();
    }
  });

  it('answers 404 without a signing secret, and refuses a malformed one without showing it', async () => {
    const warehouse = await backend.create();
    const config = writeConfig(configFor(emulator, { pipelines: [{ name: 'customers' }] }));
    const server = await startServe(['--config', config, '--destination', warehouse.url]);
    try {
      const answer = await deliver(server, '{}');
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatch(/set `webhook_secret` in the config/);
    } finally {
      await server.stop();
    }
    const bad = writeConfig(configFor(emulator, { webhook_secret: 'sk_test_oops123' }));
    const { serveRefusal } = await import('./support/standalone');
    const refused = await serveRefusal(['--config', bad, '--destination', warehouse.url]);
    expect(refused.exitCode).toBe(2);
    expect(refused.output).toMatch(/`webhook_secret` must be the endpoint's signing secret/);
    expect(refused.output).not.toContain('oops123');
  });

  it("takes deliveries without the page's token or host check; the page answers for --public-url's host only with a token", async () => {
    const warehouse = await backend.create();
    const config = writeConfig(
      configFor(emulator, { webhook_secret: SECRET, pipelines: [{ name: 'customers' }] }),
    );
    const [event] = await latestEvents(emulator, 1);
    const body = json(event);
    const call = (
      server: ServeProcess,
      path: string,
      headers: Record<string, string>,
      post?: string,
    ) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const url = new URL(path, server.url);
        const request = httpRequest(
          url,
          {
            method: post === undefined ? 'GET' : 'POST',
            headers: { ...headers, ...(post ? { 'content-type': 'application/json' } : {}) },
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
          },
        );
        request.on('error', reject);
        request.end(post);
      });
    // Behind a proxy, without a token: Stripe's deliveries get through, the page does not.
    const open = await startServe([
      '--config',
      config,
      '--destination',
      warehouse.url,
      '--public-url',
      'https://sync.example.com',
    ]);
    try {
      const proxied = { host: 'sync.example.com' };
      const delivered = await call(
        open,
        '/stripe/webhooks',
        { ...proxied, 'stripe-signature': sign(body) },
        body,
      );
      expect(delivered.status).toBe(200);
      const page = await call(open, '/', proxied);
      expect(page.status).toBe(421);
      expect(page.text).toMatch(/only with a token: start serve with --token/);
      expect((await call(open, '/', { host: 'elsewhere.example.com' })).status).toBe(421);
    } finally {
      await open.stop();
    }
    // With a token (on every address): deliveries still need none; the page answers for the
    // public host name with it.
    const guarded = await startServe(
      [
        '--config',
        config,
        '--destination',
        warehouse.url,
        '--public-url',
        'https://sync.example.com',
      ],
      { SERVE_TOKEN: 'page-token-123' },
    );
    try {
      const proxied = { host: 'sync.example.com' };
      expect(
        (
          await call(
            guarded,
            '/stripe/webhooks',
            { ...proxied, 'stripe-signature': sign(body) },
            body,
          )
        ).status,
      ).toBe(200);
      expect((await call(guarded, '/', proxied)).status).toBe(401);
      expect(
        (
          await call(guarded, '/api/pipelines', {
            ...proxied,
            authorization: 'Bearer page-token-123',
          })
        ).status,
      ).toBe(200);
    } finally {
      await guarded.stop();
    }
  });

  /**
   * Another process holds the pipeline's table for a while (DuckDB: a reader holding the file;
   * PostgreSQL: the pipeline's lock), as a long query or another sync would.
   */
  async function holdTable(warehouse: TestWarehouse): Promise<{ release(): Promise<void> }> {
    if (warehouse.kind === 'duckdb') {
      const path = warehouse.url.slice('duckdb:'.length);
      const other = duckdbElsewhere(path, 'SELECT 1', { holdMs: 4_000 });
      await other.opened;
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await other.done;
        },
      };
    }
    const client = new pg.Client({ connectionString: warehouse.url });
    await client.connect();
    await client.query(
      `SELECT pg_advisory_lock(hashtextextended('stripe-customers-sync:public.customers', 0))`,
    );
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        await client.end();
      },
    };
  }
});
