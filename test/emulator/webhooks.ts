/**
 * Webhook deliveries, as Stripe sends them to an account's endpoints: every event of the default
 * account (either mode) is POSTed to each `webhookUrls` endpoint, signed with `webhookSecret`
 * exactly as Stripe signs (`Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "t.body" keyed with the secret as is>`, plus a fake `v0` in test mode, as Stripe adds "to aid
 * with testing"). A delivery answered with anything but 2xx, a network error or no answer within
 * ATTEMPT_TIMEOUT_MS is tried again on RETRY_SCHEDULE, re-signed at each attempt.
 *
 * What real deliveries do, as knobs (all off by default, changeable at runtime):
 * - `webhookDropShare`: a seeded share of deliveries never arrives (Stripe gave up, a proxy lost
 *   it): only the event log has those changes.
 * - `webhookDuplicateShare`: a seeded share of events is delivered twice, independently ("webhook
 *   endpoints might occasionally receive the same event more than once").
 * - `webhookDelayMaxMs`: each delivery waits a uniform (0, max] ms first, so deliveries arrive
 *   out of order ("Stripe doesn't guarantee delivery of events in the order in which they're
 *   generated").
 * - `webhookRetryScale`: multiplies every retry interval (0.001 turns 15 minutes into 0.9 s).
 */
import { createHmac } from 'node:crypto';
import type { StripeEvent } from './model.js';
import { Rng } from './prng.js';

export interface WebhookSettings {
  /** Endpoints every event is delivered to; empty: no deliveries. */
  webhookUrls?: string[];
  /** The endpoints' signing secret (`whsec_…`). */
  webhookSecret?: string;
  /** 0..1: share of deliveries that never arrive. */
  webhookDropShare?: number;
  /** 0..1: share of events delivered twice. */
  webhookDuplicateShare?: number;
  /** Each delivery is held a uniform (0, max] ms before it is sent (0: sent at once). */
  webhookDelayMaxMs?: number;
  /** Multiplies every retry interval; default 1 (Stripe's hours). */
  webhookRetryScale?: number;
}

/**
 * Seconds between one attempt and the next. Stripe publishes none of these: it says it retries
 * "for up to three days" with exponential backoff in live mode and "three times over a few hours"
 * in a sandbox. These are the emulator's choice within those words.
 */
export const RETRY_SCHEDULE: Readonly<Record<'live' | 'test', readonly number[]>> = {
  // 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h: 11 attempts within 66 hours.
  live: [60, 300, 1_800, 7_200, 18_000, 36_000, 43_200, 43_200, 43_200, 43_200],
  // 15 min, 1 h, 3 h: three retries over about four hours.
  test: [900, 3_600, 10_800],
};

/** How long one attempt may take before it counts as failed (Stripe documents no timeout). */
export const ATTEMPT_TIMEOUT_MS = 10_000;

export const DEFAULT_WEBHOOK_SECRET = 'whsec_emulator';

/** One attempt of one delivery, for tests and benchmarks (`GET /_emulator/webhooks`). */
export interface DeliveryAttempt {
  url: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Which copy of a duplicated event (0, or 1 for the second). */
  copy: number;
  /** Emulator clock, unix milliseconds. */
  sentMs: number;
  /** The endpoint's HTTP status, or what went wrong. */
  outcome: number | 'network_error' | 'timeout';
  durationMs: number;
}

export interface DeliveredEvent {
  id: string;
  type: string;
  created: number;
  /** Emulator clock when the event happened, unix milliseconds. */
  createdMs: number;
  /** Endpoints this event will never reach (dropped deliveries). */
  dropped: string[];
  /** Endpoints that received it twice (or were meant to). */
  duplicated: string[];
  attempts: DeliveryAttempt[];
  /** Deliveries still waiting (for their delay or their next retry). */
  pending: number;
}

export interface WebhookLog {
  events: DeliveredEvent[];
  /** Deliveries waiting in all. */
  pending: number;
}

/** How many events the log keeps (the oldest are forgotten first). */
const LOG_SIZE = 200_000;

export class WebhookSender {
  private urls: string[] = [];
  private secret = DEFAULT_WEBHOOK_SECRET;
  private dropShare = 0;
  private duplicateShare = 0;
  private delayMaxMs = 0;
  private retryScale = 1;
  private readonly rng: Rng;
  private readonly log = new Map<string, DeliveredEvent>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(
    seed: number,
    private readonly nowMs: () => number,
    settings: WebhookSettings = {},
  ) {
    this.rng = new Rng(seed);
    this.set(settings);
  }

