/**
 * The HTTP server: runs every `/v1` request through Stripe's order of checks (faults and latency
 * first, as the network would; then authentication, account selection, rate limits, routing,
 * permissions, idempotency) and serves `/_emulator/*` admin endpoints without authentication,
 * so a subprocess emulator can be driven from tests and scripts:
 *
 *   GET  /_emulator/clock          { now }
 *   POST /_emulator/clock          { advance_seconds }
 *   GET  /_emulator/stats          StatsSnapshot (totals, per route, per status, per endpoint)
 *   POST /_emulator/stats/reset
 *   GET  /_emulator/faults         every runtime knob's current value
 *   POST /_emulator/faults         FaultSettings (fields left out keep their value)
 *   GET  /_emulator/account        { id } of the default account (the platform)
 *   GET  /_emulator/accounts       { data }: the connected accounts `GET /v1/accounts` lists
 *   POST /_emulator/accounts       { id?, customers? }: connects a new account, with that many
 *                                  seeded customers (and their events); answers the account
 *   POST /_emulator/accounts/revoke  { account, still_listed? }: revokes the platform's access to
 *                                  a connected account (403 account_invalid from then on); it
 *                                  leaves `GET /v1/accounts` unless `still_listed`
 *   GET  /_emulator/webhooks       WebhookLog: every event's deliveries (attempts, drops, pending)
 *   POST /_emulator/discounts      { customer, coupon }: attaches a discount to a test-mode customer
 *                                  of the default account (customers take no coupon since
 *                                  2025-03-31.basil), with Stripe's events (related.ts)
 *
 * Every knob defaults to the old behaviour (no limits, no delays, no lag); see `EmulatorOptions`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestContext } from './account.js';
import { authorize, Keyring } from './auth.js';
import { Clock } from './clock.js';
import { Behaviour, type EmptyPreviousValue } from './behaviour.js';
import { ApiError, apiError, idempotencyMismatch, rateLimited, unrecognizedUrl } from './errors.js';
import { type FaultSettings, Faults, SLOW_FAULT_MS, steeringHeaders } from './faults.js';
import { garbleListBody, hollowListBody } from './garble.js';
import { newRequestId, readBody, type ResponseMeta, sendJson, sendTruncated } from './http.js';
import { API_VERSION } from './model.js';
import { parseParams } from './params.js';
import { deriveSeed } from './prng.js';
import type { ConnectedAccountLimits, GlobalRateLimit, LimitedBy } from './rate-limits.js';
import { type AccountSpec, Registry } from './registry.js';
import { matchRoute } from './routes/index.js';
import { type RateLimitCause, Stats, type StatsSnapshot } from './stats.js';
import type { SameSecondEventOrder } from './store.js';
import { type WebhookLog, WebhookSender } from './webhooks.js';
import { denseAccount, type DenseAccount } from './dense.js';

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Seeded customers in the default account (test mode; live mode gets as many), default 0. */
  customers?: number;
  /** Default 1. Same seed and clock: same data. */
  seed?: number;
  /** Default ['sk_test_emulator']; `sk_live_` keys act on live-mode data. */
  apiKeys?: string[];
  /** e.g. { rk_test_x: ['customers:read'] }; permissions: customers:read|customers:write|events:read. */
  restrictedKeys?: Record<string, string[]>;
  latencyMs?: number;
  /**
   * Global requests per second per account and mode; beyond it, 429 like Stripe. A number sets
   * both modes (as before); `{ live: 100, test: 25 }` each. 0/undefined: no limit.
   * CLI: `--rate-limit 25` or `--rate-limit live=100,test=25`.
   */
  rateLimit?: GlobalRateLimit;
  /**
   * Requests per second per endpoint (method + route pattern: `GET /v1/customers`,
   * `GET /v1/customers/:id`...), per account and mode; they also count toward `rateLimit`.
   * Default none (25 with `stripeLimits`). CLI: `--endpoint-rate-limit 25`.
   */
  endpointRateLimit?: number;
  /**
   * The search endpoint's limit. Default: 20 whenever `endpointRateLimit` is on (or that limit if
   * lower), none otherwise. CLI: `--search-rate-limit 20`.
   */
  searchRateLimit?: number;
  /**
   * Stripe's real limits: global 100/s live and 25/s test, 25/s per endpoint, search 20/s; the
   * fields above override parts of it. CLI: `--stripe-limits`.
   */
  stripeLimits?: boolean;
  /**
   * Seconds the limiters' own 429s announce in `Retry-After`; default 0 = no header (Stripe's
   * docs do not promise one). CLI: `--rate-limit-retry-after 1`.
   */
  rateLimitRetryAfter?: number;
  /** 0..1: share of requests failing (half 500 api_error, half a destroyed socket), seeded. */
  failRate?: number;
  /** Initial clock, unix seconds; default now. The clock then runs with real time. */
  now?: number;
  /** Connected accounts, selected with the `Stripe-Account` header; each has its own data. */
  accounts?: Record<string, AccountSpec>;
  /**
   * This many more connected accounts (ids generated from the seed), each with `customers`
   * customers and their events, listed at `GET /v1/accounts`. CLI: `--connected-accounts 300`.
   */
  connectedAccounts?: number;
  /**
   * What a request for a connected account (`Stripe-Account`) counts against: the connected
   * account's limits and the platform's (`account_and_platform`, the default: the worst case,
   * Stripe's docs being silent), or the connected account's only (`account`).
   * CLI: `--connected-account-limits account`.
   */
  connectedAccountLimits?: ConnectedAccountLimits;
  /**
   * The accounts' default API version, which event payloads are rendered in (api-versions.ts:
   * before 2019-10-17 `account_balance` instead of `balance`, before 2020-08-27 `sources`,
   * `subscriptions` and `tax_ids` lists...); default the SDK's. CLI: `--event-api-version`.
   */
  eventApiVersion?: string;
  /**
   * How events of the same second are listed (Stripe leaves it undocumented); default newest
   * first. CLI: `--same-second-events oldest_first`.
   */
  sameSecondEvents?: SameSecondEventOrder;
  /**
   * 0..1: share of events listed late by `GET /v1/events` (event-delay.ts); default 0.
   * CLI: `--event-delay-share 0.3`.
   */
  eventDelayShare?: number;
  /**
   * A late event's delay is uniform in (0, this] seconds; default 0.
   * CLI: `--event-delay-max-seconds 90`.
   */
  eventDelayMaxSeconds?: number;
  /**
   * Search answers from an index this many seconds (emulator clock) behind writes
   * (search-index.ts); default 0. CLI: `--search-lag-seconds 60`.
   */
  searchLagSeconds?: number;
  /**
   * `previous_attributes` values that did not exist before: `null` (default) or `''`, as Stripe
   * is reported to send. CLI: `--previous-attributes-empty-as empty_string`.
   */
  previousAttributesEmptyAs?: EmptyPreviousValue;
  /**
   * Endpoints every event of the default account is POSTed to, signed as Stripe signs
   * (webhooks.ts); default none. CLI: `--webhook-url URL`, repeatable.
   */
  webhookUrls?: string[];
  /** The endpoints' signing secret; default `whsec_emulator`. CLI: `--webhook-secret whsec_…`. */
  webhookSecret?: string;
  /** 0..1: share of deliveries that never arrive; default 0. CLI: `--webhook-drop-share`. */
  webhookDropShare?: number;
  /** 0..1: share of events delivered twice; default 0. CLI: `--webhook-duplicate-share`. */
  webhookDuplicateShare?: number;
  /**
   * Each delivery waits a uniform (0, max] ms, so deliveries arrive out of order; default 0.
   * CLI: `--webhook-delay-max-ms`.
   */
  webhookDelayMaxMs?: number;
  /**
   * Multiplies the retry intervals (webhooks.ts RETRY_SCHEDULE: minutes to hours); default 1.
   * CLI: `--webhook-retry-scale 0.001`.
   */
  webhookRetryScale?: number;
  /**
   * A customer field changed through another object (a source, a payment method, a discount, a
   * balance transaction) also sends `customer.updated`; default false, only the other object's
   * event (behaviour.ts). CLI: `--customer-updated-for-related-changes`.
   */
  customerUpdatedForRelatedChanges?: boolean;
  /**
   * Dense accounts (dense.ts): a share of customers created by bulk imports, up to 3,000 in one
   * second with some seconds empty, and bulk updates of up to 2,000 customers in one second.
   * `true` takes those numbers; an object changes some of them. Default: sparse (customers one by
   * one, rarely two in a second). Seeding only, so not changeable at runtime.
   * CLI: `--dense`, or `--dense bulkImportShare=0.8,perSecond=5000`.
   */
  dense?: boolean | Partial<DenseAccount>;
}

