/**
 * The request gate's slow-down and recovery, its patience with 429s, and what it learns of
 * Stripe's answer time, in process (delays recorded instead of waited, or a fake clock).
 */
import Stripe from 'stripe';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENDPOINTS, rateBudgets } from '../../connector/stripe/rate-budgets';
import { RequestGate } from '../../connector/stripe/request-gate';

afterEach(() => {
  vi.useRealTimers();
});

const rateLimited = (headers: Record<string, string> = {}) =>
  Stripe.errors.StripeError.generate({
    type: 'invalid_request_error',
    code: 'rate_limit',
    message: 'Too many requests',
    statusCode: 429,
    headers,
  } as never);

function gate(options: { patienceMs?: number } = {}) {
  const delays: number[] = [];
  const requestGate = new RequestGate({
    budgets: rateBudgets('live', 1),
    maxAttempts: 3,
    initialDelayMs: 100,
    maxDelayMs: 1_000,
    ...(options.patienceMs !== undefined ? { rateLimitPatienceMs: options.patienceMs } : {}),
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
  return { requestGate, delays };
}

const FULL = rateBudgets('live', 1).endpoints[ENDPOINTS.listCustomers];

/** Runs `work` on the fake clock, a few milliseconds at a time, until it is done. */
async function onFakeClock<T>(work: Promise<T>): Promise<T> {
  let done = false;
  void work.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) await vi.advanceTimersByTimeAsync(50);
  return work;
}

describe('after a 429', () => {
  it('slows the endpoint by a fifth per 429, never below a fifth of its budget', async () => {
    vi.useFakeTimers({ now: 0 });
    const { requestGate } = gate();
    let calls = 0;
    const limitedTwice = async () => {
      if (calls++ < 2) throw rateLimited({ 'retry-after': '0' });
      return 'ok';
    };
    await onFakeClock(requestGate.run(ENDPOINTS.listCustomers, limitedTwice));
    // Two 429s (x 0.8 each), then one success (+0.2% of the budget).
    expect(requestGate.pace(ENDPOINTS.listCustomers)).toBeCloseTo(FULL * 0.64 + FULL * 0.002, 6);
    let always = 0;
    await onFakeClock(
      requestGate.run(ENDPOINTS.listCustomers, async () => {
        if (always++ < 30) throw rateLimited({ 'retry-after': '0' });
        return 'ok';
      }),
    );
    expect(requestGate.pace(ENDPOINTS.listCustomers)).toBeCloseTo(FULL * 0.2 + FULL * 0.002, 6);
    expect(requestGate.stats.rateLimited).toBe(32);
    expect(requestGate.stats.byEndpoint[ENDPOINTS.listCustomers]?.rateLimited).toBe(32);
  });

  it('recovers a little with every success, up to the budget and no further', async () => {
    vi.useFakeTimers({ now: 0 });
    const { requestGate } = gate();
    let first = true;
    await onFakeClock(
      requestGate.run(ENDPOINTS.listEvents, async () => {
        if (first) {
          first = false;
          throw rateLimited({ 'retry-after': '0' });
        }
      }),
    );
    expect(requestGate.pace(ENDPOINTS.listEvents)).toBeCloseTo(FULL * 0.8 + FULL * 0.002, 6);
    await onFakeClock(
      (async () => {
        for (let i = 0; i < 99; i++) await requestGate.run(ENDPOINTS.listEvents, async () => 'ok');
      })(),
    );
    expect(requestGate.pace(ENDPOINTS.listEvents)).toBeCloseTo(FULL, 6);
    await onFakeClock(requestGate.run(ENDPOINTS.listEvents, async () => 'ok'));
    expect(requestGate.pace(ENDPOINTS.listEvents)).toBe(FULL);
  });

  it('waits 429s out with growing back-off, up to its patience, then gives up', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { requestGate, delays } = gate({ patienceMs: 1_000 });
    let calls = 0;
    const never = async () => {
      calls++;
      throw rateLimited();
    };
    await expect(requestGate.run(ENDPOINTS.searchCustomers, never)).rejects.toThrow(
      /Too many requests/,
    );
    // 250, 500, then 999 ms: the wait then passed the patience, so no fourth retry.
    expect(delays.map(Math.round)).toEqual([250, 500, 999]);
    expect(calls).toBe(4);
    vi.restoreAllMocks();
  });
});

describe("Stripe's answer time", () => {
  it('is unknown before the first answer, then sets how many requests are worth having in flight', async () => {
    vi.useFakeTimers({ now: 0 });
    const { requestGate } = gate();
    expect(requestGate.inFlightWorth(ENDPOINTS.listCustomers)).toBeUndefined();
    const answerAfter = (ms: number) => () =>
      new Promise<string>((resolve) => setTimeout(() => resolve('ok'), ms));
    const first = requestGate.run(ENDPOINTS.listCustomers, answerAfter(500));
    await vi.advanceTimersByTimeAsync(600);
    await first;
    // A success also lifts the pace by 0.2%: capped at the budget.
    expect(requestGate.inFlightWorth(ENDPOINTS.listCustomers)).toBeCloseTo((FULL * 500) / 1000, 6);
    const second = requestGate.run(ENDPOINTS.listCustomers, answerAfter(1_000));
    await vi.advanceTimersByTimeAsync(1_200);
    await second;
    // A moving average: 0.8 of what it was, 0.2 of the new answer.
    expect(requestGate.inFlightWorth(ENDPOINTS.listCustomers)).toBeCloseTo(
      (FULL * (500 * 0.8 + 1_000 * 0.2)) / 1000,
      6,
    );
    expect(requestGate.inFlightWorth(ENDPOINTS.listEvents)).toBeUndefined();
  });
});