  /** Throws a TypeError naming the field when a value is malformed; changes nothing then. */
  static validate(s: WebhookSettings): void {
    if (s.webhookUrls !== undefined) {
      if (!Array.isArray(s.webhookUrls)) throw new TypeError('webhookUrls must be a list of URLs');
      for (const url of s.webhookUrls) {
        let parsed: URL | undefined;
        try {
          parsed = new URL(String(url));
        } catch {
          parsed = undefined;
        }
        if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
          throw new TypeError(`webhookUrls: ${JSON.stringify(url)} is not an http(s) URL`);
        }
      }
    }
    if (
      s.webhookSecret !== undefined &&
      (typeof s.webhookSecret !== 'string' || !/^whsec_\S+$/.test(s.webhookSecret))
    ) {
      throw new TypeError('webhookSecret must be a signing secret starting with whsec_');
    }
    for (const name of ['webhookDropShare', 'webhookDuplicateShare'] as const) {
      const value = s[name];
      if (value !== undefined && (typeof value !== 'number' || !(value >= 0 && value <= 1))) {
        throw new TypeError(`${name} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
      }
    }
    const delay = s.webhookDelayMaxMs;
    if (
      delay !== undefined &&
      (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0)
    ) {
      throw new TypeError(
        `webhookDelayMaxMs must be a number of milliseconds >= 0, got ${JSON.stringify(delay)}`,
      );
    }
    const scale = s.webhookRetryScale;
    if (
      scale !== undefined &&
      (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0)
    ) {
      throw new TypeError(`webhookRetryScale must be a number > 0, got ${JSON.stringify(scale)}`);
    }
  }

  set(s: WebhookSettings): void {
    WebhookSender.validate(s);
    if (s.webhookUrls !== undefined) this.urls = s.webhookUrls.map(String);
    if (s.webhookSecret !== undefined) this.secret = s.webhookSecret;
    if (s.webhookDropShare !== undefined) this.dropShare = s.webhookDropShare;
    if (s.webhookDuplicateShare !== undefined) this.duplicateShare = s.webhookDuplicateShare;
    if (s.webhookDelayMaxMs !== undefined) this.delayMaxMs = s.webhookDelayMaxMs;
    if (s.webhookRetryScale !== undefined) this.retryScale = s.webhookRetryScale;
  }

  settings(): Required<WebhookSettings> {
    return {
      webhookUrls: [...this.urls],
      webhookSecret: this.secret,
      webhookDropShare: this.dropShare,
      webhookDuplicateShare: this.duplicateShare,
      webhookDelayMaxMs: this.delayMaxMs,
      webhookRetryScale: this.retryScale,
    };
  }

  /** An event just happened: schedules its deliveries (drops, duplicates and delays drawn now). */
  eventHappened(event: StripeEvent): void {
    if (this.closed || this.urls.length === 0) return;
    const entry: DeliveredEvent = {
      id: event.id,
      type: event.type,
      created: event.created,
      createdMs: this.nowMs(),
      dropped: [],
      duplicated: [],
      attempts: [],
      pending: 0,
    };
    this.remember(entry);
    const delivered = { ...event, pending_webhooks: this.urls.length };
    // Stripe renders the body once per event, pretty-printed; every attempt sends it as is.
    const body = JSON.stringify(delivered, null, 2);
    for (const url of this.urls) {
      if (this.rng.chance(this.dropShare)) {
        entry.dropped.push(url);
        continue;
      }
      const copies = this.rng.chance(this.duplicateShare) ? 2 : 1;
      if (copies === 2) entry.duplicated.push(url);
      for (let copy = 0; copy < copies; copy++) {
        entry.pending++;
        const delay = this.delayMaxMs > 0 ? this.rng.next() * this.delayMaxMs : 0;
        this.later(delay, () => this.attempt(entry, url, body, copy, 1, event.livemode));
      }
    }
  }

  /** Every event delivered (or not) so far, oldest first. */
  snapshot(): WebhookLog {
    const events = [...this.log.values()].map((entry) => ({
      ...entry,
      dropped: [...entry.dropped],
      duplicated: [...entry.duplicated],
      attempts: entry.attempts.map((attempt) => ({ ...attempt })),
    }));
    return { events, pending: events.reduce((sum, entry) => sum + entry.pending, 0) };
  }

  /** Cancels every waiting delivery and attempt. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
  }

  /** `Stripe-Signature` as Stripe builds it for this body at unix time `t` (seconds). */
  signature(body: string, t: number, livemode: boolean): string {
    const v1 = hmacHex(this.secret, `${t}.${body}`);
    // A fake scheme Stripe adds in test mode; receivers must ignore every scheme but v1.
    return livemode ? `t=${t},v1=${v1}` : `t=${t},v1=${v1},v0=${hmacHex('whsec_v0', body)}`;
  }

  private async attempt(
    entry: DeliveredEvent,
    url: string,
    body: string,
    copy: number,
    attempt: number,
    livemode: boolean,
  ): Promise<void> {
    if (this.closed) return;
    const sentMs = this.nowMs();
    const started = performance.now();
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort('timeout'), ATTEMPT_TIMEOUT_MS);
    let outcome: DeliveryAttempt['outcome'];
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': this.signature(body, Math.floor(sentMs / 1000), livemode),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'cache-control': 'no-cache',
          accept: '*/*; q=0.5, application/xml',
        },
        body,
        signal: controller.signal,
      });
      outcome = response.status;
      // Stripe reads no more of the answer than it needs; the body is drained and dropped.
      await response.arrayBuffer().catch(() => undefined);
    } catch {
      outcome =
        controller.signal.aborted && controller.signal.reason === 'timeout'
          ? 'timeout'
          : 'network_error';
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
    if (this.closed) return;
    entry.attempts.push({
      url,
      attempt,
      copy,
      sentMs,
      outcome,
      durationMs: Math.round(performance.now() - started),
    });
    const schedule = RETRY_SCHEDULE[livemode ? 'live' : 'test'];
    const wait = schedule[attempt - 1];
    const succeeded = typeof outcome === 'number' && outcome >= 200 && outcome < 300;
    if (succeeded || wait === undefined) {
      entry.pending--;
      return;
    }
    this.later(wait * 1000 * this.retryScale, () =>
      this.attempt(entry, url, body, copy, attempt + 1, livemode),
    );
  }

  private later(ms: number, work: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void work();
    }, ms);
    this.timers.add(timer);
  }

  private remember(entry: DeliveredEvent): void {
    this.log.set(entry.id, entry);
    if (this.log.size > LOG_SIZE) {
      const oldest = this.log.keys().next().value;
      if (oldest !== undefined) this.log.delete(oldest);
    }
  }
}

function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}
