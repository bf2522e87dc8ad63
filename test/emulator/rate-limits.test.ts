/**
 * Stripe's rate limits in the emulator, with Stripe's real numbers, through the official SDK:
 * per endpoint (25/s), search (20/s), global per mode (100/s live, 25/s test), the 429 body
 * Stripe sends, per-endpoint stats, and the `Stripe-Should-Retry` / `Retry-After` headers.
 */
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from './index.js';
import { rawSdkFor } from '../support/stripe';

const TEST_KEY = 'sk_test_emulator';
const LIVE_KEY = 'sk_live_emulator';

const sdk = (emu: RunningEmulator, key: string, extra: Stripe.StripeConfig = {}): Stripe =>
  rawSdkFor(emu, key, extra);

interface Outcome {
  ok: number;
  limited: Stripe.errors.StripeError[];
  /** From the first send to the last answer: every admission happened in this span. */
  elapsedSeconds: number;
}

/**
 * Sends `count` requests at `perSecond`, each at its own time on an absolute schedule (a late
 * timer sends what is due at once, so a stalled machine only makes the traffic burstier).
 */
async function paced(
  perSecond: number,
  count: number,
  send: (i: number) => Promise<unknown>,
): Promise<Outcome> {
  const started = performance.now();
  const requests = Array.from(
    { length: count },
    (_, i) =>
      new Promise<unknown>((resolve, reject) => {
        const due = started + (i * 1000) / perSecond;
        setTimeout(() => send(i).then(resolve, reject), Math.max(0, due - performance.now()));
      }),
  );
  const results = await Promise.allSettled(requests);
  return outcome(results, started);
}