export interface RunningEmulator {
  url: string;
  port: number;
  /** The default account's id (the one named in Stripe's 403 messages). */
  accountId: string;
  close(): Promise<void>;
  /** Emulator clock, unix seconds. */
  now(): number;
  advanceClock(seconds: number): void;
  /**
   * Makes a test-mode customer of the default account vanish without an event, as Stripe's
   * "Delete all test data" does: retrieving it then answers 404 resource_missing.
   */
  purgeCustomer(id: string): boolean;
  /**
   * Attaches a discount with `coupon` to a test-mode customer of the default account, as the
   * Dashboard would: `customer.discount.created` (or `.updated`), and `customer.updated` only
   * with `customerUpdatedForRelatedChanges`.
   */
  attachDiscount(customer: string, coupon: string): void;
  /** The connected accounts `GET /v1/accounts` lists now, newest first. */
  connectedAccountIds(): string[];
  /** Connects a new account now, with `customers` seeded customers; returns its id. */
  connectAccount(options?: { id?: string; customers?: number }): string;
  /**
   * Revokes the platform's access to a connected account: requests for it answer 403
   * `account_invalid`; it leaves `GET /v1/accounts` unless `stillListed`.
   */
  revokeAccount(id: string, options?: { stillListed?: boolean }): void;
  setFaults(f: FaultSettings): void;
  stats(): StatsSnapshot;
  resetStats(): void;
  /** Every event's webhook deliveries so far (`GET /_emulator/webhooks`). */
  webhooks(): WebhookLog;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = new Emulator(options);
  return emulator.listen(options.host ?? '127.0.0.1', options.port ?? 0);
}

