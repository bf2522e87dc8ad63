/**
 * The request gate's retry and slow-down rules, in process: failures are retried with growing
 * back-off delays up to `maxAttempts`, 429s slow down only the endpoint that got them, Stripe's
 * Retry-After and Stripe-Should-Retry are honoured. (Pacing on a clock whose timers fire late:
 * pace.test.ts; under Stripe's real limits, end to end against the emulator:
 * test/cli/real-stripe.test.ts.)
 */
import Stripe from 'stripe';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENDPOINTS, rateBudgets } from '../../connector/stripe/rate-budgets';
import { RequestGate } from '../../connector/stripe/request-gate';

function stripeError(statusCode: number, headers: Record<string, string> = {}): Error {
  return Stripe.errors.StripeError.generate({
    type: statusCode === 429 ? 'invalid_request_error' : 'api_error',
    message: `failed with ${statusCode}`,
    statusCode,
    headers,
    ...(statusCode === 429 ? { code: 'rate_limit' } : {}),
  } as never);
}

/** A call that fails with these errors, in turn, then answers 'ok'. */
function failing(...errors: Error[]): { call: () => Promise<string>; attempts: () => number } {
  let attempts = 0;
  return {
    call: async () => {
      const error = errors[attempts++];
      if (error) throw error;
      return 'ok';
    },
    attempts: () => attempts,
  };
}

function gate(maxAttempts = 4) {
  const delays: number[] = [];
  const slowdowns: Array<{ endpoint: string; pace: number }> = [];
  const requestGate = new RequestGate(
    {
      budgets: rateBudgets('live', 1),
      maxAttempts,
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      sleep: async (ms) => {
        delays.push(ms);
      },
    },
    (slowdown) => slowdowns.push(slowdown),
  );
  return { requestGate, delays, slowdowns };
}

afterEach(() => vi.restoreAllMocks());

describe('the request gate', () => {
  it('retries server errors with exponentially growing delays, then gives up', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { requestGate, delays } = gate(4);
    const flaky = failing(stripeError(500), stripeError(502), stripeError(503));
    await expect(requestGate.run(ENDPOINTS.listCustomers, flaky.call)).resolves.toBe('ok');
    expect(flaky.attempts()).toBe(4);
    expect(delays.map(Math.round)).toEqual([500, 999, 1998]);

    const down = failing(...Array.from({ length: 4 }, () => stripeError(500)));
    await expect(requestGate.run(ENDPOINTS.listCustomers, down.call)).rejects.toThrow(/500/);
    expect(down.attempts()).toBe(4);
  });

  it('slows down only the endpoint that got a 429, and honours Retry-After', async () => {
    const { requestGate, delays, slowdowns } = gate();
    const before = requestGate.pace(ENDPOINTS.listEvents);
    const limited = failing(stripeError(429, { 'retry-after': '1' }));
    await expect(requestGate.run(ENDPOINTS.listCustomers, limited.call)).resolves.toBe('ok');
    expect(delays).toEqual([1000]);
    expect(slowdowns).toHaveLength(1);
    expect(slowdowns[0]?.endpoint).toBe(ENDPOINTS.listCustomers);
    expect(requestGate.pace(ENDPOINTS.listCustomers)).toBeLessThan(
      rateBudgets('live', 1).endpoints[ENDPOINTS.listCustomers],
    );
    expect(requestGate.pace(ENDPOINTS.listEvents)).toBe(before);
    expect(requestGate.stats.byEndpoint[ENDPOINTS.listCustomers]?.rateLimited).toBe(1);
  });

  it('does not count 429s against the attempts for failures', async () => {
    const { requestGate } = gate(2);
    const limited = failing(...Array.from({ length: 5 }, () => stripeError(429)));
    await expect(requestGate.run(ENDPOINTS.retrieveCustomer, limited.call)).resolves.toBe('ok');
    expect(limited.attempts()).toBe(6);
  });

  it('follows Stripe-Should-Retry either way', async () => {
    const { requestGate } = gate();
    const refused = failing(stripeError(500, { 'stripe-should-retry': 'false' }));
    await expect(requestGate.run(ENDPOINTS.listEvents, refused.call)).rejects.toThrow(/500/);
    expect(refused.attempts()).toBe(1);
    const invited = failing(stripeError(400, { 'stripe-should-retry': 'true' }));
    await expect(requestGate.run(ENDPOINTS.listEvents, invited.call)).resolves.toBe('ok');
    expect(invited.attempts()).toBe(2);
  });
});

describe('rate budgets', () => {
  it('take a share of Stripe limits per endpoint and per account, never all of one', () => {
    const live = rateBudgets('live', 0.8);
    expect(live.global).toBe(80);
    expect(live.endpoints[ENDPOINTS.listCustomers]).toBe(20);
    expect(live.endpoints[ENDPOINTS.searchCustomers]).toBe(16);
    const sandbox = rateBudgets('test', 0.8);
    expect(sandbox.global).toBe(20);
    expect(sandbox.endpoints[ENDPOINTS.listCustomers]).toBe(20);
    const whole = rateBudgets('live', 1);
    expect(whole.global).toBe(99);
    expect(whole.endpoints[ENDPOINTS.listCustomers]).toBe(24);
    expect(whole.endpoints[ENDPOINTS.searchCustomers]).toBe(19);
    expect(rateBudgets('live', 0.8, 10).endpoints[ENDPOINTS.listEvents]).toBe(10);
  });
});
