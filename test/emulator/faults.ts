/**
 * Misbehaviour on demand: added latency, Stripe's rate limiters (rate-limits.ts), a random share
 * of failing requests (deterministic for a seed), and a queue of scripted faults for the next
 * matching requests.
 *
 * Scripted 429 and 5xx answers may carry the headers Stripe uses to steer clients:
 * `Stripe-Should-Retry: true|false` (the official SDK obeys it before anything else: `true`
 * retries even a 429, `false` stops even a 5xx from being retried; see `_shouldRetry` in
 * stripe's RequestSender) and `Retry-After: <seconds>` (which the SDK ignores, so a client that
 * wants to honour it must read it itself).
 */
import type { BehaviourSettings } from './behaviour.js';
import type { WebhookSettings } from './webhooks.js';
import { Rng } from './prng.js';
import { type RateLimitSettings, RateLimits } from './rate-limits.js';

export { RateLimiter } from './rate-limits.js';

export type ScriptedFault =
  429 | 500 | 502 | 503 | 'reset' | 'truncate' | 'slow' | 'garble' | 'hollow';

/** One queued fault. */
export interface ScriptedFaultSpec {
  status: ScriptedFault;
  /**
   * Limits it to requests whose path, route pattern (`/v1/customers/:id`) or `METHOD path`
   * matches; a `*` matches any run of characters.
   */
  path?: string;
  /** 429 / 5xx only: `Retry-After` header, in seconds. */
  retryAfter?: number;
  /** 429 / 5xx only: `Stripe-Should-Retry` header. */
  shouldRetry?: boolean;
}

export interface NetworkFaultSettings extends RateLimitSettings {
  latencyMs?: number;
  /** 0..1: share of requests failing (half 500 api_error, half a destroyed socket), seeded. */
  failRate?: number;
  /**
   * Faults for the next requests, in order. 'reset' destroys the socket, 'truncate' sends half
   * the JSON body then closes, 'slow' answers normally after 30 s, 'garble' answers with
   * damaged objects (garble.ts), 'hollow' a list with no usable entry that still says it has
   * more.
   */
  failNext?: ScriptedFaultSpec[];
}

/**
 * Everything `setFaults` / `POST /_emulator/faults` changes at runtime: network faults and rate
 * limits (this file, rate-limits.ts), the data knobs (behaviour.ts) and webhook deliveries
 * (webhooks.ts). Fields left out keep their current value.
 */
export interface FaultSettings extends NetworkFaultSettings, BehaviourSettings, WebhookSettings {}

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

export class Faults {
  latencyMs = 0;
  failRate = 0;
  readonly limits = new RateLimits();
  private queue: ScriptedFaultSpec[] = [];
  private readonly rng: Rng;

  constructor(seed: number, settings: NetworkFaultSettings) {
    this.rng = new Rng(seed);
    this.set(settings);
  }

  /** Throws a TypeError naming the field when a value is malformed; changes nothing then. */
  static validate(settings: NetworkFaultSettings): void {
    RateLimits.validate(settings);
    for (const name of ['latencyMs', 'failRate'] as const) {
      const value = settings[name];
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
        throw new TypeError(`${name} must be a number, got ${JSON.stringify(value)}`);
      }
    }
    if (settings.failNext === undefined) return;
    if (!Array.isArray(settings.failNext)) throw new TypeError('failNext must be an array');
    for (const f of settings.failNext) {
      if (!SCRIPTED.includes(f?.status)) {
        throw new TypeError(`failNext status must be one of ${SCRIPTED.join(', ')}`);
      }
      const answers = typeof f.status === 'number';
      if (f.retryAfter !== undefined) {
        if (!answers) throw new TypeError('failNext retryAfter goes with a 429 or 5xx status');
        if (typeof f.retryAfter !== 'number' || !(f.retryAfter >= 0)) {
          throw new TypeError('failNext retryAfter must be a number of seconds >= 0');
        }
      }
      if (f.shouldRetry !== undefined) {
        if (!answers) throw new TypeError('failNext shouldRetry goes with a 429 or 5xx status');
        if (typeof f.shouldRetry !== 'boolean') {
          throw new TypeError('failNext shouldRetry must be true or false');
        }
      }
    }
  }

  set(settings: NetworkFaultSettings): void {
    Faults.validate(settings);
    this.limits.set(settings);
    if (settings.latencyMs !== undefined) this.latencyMs = Math.max(0, settings.latencyMs);
    if (settings.failRate !== undefined) {
      this.failRate = Math.min(1, Math.max(0, settings.failRate));
    }
    if (settings.failNext !== undefined) this.queue.push(...settings.failNext);
  }

  settings(): Required<NetworkFaultSettings> {
    return {
      latencyMs: this.latencyMs,
      ...this.limits.settings(),
      failRate: this.failRate,
      failNext: this.queue.slice(),
    };
  }

  /** The fault for this request, if any: the first queued one that matches, else a random one. */
  take(method: string, path: string, pattern: string): ScriptedFaultSpec | undefined {
    const at = this.queue.findIndex((f) => !f.path || matches(f.path, method, path, pattern));
    if (at >= 0) return this.queue.splice(at, 1)[0];
    if (this.failRate > 0) {
      const u = this.rng.next();
      if (u < this.failRate) return { status: u < this.failRate / 2 ? 500 : 'reset' };
    }
    return undefined;
  }
}

/** The steering headers a scripted 429 / 5xx carries. */
export function steeringHeaders(fault: ScriptedFaultSpec): Record<string, string> {
  return {
    ...(fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}),
    ...(fault.shouldRetry !== undefined
      ? { 'Stripe-Should-Retry': String(fault.shouldRetry) }
      : {}),
  };
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