class Emulator {
  private readonly clock: Clock;
  private readonly keyring: Keyring;
  private readonly registry: Registry;
  private readonly faults: Faults;
  private readonly behaviour: Behaviour;
  private readonly webhooks: WebhookSender;
  private readonly stats = new Stats();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: Server;

  constructor(options: EmulatorOptions) {
    const seed = options.seed ?? 1;
    this.clock = new Clock(options.now);
    this.keyring = new Keyring(
      options.apiKeys ?? ['sk_test_emulator'],
      options.restrictedKeys ?? {},
    );
    if (
      options.sameSecondEvents !== undefined &&
      options.sameSecondEvents !== 'newest_first' &&
      options.sameSecondEvents !== 'oldest_first'
    ) {
      throw new TypeError(
        `sameSecondEvents must be 'newest_first' or 'oldest_first', got ${JSON.stringify(options.sameSecondEvents)}`,
      );
    }
    const knobs: FaultSettings = {
      latencyMs: options.latencyMs,
      // stripeLimits first: the explicit limits below override parts of it.
      stripeLimits: options.stripeLimits,
      rateLimit: options.rateLimit,
      endpointRateLimit: options.endpointRateLimit,
      searchRateLimit: options.searchRateLimit,
      rateLimitRetryAfter: options.rateLimitRetryAfter,
      failRate: options.failRate,
      eventApiVersion: options.eventApiVersion,
      eventDelayShare: options.eventDelayShare,
      eventDelayMaxSeconds: options.eventDelayMaxSeconds,
      searchLagSeconds: options.searchLagSeconds,
      previousAttributesEmptyAs: options.previousAttributesEmptyAs,
      webhookUrls: options.webhookUrls,
      webhookSecret: options.webhookSecret,
      webhookDropShare: options.webhookDropShare,
      webhookDuplicateShare: options.webhookDuplicateShare,
      webhookDelayMaxMs: options.webhookDelayMaxMs,
      webhookRetryScale: options.webhookRetryScale,
      customerUpdatedForRelatedChanges: options.customerUpdatedForRelatedChanges,
      connectedAccountLimits: options.connectedAccountLimits,
    };
    const generated = options.connectedAccounts ?? 0;
    if (!Number.isInteger(generated) || generated < 0) {
      throw new TypeError(`connectedAccounts must be a whole number >= 0, got ${generated}`);
    }
    Faults.validate(knobs);
    Behaviour.validate(knobs);
    WebhookSender.validate(knobs);
    this.behaviour = new Behaviour(knobs);
    this.webhooks = new WebhookSender(
      deriveSeed(seed, 'webhooks'),
      () => this.clock.nowMs(),
      knobs,
    );
    this.registry = new Registry(
      this.clock,
      seed,
      options.customers ?? 0,
      options.accounts ?? {},
      this.behaviour,
      options.sameSecondEvents,
      generated,
      options.dense === undefined || options.dense === false
        ? undefined
        : denseAccount(options.dense === true ? {} : options.dense),
    );
    this.registry.onDefaultAccountEvent = (event) => this.webhooks.eventHappened(event);
    this.registry.warm();
    this.faults = new Faults(deriveSeed(seed, 'faults'), knobs);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        process.stderr.write(`stripe emulator: ${String((error as Error)?.stack ?? error)}\n`);
        if (!res.headersSent) res.destroy();
      });
    });
    // Longer than clients' idle sockets, so a reused keep-alive socket is not closed under them.
    this.server.keepAliveTimeout = 30_000;
    this.server.headersTimeout = 31_000;
  }

  listen(host: string, port: number): Promise<RunningEmulator> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const bound = (this.server.address() as AddressInfo).port;
        const shownHost = host.includes(':') ? `[${host}]` : host;
        resolve({
          url: `http://${shownHost}:${bound}`,
          port: bound,
          accountId: this.registry.defaultAccountId,
          close: () => this.close(),
          now: () => this.clock.now(),
          advanceClock: (seconds) => this.clock.advance(seconds),
          purgeCustomer: (id) => this.registry.defaultTestAccount().customers.purge(id),
          attachDiscount: (customer, coupon) => this.attachDiscount(customer, coupon),
          connectedAccountIds: () =>
            this.registry.listed(this.registry.defaultAccountId).map((account) => account.id),
          connectAccount: (options) => this.registry.connect(options).id,
          revokeAccount: (id, options) => this.registry.revoke(id, options),
          setFaults: (f) => this.setKnobs(f),
          stats: () => this.stats.snapshot(),
          resetStats: () => this.stats.reset(),
          webhooks: () => this.webhooks.snapshot(),
        });
      });
    });
  }

  private attachDiscount(customer: string, coupon: string): object {
    return this.registry.defaultTestAccount().related.attachDiscount(customer, coupon, {
      requestId: newRequestId(),
      idempotencyKey: null,
    });
  }

  /** Validates everything first, so a bad field changes nothing. */
  private setKnobs(settings: FaultSettings): void {
    Faults.validate(settings);
    Behaviour.validate(settings);
    WebhookSender.validate(settings);
    this.faults.set(settings);
    this.behaviour.set(settings);
    this.webhooks.set(settings);
  }

  private knobs(): Required<FaultSettings> {
    return { ...this.faults.settings(), ...this.behaviour.settings(), ...this.webhooks.settings() };
  }

  private close(): Promise<void> {
    this.webhooks.close();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Never blocks the event loop; cleared on close. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname.startsWith('/_emulator/')) return this.admin(req, res, method, url.pathname);

    const match = url.pathname.startsWith('/v1/') ? matchRoute(method, url.pathname) : undefined;
    const endpoint = match ? `${method} ${match.route.pattern}` : undefined;
    const route = endpoint ?? `${method} (unrecognized)`;
    this.stats.arrived(route);
    const idempotencyKey = method === 'POST' ? (header(req, 'idempotency-key') ?? null) : null;
    const requestId = newRequestId();
    const apiVersion = header(req, 'stripe-version') ?? API_VERSION;
    const meta = (extra?: Record<string, string>): ResponseMeta => ({
      requestId,
      stripeVersion: apiVersion,
      dateMs: this.clock.nowMs(),
      extraHeaders: { ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}), ...extra },
    });

    let body: string;
    try {
      body = await readBody(req);
    } catch {
      this.stats.finished('reset', route);
      req.socket.destroy();
      return;
    }
    if (this.faults.latencyMs > 0) await this.sleep(this.faults.latencyMs);

    const fault = this.faults.take(method, url.pathname, match?.route.pattern ?? url.pathname);
    const faultStatus = fault?.status;
    if (faultStatus === 'reset') {
      this.stats.finished('reset', route);
      req.socket.destroy();
      return;
    }
    if (faultStatus === 'slow') await this.sleep(SLOW_FAULT_MS);
    if (fault && typeof faultStatus === 'number') {
      const error = faultStatus === 429 ? rateLimited() : apiError(faultStatus);
      this.stats.finished(faultStatus, route, 'scripted');
      sendJson(
        res,
        faultStatus,
        JSON.stringify({ error: error.body }, null, 2),
        meta(steeringHeaders(fault)),
      );
      return;
    }

    const result = this.respond(req, method, url, body, match, endpoint, {
      requestId,
      idempotencyKey,
      apiVersion,
    });
    if (faultStatus === 'garble' && result.status === 200)
      result.body = garbleListBody(result.body);
    if (faultStatus === 'hollow' && result.status === 200)
      result.body = hollowListBody(result.body);
    if (faultStatus === 'truncate') {
      this.stats.finished('truncate', route);
      sendTruncated(res, result.status, result.body, meta(result.headers));
    } else {
      this.stats.finished(result.status, route, result.limitedBy);
      sendJson(res, result.status, result.body, meta(result.headers));
    }
  }

  /** Everything after the network: authentication through the handler. */
  private respond(
    req: IncomingMessage,
    method: string,
    url: URL,
    body: string,
    match: ReturnType<typeof matchRoute>,
    endpoint: string | undefined,
    ctx: RequestContext & { apiVersion: string },
  ): {
    status: number;
    body: string;
    headers?: Record<string, string>;
    limitedBy?: RateLimitCause;
  } {
    let logUrl: string | undefined;
    let limitedBy: LimitedBy | undefined;
    try {
      const key = this.keyring.authenticate(header(req, 'authorization'));
      const account = this.registry.resolve(key, header(req, 'stripe-account'));
      logUrl = `https://dashboard.stripe.com/${key.livemode ? '' : 'test/'}logs/${ctx.requestId}?t=${this.clock.now()}`;
      // The key is always the platform's: a request for a connected account may count against
      // its limits too (connectedAccountLimits).
      limitedBy = this.faults.limits.admit(
        account.id,
        key.livemode,
        endpoint,
        performance.now(),
        this.registry.defaultAccountId,
      );
      if (limitedBy) throw rateLimited();
      if (!match) throw unrecognizedUrl(method, url.pathname);
      authorize(key, match.route.permission, account.id);

      const params = parseParams(url.search.slice(1));
      if (method === 'POST') parseParams(body, params);

      const fingerprint = `${method} ${url.pathname}${url.search} ${body}`;
      if (ctx.idempotencyKey) {
        const previous = account.idempotentResult(ctx.idempotencyKey);
        if (previous && previous.fingerprint !== fingerprint) {
          throw idempotencyMismatch(ctx.idempotencyKey);
        }
        if (previous) {
          return {
            status: previous.status,
            body: previous.body,
            headers: { 'Idempotent-Replayed': 'true' },
          };
        }
      }
      const result = match.route.handle({
        account,
        params,
        path: match.path,
        request: { requestId: ctx.requestId, idempotencyKey: ctx.idempotencyKey },
        apiVersion: ctx.apiVersion,
        now: this.clock.nowMs() / 1000,
        connectedAccounts: () => this.registry.listed(account.id),
      });
      const json = JSON.stringify(result, null, 2);
      // Only requests that ran are replayed; validation errors are not saved (as at Stripe).
      if (ctx.idempotencyKey) {
        account.rememberResult(ctx.idempotencyKey, { fingerprint, status: 200, body: json });
      }
      return { status: 200, body: json };
    } catch (error) {
      const apiErr =
        error instanceof ApiError
          ? error
          : (process.stderr.write(`stripe emulator: ${(error as Error)?.stack ?? error}\n`),
            apiError(500));
      const errorBody = logUrl ? { ...apiErr.body, request_log_url: logUrl } : apiErr.body;
      const retryAfter = limitedBy ? this.faults.limits.retryAfterSeconds : undefined;
      return {
        status: apiErr.status,
        body: JSON.stringify({ error: errorBody }, null, 2),
        ...(retryAfter !== undefined ? { headers: { 'Retry-After': String(retryAfter) } } : {}),
        ...(limitedBy ? { limitedBy } : {}),
      };
    }
  }

  private async admin(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    pathname: string,
  ): Promise<void> {
    const meta: ResponseMeta = {
      requestId: newRequestId(),
      stripeVersion: API_VERSION,
      dateMs: this.clock.nowMs(),
    };
    const reply = (status: number, value: unknown): void =>
      sendJson(res, status, JSON.stringify(value), meta);
    let input: Record<string, unknown> = {};
    try {
      const text = await readBody(req);
      if (text.trim()) input = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return reply(400, {
        error: { type: 'invalid_request_error', message: 'Body must be JSON.' },
      });
    }
    try {
      switch (`${method} ${pathname}`) {
        case 'GET /_emulator/clock':
          return reply(200, { now: this.clock.now() });
        case 'POST /_emulator/clock':
          this.clock.advance(Number(input.advance_seconds ?? 0));
          return reply(200, { now: this.clock.now() });
        case 'GET /_emulator/stats':
          return reply(200, this.stats.snapshot());
        case 'POST /_emulator/stats/reset':
          this.stats.reset();
          return reply(200, this.stats.snapshot());
        case 'GET /_emulator/faults':
          return reply(200, this.knobs());
        case 'POST /_emulator/faults':
          this.setKnobs(input as FaultSettings);
          return reply(200, this.knobs());
        case 'GET /_emulator/account':
          return reply(200, { id: this.registry.defaultAccountId });
        case 'GET /_emulator/accounts':
          return reply(200, { data: this.registry.listed(this.registry.defaultAccountId) });
        case 'POST /_emulator/accounts':
          return reply(
            200,
            this.registry.connect({
              ...(input.id !== undefined ? { id: String(input.id) } : {}),
              ...(input.customers !== undefined ? { customers: Number(input.customers) } : {}),
            }),
          );
        case 'POST /_emulator/accounts/revoke':
          this.registry.revoke(String(input.account ?? ''), {
            stillListed: input.still_listed === true,
          });
          return reply(200, { revoked: String(input.account) });
        case 'GET /_emulator/webhooks':
          return reply(200, this.webhooks.snapshot());
        case 'POST /_emulator/discounts':
          return reply(
            200,
            this.attachDiscount(String(input.customer ?? ''), String(input.coupon ?? 'emulator')),
          );
        default:
          return reply(404, {
            error: {
              type: 'invalid_request_error',
              message: `No admin endpoint ${method} ${pathname}`,
            },
          });
      }
    } catch (error) {
      return reply(400, { error: { type: 'invalid_request_error', message: String(error) } });
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
