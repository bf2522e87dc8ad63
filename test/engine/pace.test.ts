/**
 * The request gate's pacing, on a fake clock whose timers fire late (as a busy event loop's do):
 * the pace holds over a long run (lateness does not add up), no one-second window ever holds more
 * requests than the pace, and late requests never go out back to back.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENDPOINTS, type Endpoint } from '../../connector/stripe/rate-budgets';
import { RequestGate } from '../../connector/stripe/request-gate';

afterEach(() => {
  vi.useRealTimers();
});

/** Runs `requests` calls from `workers` concurrent callers; returns when each one went out. */
async function sendTimes(
  pace: number,
  requests: number,
  workers: number,
  /** The fake clock advances in steps this long: a timer fires up to this late. */
  stepMs: number,
  /** Every this many steps the event loop is blocked this long (timers pile up behind it). */
  stall?: { everySteps: number; ms: number },
): Promise<number[]> {
  vi.useFakeTimers({ now: 0 });
  const gate = gateWith(99, pace);
  const sent: number[] = [];
  let left = requests;
  const worker = async () => {
    while (left-- > 0) {
      await gate.run(ENDPOINTS.listCustomers, async () => {
        sent.push(Date.now());
      });
    }
  };
  await runFakeClock(Promise.all(Array.from({ length: workers }, worker)), stepMs, stall);
  return sent;
}

/** A gate pacing every endpoint at `pace` and the account at `global` requests per second. */
function gateWith(global: number, pace: number): RequestGate {
  return new RequestGate({
    budgets: {
      global,
      endpoints: {
        [ENDPOINTS.listCustomers]: pace,
        [ENDPOINTS.searchCustomers]: pace,
        [ENDPOINTS.retrieveCustomer]: pace,
        [ENDPOINTS.listEvents]: pace,
        [ENDPOINTS.listAccounts]: pace,
      },
    },
    maxAttempts: 1,
    initialDelayMs: 1,
    maxDelayMs: 1,
  });
}

/** Advances the fake clock in steps of `stepMs` (and stalls) until `work` is done. */
async function runFakeClock(
  work: Promise<unknown>,
  stepMs: number,
  stall?: { everySteps: number; ms: number },
): Promise<void> {
  let finished = false;
  void work.then(() => {
    finished = true;
  });
  for (let step = 1; !finished; step++) {
    if (stall && step % stall.everySteps === 0) vi.setSystemTime(Date.now() + stall.ms);
    await vi.advanceTimersByTimeAsync(stepMs);
  }
  await work;
}

/** The most requests any one-second window holds. */
function busiestSecond(times: number[]): number {
  let most = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while ((times[last] as number) - (times[first] as number) >= 1000) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe('pacing', () => {
  it('keeps the pace asked for although every timer fires late', async () => {
    const sent = await sendTimes(24, 480, 12, 7);
    // 480 requests at 24/s: 479 gaps of 41.7 ms, 19.96 s. A bucket that waits from when its timer
    // fired loses up to a step per request (7 ms: 14% here).
    const seconds = ((sent.at(-1) as number) - (sent[0] as number)) / 1000;
    expect(seconds).toBeLessThan(20.4);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(24);
  });

  it('never crowds a second after the event loop was blocked, and never sends back to back', async () => {
    // Blocked for 120 ms every 3 s (a garbage collection, a large page to parse).
    const sent = await sendTimes(24, 480, 12, 3, { everySteps: 1000, ms: 120 });
    expect(busiestSecond(sent)).toBeLessThanOrEqual(24);
    const gaps = sent.slice(1).map((time, i) => time - (sent[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(Math.floor(0.8 * (1000 / 24)));
    // It loses at most the stalls themselves (0.7 s together; no second may make them up by
    // holding more than 24), not a share of every wait as well: 19.96 s without stalls.
    const seconds = ((sent.at(-1) as number) - (sent[0] as number)) / 1000;
    expect(seconds).toBeLessThan(20.7);
  });

  it('holds the account-wide pace across endpoints', async () => {
    vi.useFakeTimers({ now: 0 });
    const gate = gateWith(30, 24);
    const sent: number[] = [];
    const worker = async (endpoint: Endpoint) => {
      for (let i = 0; i < 100; i++) {
        await gate.run(endpoint, async () => {
          sent.push(Date.now());
        });
      }
    };
    // Two callers on each of two endpoints: 48 requests/s asked for, 30 allowed.
    const { listCustomers, listEvents } = ENDPOINTS;
    const callers: Endpoint[] = [listCustomers, listCustomers, listEvents, listEvents];
    await runFakeClock(Promise.all(callers.map(worker)), 5);
    sent.sort((a, b) => a - b);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(30);
    // 400 requests under 30/s overall: about 13.3 s, not 400 / 48.
    expect(((sent.at(-1) as number) - (sent[0] as number)) / 1000).toBeGreaterThan(12.9);
  });
});
