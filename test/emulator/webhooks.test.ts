/**
 * Webhook deliveries of the emulator, received by a plain HTTP server and checked with the
 * official SDK's `stripe.webhooks.constructEvent`, as a real receiver checks Stripe's.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { sdkFor } from '../support/stripe';
import { RETRY_SCHEDULE, startEmulator, type RunningEmulator } from './index.js';

const SECRET = 'whsec_test_receiver_secret';

interface Received {
  at: number;
  body: string;
  signature: string;
  userAgent: string | undefined;
}

/** A webhook endpoint: records every delivery and answers what `answer` says (default 200). */
async function receiver(answer: (delivery: Received, index: number) => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const delivery = {
        at: performance.now(),
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(request.headers['stripe-signature']),
        userAgent: request.headers['user-agent'],
      };
      received.push(delivery);
      response.writeHead(answer(delivery, received.length - 1)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stripe/webhooks`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Receiver = Awaited<ReturnType<typeof receiver>>;

async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function setUp(
  options: Parameters<typeof startEmulator>[0],
  answer?: Parameters<typeof receiver>[0],
): Promise<{ emulator: RunningEmulator; endpoint: Receiver; stripe: Stripe }> {
  const endpoint = await receiver(answer);
  cleanup.push(endpoint.close);
  const emulator = await startEmulator({
    webhookUrls: [endpoint.url],
    webhookSecret: SECRET,
    ...options,
  });
  cleanup.push(emulator.close);
  return { emulator, endpoint, stripe: sdkFor(emulator) };
}

describe('webhook deliveries', () => {
  it('are signed exactly as Stripe signs them: the SDK verifies them, and refuses another secret', async () => {
    const { emulator, endpoint, stripe } = await setUp({ seed: 3 });
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    await stripe.customers.update(customer.id, { metadata: { plan: 'pro' } });
    await stripe.customers.del(customer.id);
    await eventually(() => endpoint.received.length === 3);

    const listed = await stripe.events.list({ limit: 10 });
    const events = endpoint.received.map((delivery) => {
      const event = Stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET);
      // t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">, and in test mode a fake v0 besides.
      const match = /^t=(\d+),v1=([0-9a-f]{64}),v0=[0-9a-f]{64}$/.exec(delivery.signature);
      expect(match, delivery.signature).not.toBeNull();
      const [, t, v1] = match!;
      expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${delivery.body}`).digest('hex'));
      expect(Math.abs(Number(t) - emulator.now())).toBeLessThanOrEqual(2);
      expect(delivery.userAgent).toMatch(/^Stripe\/1\.0/);
      expect(() =>
        Stripe.webhooks.constructEvent(delivery.body, delivery.signature, 'whsec_another'),
      ).toThrow(/No signatures found matching the expected signature/);
      return event;
    });
    expect(events.map((event) => event.type).sort()).toEqual([
      'customer.created',
      'customer.deleted',
      'customer.updated',
    ]);
    // The same events as the event log, with the endpoint counted as pending.
    for (const event of events) {
      const logged = listed.data.find((candidate) => candidate.id === event.id)!;
      expect({ ...event, pending_webhooks: 0 }).toEqual({ ...logged, pending_webhooks: 0 });
      expect(event.pending_webhooks).toBe(1);
    }
    const log = emulator.webhooks();
    expect(log.pending).toBe(0);
    expect(log.events.map((entry) => entry.attempts.map((attempt) => attempt.outcome))).toEqual([
      [200],
      [200],
      [200],
    ]);
  });

  it('are tried again on anything but 2xx on the sandbox schedule, compressed by webhookRetryScale, and given up after three retries', async () => {
    const scale = 0.0002; // 15 min, 1 h, 3 h → 0.18 s, 0.72 s, 2.16 s
    const { emulator, endpoint, stripe } = await setUp({ webhookRetryScale: scale }, () => 500);
    await stripe.customers.create({ email: 'retry@example.com' });
    await eventually(() => emulator.webhooks().pending === 0, 20_000);
    expect(endpoint.received).toHaveLength(1 + RETRY_SCHEDULE.test.length);
    const gaps = endpoint.received.slice(1).map((d, i) => d.at - endpoint.received[i]!.at);
    RETRY_SCHEDULE.test.forEach((seconds, index) => {
      const expected = seconds * 1000 * scale;
      expect(gaps[index]).toBeGreaterThanOrEqual(expected - 15);
      expect(gaps[index]).toBeLessThan(expected + 2_000);
    });
    // Every attempt is signed afresh and still verifies.
    for (const delivery of endpoint.received) {
      expect(() =>
        Stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET),
      ).not.toThrow();
    }
    const [entry] = emulator.webhooks().events;
    expect(entry!.attempts.map((attempt) => [attempt.attempt, attempt.outcome])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
      [4, 500],
    ]);
  });

  it('stop being retried once one is answered 2xx; an unreachable endpoint counts as a failure', async () => {
    const { emulator, endpoint, stripe } = await setUp({ webhookRetryScale: 0.0001 }, (_d, i) =>
      i < 2 ? 503 : 204,
    );
    await stripe.customers.create({ email: 'later@example.com' });
    await eventually(() => emulator.webhooks().pending === 0, 20_000);
    expect(endpoint.received).toHaveLength(3);

    await endpoint.close();
    cleanup.pop();
    await stripe.customers.create({ email: 'nobody-home@example.com' });
    await eventually(() => emulator.webhooks().pending === 0, 20_000);
    const last = emulator.webhooks().events.at(-1)!;
    expect(last.attempts.map((attempt) => attempt.outcome)).toEqual(
      Array(1 + RETRY_SCHEDULE.test.length).fill('network_error'),
    );
  });

  it('can be dropped, duplicated and delayed (so reordered), reproducibly for a seed, set at start or at runtime', async () => {
    const { emulator, endpoint, stripe } = await setUp({ seed: 11 });
    emulator.setFaults({
      webhookDropShare: 0.2,
      webhookDuplicateShare: 0.2,
      webhookDelayMaxMs: 400,
    });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await stripe.customers.create({ name: `c${i}` })).id);
    await eventually(() => emulator.webhooks().pending === 0);
    const log = emulator.webhooks().events;
    const dropped = log.filter((entry) => entry.dropped.length > 0).map((entry) => entry.id);
    const duplicated = log.filter((entry) => entry.duplicated.length > 0).map((entry) => entry.id);
    expect(dropped.length).toBeGreaterThan(3);
    expect(duplicated.length).toBeGreaterThan(3);
    const arrived = endpoint.received.map(
      (delivery) => (JSON.parse(delivery.body) as { id: string }).id,
    );
    const count = (id: string) => arrived.filter((candidate) => candidate === id).length;
    for (const entry of log) {
      expect(count(entry.id), entry.id).toBe(
        entry.dropped.length > 0 ? 0 : entry.duplicated.length > 0 ? 2 : 1,
      );
    }
    // Delivered out of the order the events happened in.
    const order = new Map(log.map((entry, index) => [entry.id, index]));
    const positions = [...new Set(arrived)].map((id) => order.get(id)!);
    expect(positions).not.toEqual([...positions].sort((a, b) => a - b));

    // The same seed and the same changes: the same events dropped and duplicated.
    const again = await setUp({
      seed: 11,
      webhookDropShare: 0.2,
      webhookDuplicateShare: 0.2,
      webhookDelayMaxMs: 400,
    });
    for (let i = 0; i < 60; i++) await again.stripe.customers.create({ name: `c${i}` });
    await eventually(() => again.emulator.webhooks().pending === 0);
    const replay = again.emulator.webhooks().events;
    expect(replay.map((entry) => entry.dropped.length)).toEqual(log.map((e) => e.dropped.length));
    expect(replay.map((entry) => entry.duplicated.length)).toEqual(
      log.map((e) => e.duplicated.length),
    );
  });

  it('go nowhere without endpoints; endpoints and knobs can be set over HTTP, and bad values are refused', async () => {
    const endpoint = await receiver();
    cleanup.push(endpoint.close);
    const emulator = await startEmulator({});
    cleanup.push(emulator.close);
    const stripe = sdkFor(emulator);
    await stripe.customers.create({ name: 'unheard' });
    expect(emulator.webhooks().events).toEqual([]);

    const post = (body: unknown) =>
      fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify(body) });
    const bad = await post({ webhookUrls: [endpoint.url], webhookSecret: 'secret' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/webhookSecret must be a signing secret starting with whsec_/);
    const good = await post({ webhookUrls: [endpoint.url], webhookSecret: SECRET });
    expect(await good.json()).toMatchObject({ webhookUrls: [endpoint.url], webhookSecret: SECRET });
    await stripe.customers.create({ name: 'heard' });
    await eventually(() => endpoint.received.length === 1);
    const log = (await fetch(`${emulator.url}/_emulator/webhooks`).then((r) => r.json())) as {
      events: Array<{ type: string; createdMs: number; attempts: unknown[] }>;
      pending: number;
    };
    expect(log.events).toHaveLength(1);
    expect(log.events[0]).toMatchObject({ type: 'customer.created', attempts: [{ outcome: 200 }] });
    expect(log.events[0]!.createdMs).toBeGreaterThan(0);
  });
});
