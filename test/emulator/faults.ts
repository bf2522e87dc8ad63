/**
 * Misbehaviour on demand: added latency, a request-rate limit like Stripe's, a random share of
 * failing requests (deterministic for a seed), and a queue of scripted faults for the next
 * matching requests.
 */
import { Rng } from './prng.js';

export type ScriptedFault =
  429 | 500 | 502 | 503 | 'reset' | 'truncate' | 'slow' | 'garble' | 'hollow';

export interface FaultSettings {
  latencyMs?: number;
  rateLimit?: number;
  failRate?: number;
  /**
   * Faults for the next requests, in order. `path` (optional) limits one to requests whose
   * path, route pattern (`/v1/customers/:id`) or `METHOD path` matches; a `*` matches any run of
   * characters. 'reset' destroys the socket, 'truncate' sends half the JSON body then closes,
   * 'slow' answers normally after 30 s, 'garble' answers with damaged objects (garble.ts), 'hollow' a list with no usable
   * entry that still says it has more.
   */
  failNext?: Array<{ status: ScriptedFault; path?: string }>;
}

const SCRIPTED: readonly ScriptedFault[] = [
  429,
  500,
  502,
  503,
  'reset',
  'truncate',
  'slow',
  'garble',
  'hollow',
];

/** How long a 'slow' fault holds a response. */
export const SLOW_FAULT_MS = 30_000;

/**
 * Sliding one-second window over admitted requests: at most `limit` requests are let through in
 * any 1000 ms span, however the client spaces or bursts them. Rejected requests do not count
 * (otherwise a client retrying fast would lock itself out forever).
 */
export class RateLimiter {
  private readonly stamps: number[] = [];

  admit(limit: number, nowMs: number): boolean {
    while (this.stamps.length > 0 && (this.stamps[0] as number) <= nowMs - 1000) {
      this.stamps.shift();
    }
    if (this.stamps.length >= limit) return false;
    this.stamps.push(nowMs);
    return true;
  }
}

export class Faults {
  latencyMs = 0;
  rateLimit = 0;
  failRate = 0;
  private queue: Array<{ status: ScriptedFault; path?: string }> = [];
  private readonly rng: Rng;
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(seed: number, settings: FaultSettings) {
    this.rng = new Rng(seed);
    this.set(settings);
  }

  set(settings: FaultSettings): void {
    if (settings.latencyMs !== undefined) this.latencyMs = Math.max(0, settings.latencyMs);
    if (settings.rateLimit !== undefined) this.rateLimit = Math.max(0, settings.rateLimit);
    if (settings.failRate !== undefined) {
      this.failRate = Math.min(1, Math.max(0, settings.failRate));
    }
    if (settings.failNext !== undefined) {
      for (const f of settings.failNext) {
        if (!SCRIPTED.includes(f?.status)) {
          throw new TypeError(`failNext status must be one of ${SCRIPTED.join(', ')}`);
        }
      }
      this.queue.push(...settings.failNext);
    }
  }

  settings(): Required<FaultSettings> {
    return {
      latencyMs: this.latencyMs,
      rateLimit: this.rateLimit,
      failRate: this.failRate,
      failNext: this.queue.slice(),
    };
  }

  /** The fault for this request, if any: the first queued one that matches, else a random one. */
  take(method: string, path: string, pattern: string): ScriptedFault | undefined {
    const at = this.queue.findIndex((f) => !f.path || matches(f.path, method, path, pattern));
    if (at >= 0) return this.queue.splice(at, 1)[0]?.status;
    if (this.failRate > 0) {
      const u = this.rng.next();
      if (u < this.failRate) return u < this.failRate / 2 ? 500 : 'reset';
    }
    return undefined;
  }

  /** Rate limits are per account and mode, as Stripe's are. */
  admit(bucket: string, nowMs: number): boolean {
    if (this.rateLimit <= 0) return true;
    let limiter = this.limiters.get(bucket);
    if (!limiter) this.limiters.set(bucket, (limiter = new RateLimiter()));
    return limiter.admit(this.rateLimit, nowMs);
  }
}

function matches(spec: string, method: string, path: string, pattern: string): boolean {
  const re = new RegExp(
    '^' +
      spec
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return [path, pattern, `${method} ${path}`, `${method} ${pattern}`].some((s) => re.test(s));
}
