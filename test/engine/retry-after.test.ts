/**
 * A Retry-After that one caller gets pauses every caller of that endpoint, in process on a fake
 * clock: the full import reads pages with several workers at once, and the ones that did not get
 * the 429 must not keep sending into a limit Stripe just said is spent (each would collect a 429
 * of its own, eating the merchant's budget). Other endpoints go on.
 */
import Stripe from 'stripe';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENDPOINTS, type Endpoint } from '../../connector/stripe/rate-budgets';
import { RequestGate } from '../../connector/stripe/request-gate';

afterEach(() => {
  vi.useRealTimers();
});

function rateLimited(retryAfterSeconds: number): Error {
  return Stripe.errors.StripeError.generate({
    type: 'invalid_request_error',
    code: 'rate_limit',
    message: 'Too many requests',
    statusCode: 429,
    headers: { 'retry-after': String(retryAfterSeconds) },
  } as never);
}

/** Sends of each endpoint, by the fake clock (ms), and when the 429 was answered. */
interface Trace {
  sent: Array<{ endpoint: Endpoint; at: number; worker: number }>;
  limitedAt?: number;
}

/**
 * `workers` callers of the customers list and one of the events list, `requests` calls each; the
 * list's first call is answered 429 with Retry-After: `retryAfter` seconds.
 */
async function run(workers: number, requests: number, retryAfter: number): Promise<Trace> {
  vi.useFakeTimers({ now: 0 });
  const gate = new RequestGate({
    budgets: {
      global: 99,
      endpoints: {
        [ENDPOINTS.listCustomers]: 24,
        [ENDPOINTS.searchCustomers]: 19,
        [ENDPOINTS.retrieveCustomer]: 24,
        [ENDPOINTS.listEvents]: 24,
      },
    },
    maxAttempts: 3,
    initialDelayMs: 100,
    maxDelayMs: 1_000,
  });
  const trace: Trace = { sent: [] };
  const caller = (endpoint: Endpoint, worker: number) => async () => {
    for (let i = 0; i < requests; i++) {
      await gate.run(endpoint, async () => {
        trace.sent.push({ endpoint, at: Date.now(), worker });
        if (endpoint === ENDPOINTS.listCustomers && trace.limitedAt === undefined) {
          trace.limitedAt = Date.now();
          throw rateLimited(retryAfter);
        }
      });
    }
  };
  let done = false;
  const work = Promise.all([
    ...Array.from({ length: workers }, (_, worker) => caller(ENDPOINTS.listCustomers, worker)()),
    caller(ENDPOINTS.listEvents, workers)(),
  ]).finally(() => (done = true));
  for (let step = 0; !done && step < 100_000; step++) await vi.advanceTimersByTimeAsync(5);
  await work;
  return trace;
}

describe('Retry-After', () => {
  it("pauses the endpoint's other callers, not only the one that got the 429", async () => {
    const trace = await run(4, 10, 2);
    const limitedAt = trace.limitedAt as number;
    const list = trace.sent.filter((send) => send.endpoint === ENDPOINTS.listCustomers);
    expect(list).toHaveLength(4 * 10 + 1);
    // Nothing of the list goes out while Stripe said to wait, whichever worker sends it...
    const during = list.filter((send) => send.at > limitedAt && send.at < limitedAt + 2_000);
    expect(during).toEqual([]);
    // ...and then every worker goes on.
    const after = new Set(list.filter((send) => send.at >= limitedAt + 2_000).map((s) => s.worker));
    expect(after.size).toBe(4);
    // Another endpoint is not paused by the list's Retry-After.
    const events = trace.sent.filter((send) => send.endpoint === ENDPOINTS.listEvents);
    expect(events.some((send) => send.at > limitedAt && send.at < limitedAt + 2_000)).toBe(true);
  });
});