function outcome(results: PromiseSettledResult<unknown>[], started: number): Outcome {
  const limited = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  return {
    ok: results.length - limited.length,
    limited: limited as Stripe.errors.StripeError[],
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}

/** Every failure is Stripe's rate-limit answer, as the SDK reports it. */
function expectStripe429s(limited: Stripe.errors.StripeError[]): void {
  for (const error of limited) {
    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(error).toMatchObject({ statusCode: 429, code: 'rate_limit' });
    expect(error.raw).toMatchObject({ type: 'invalid_request_error', code: 'rate_limit' });
  }
}

/** A sliding one-second window admits at most `limit` per started second of the span. */
function maxAdmitted(limit: number, seconds: number): number {
  return limit * Math.ceil(seconds);
}

describe("Stripe's rate limits (stripeLimits)", () => {
  let emu: RunningEmulator;
  afterEach(() => emu.close());

  const start = (options: Parameters<typeof startEmulator>[0] = {}) =>
    startEmulator({ customers: 60, seed: 11, apiKeys: [TEST_KEY, LIVE_KEY], ...options });

  it('30 requests/s to one endpoint get 429s from its 25/s limit, even in live mode', async () => {
    emu = await start({ stripeLimits: true });
    const stripe = sdk(emu, LIVE_KEY);
    const run = await paced(30, 60, () => stripe.customers.list({ limit: 1 }));
    expect(run.limited.length).toBeGreaterThan(0);
    expectStripe429s(run.limited);
    expect(run.ok).toBeLessThanOrEqual(maxAdmitted(25, run.elapsedSeconds));
    const stats = emu.stats();
    expect(stats.byEndpoint['GET /v1/customers']).toEqual({
      requests: 60,
      rateLimited: run.limited.length,
    });
    // Live mode's global 100/s is far away: the endpoint's own limit answered every 429.
    expect(stats.rateLimitedBy).toEqual({ global: 0, endpoint: run.limited.length, scripted: 0 });
  });

  it('two endpoints at 20/s each stay under their own limits but hit the global 25/s of test mode', async () => {
    emu = await start({ stripeLimits: true });
    const stripe = sdk(emu, TEST_KEY);
    const run = await paced(40, 80, (i) =>
      i % 2 === 0 ? stripe.customers.list({ limit: 1 }) : stripe.events.list({ limit: 1 }),
    );
    expect(run.limited.length).toBeGreaterThan(0);
    expectStripe429s(run.limited);
    expect(run.ok).toBeLessThanOrEqual(maxAdmitted(25, run.elapsedSeconds));
    const stats = emu.stats();
    expect(stats.rateLimitedBy).toEqual({ global: run.limited.length, endpoint: 0, scripted: 0 });
    expect(stats.byEndpoint['GET /v1/customers']?.requests).toBe(40);
    expect(stats.byEndpoint['GET /v1/events']?.requests).toBe(40);
    expect(
      (stats.byEndpoint['GET /v1/customers']?.rateLimited ?? 0) +
        (stats.byEndpoint['GET /v1/events']?.rateLimited ?? 0),
    ).toBe(run.limited.length);

    // The same traffic with a live key fits under live mode's global 100/s.
    emu.resetStats();
    const live = sdk(emu, LIVE_KEY);
    await paced(40, 80, (i) =>
      i % 2 === 0 ? live.customers.list({ limit: 1 }) : live.events.list({ limit: 1 }),
    );
    expect(emu.stats().rateLimitedBy.global).toBe(0);
  });

  it('search at 25/s gets 429s from its own 20/s limit', async () => {
    emu = await start({ stripeLimits: true });
    const stripe = sdk(emu, LIVE_KEY);
    const run = await paced(25, 50, () =>
      stripe.customers.search({ query: "metadata['plan']:'pro'", limit: 1 }),
    );
    expect(run.limited.length).toBeGreaterThan(0);
    expectStripe429s(run.limited);
    expect(run.ok).toBeLessThanOrEqual(maxAdmitted(20, run.elapsedSeconds));
    const stats = emu.stats();
    expect(stats.byEndpoint['GET /v1/customers/search']).toEqual({
      requests: 50,
      rateLimited: run.limited.length,
    });
    expect(stats.rateLimitedBy.endpoint).toBe(run.limited.length);
  });

  it('retrieves of different ids share one endpoint', async () => {
    emu = await start({ stripeLimits: true });
    const stripe = sdk(emu, LIVE_KEY);
    const ids = (await stripe.customers.list({ limit: 60 })).data.map((c) => c.id);
    expect(new Set(ids).size).toBe(60);
    emu.resetStats();
    const started = performance.now();
    const results = await Promise.allSettled(ids.map((id) => stripe.customers.retrieve(id)));
    const burst = outcome(results, started);
    expect(burst.limited.length).toBeGreaterThan(0);
    expectStripe429s(burst.limited);
    expect(burst.ok).toBeLessThanOrEqual(maxAdmitted(25, burst.elapsedSeconds));
    expect(emu.stats().byEndpoint['GET /v1/customers/:id']).toEqual({
      requests: 60,
      rateLimited: burst.limited.length,
    });
  });

  it('rejected requests count toward no limit, so a client that waits a second gets through', async () => {
    emu = await start({ stripeLimits: true });
    const stripe = sdk(emu, TEST_KEY);
    const first = await Promise.allSettled(
      Array.from({ length: 40 }, () => stripe.customers.list({ limit: 1 })),
    );
    expect(first.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // The 429s of the burst did not fill the next second's window.
    const next = await Promise.allSettled(
      Array.from({ length: 20 }, () => stripe.customers.list({ limit: 1 })),
    );
    expect(next.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('turns on, changes and turns off at runtime; explicit limits override the preset', async () => {
    emu = await start();
    const stripe = sdk(emu, TEST_KEY);
    const burst = async (n: number) =>
      (
        await Promise.allSettled(
          Array.from({ length: n }, () => stripe.customers.list({ limit: 1 })),
        )
      ).filter((r) => r.status === 'rejected').length;
    expect(await burst(40)).toBe(0);
    emu.setFaults({ stripeLimits: true, endpointRateLimit: 5 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await burst(20)).toBeGreaterThanOrEqual(10);
    expect(emu.stats().rateLimitedBy.endpoint).toBeGreaterThanOrEqual(10);
    emu.setFaults({ stripeLimits: false });
    expect(await burst(40)).toBe(0);
  });
});

describe('Retry-After and Stripe-Should-Retry', () => {
  let emu: RunningEmulator;
  afterEach(() => emu.close());

  const raw = (path: string) =>
    fetch(`${emu.url}${path}`, { headers: { Authorization: `Bearer ${TEST_KEY}` } });

  it('scripted 429 and 5xx answers carry the headers they are given', async () => {
    emu = await startEmulator({ customers: 5 });
    emu.setFaults({
      failNext: [
        { status: 429, retryAfter: 3, shouldRetry: true },
        { status: 503, shouldRetry: false },
        { status: 500 },
      ],
    });
    const limited = await raw('/v1/customers');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('stripe-should-retry')).toBe('true');
    expect(await limited.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'rate_limit' },
    });
    const unavailable = await raw('/v1/customers');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('stripe-should-retry')).toBe('false');
    expect(unavailable.headers.get('retry-after')).toBeNull();
    const plain = await raw('/v1/customers');
    expect(plain.status).toBe(500);
    expect(plain.headers.get('stripe-should-retry')).toBeNull();
    expect(emu.stats().rateLimitedBy.scripted).toBe(1);
  });

  it('the SDK obeys Stripe-Should-Retry: it retries a 429 told to, and not a 503 told not to', async () => {
    emu = await startEmulator({ customers: 5 });
    const stripe = sdk(emu, TEST_KEY, { maxNetworkRetries: 2 });
    emu.setFaults({ failNext: [{ status: 429, shouldRetry: true }] });
    expect((await stripe.customers.list()).data).toHaveLength(5);
    expect(emu.stats().byStatus).toEqual({ '429': 1, '200': 1 });

    emu.resetStats();
    emu.setFaults({ failNext: [{ status: 503, shouldRetry: false }] });
    const error = await stripe.customers.list().catch((e: Stripe.errors.StripeError) => e);
    expect(error).toMatchObject({ statusCode: 503 });
    expect(emu.stats().requests).toBe(1);
    // Without the header the SDK retries a 503 by itself.
    emu.resetStats();
    emu.setFaults({ failNext: [{ status: 503 }] });
    expect((await stripe.customers.list()).data).toHaveLength(5);
    expect(emu.stats().requests).toBe(2);
  });

  it('rejects a malformed scripted fault without queueing anything', async () => {
    emu = await startEmulator({ customers: 1 });
    expect(() => emu.setFaults({ failNext: [{ status: 'reset', retryAfter: 1 }] })).toThrow(
      /retryAfter goes with a 429 or 5xx/,
    );
    expect(() =>
      emu.setFaults({ failNext: [{ status: 429, shouldRetry: 'yes' as unknown as boolean }] }),
    ).toThrow(/shouldRetry must be true or false/);
    expect((await raw('/v1/customers')).status).toBe(200);
  });

  it("the limiters' own 429s carry Retry-After only when asked to", async () => {
    emu = await startEmulator({ customers: 1, rateLimit: 2 });
    const burst = async () => Promise.all(Array.from({ length: 6 }, () => raw('/v1/customers')));
    const without = (await burst()).filter((r) => r.status === 429);
    expect(without.length).toBeGreaterThan(0);
    expect(without.every((r) => r.headers.get('retry-after') === null)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const set = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ rateLimitRetryAfter: 1 }),
    }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(set).toMatchObject({ rateLimit: 2, rateLimitRetryAfter: 1 });
    const withHeader = (await burst()).filter((r) => r.status === 429);
    expect(withHeader.length).toBeGreaterThan(0);
    expect(withHeader.every((r) => r.headers.get('retry-after') === '1')).toBe(true);
  });
});
