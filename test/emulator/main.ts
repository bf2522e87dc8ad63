/**
 * CLI: `npm run emulator -- --port 12111 --customers 1000 --seed 7`. Prints exactly one line,
 * `listening on http://HOST:PORT`, once ready (with `--port 0`, the port picked), so a parent
 * process can wait for it. Use `npm run -s emulator` to keep npm's own banner off stdout.
 *
 * Stripe's behaviours beyond the happy path, all off by default (see `EmulatorOptions`):
 *
 *   --stripe-limits                       Stripe's rate limits: global 100/s live, 25/s test;
 *                                         25/s per endpoint; search 20/s
 *   --rate-limit N | live=N,test=N        global limit per account and mode
 *   --endpoint-rate-limit N               per endpoint (method + route pattern)
 *   --search-rate-limit N                 search's own limit (default 20 with endpoint limits)
 *   --rate-limit-retry-after SECONDS      `Retry-After` on the limiters' 429s (default none)
 *   --event-delay-share 0..1              share of events listed late by GET /v1/events
 *   --event-delay-max-seconds SECONDS     a late event's delay, uniform in (0, max]
 *   --search-lag-seconds SECONDS          search answers from an index this far behind writes
 *   --previous-attributes-empty-as null|empty_string
 *   --event-api-version VERSION           event payloads in this API version (e.g. 2019-09-09)
 *   --customer-updated-for-related-changes  customer.updated also for changes made through sources,
 *                                         payment methods, discounts and balance transactions
 *   --same-second-events newest_first|oldest_first
 *   --connected-accounts N                N connected accounts (listed at GET /v1/accounts), each
 *                                         with --customers customers and their events
 *   --connected-account-limits account|account_and_platform
 *                                         what a Stripe-Account request counts against (default
 *                                         both: the worst case; Stripe's docs are silent)
 *   --webhook-url URL                     POST every event there, signed (repeatable)
 *   --webhook-secret whsec_…              the endpoints' signing secret (default whsec_emulator)
 *   --webhook-drop-share 0..1             share of deliveries that never arrive
 *   --webhook-duplicate-share 0..1        share of events delivered twice
 *   --webhook-delay-max-ms MS             each delivery waits (0, max] ms: they arrive reordered
 *   --webhook-retry-scale FACTOR          multiplies Stripe's retry intervals (0.001: seconds)
 *   --dense [bulkImportShare=S,bulkImportMax=N,perSecond=N,eventBurstMax=N]
 *                                         a dense account: bulk imports (up to 3,000 customers in
 *                                         one second, some seconds empty) and bulk updates (up to
 *                                         2,000 events in one second); the pairs change the numbers
 *
 * Every one of them except --same-second-events, --connected-accounts and --dense can be
 * changed at runtime:
 * `POST /_emulator/faults` (`webhookUrls`, `webhookSecret`, `webhookDropShare`, ...).
 */
import { parseArgs } from 'node:util';
import type { EmptyPreviousValue } from './behaviour.js';
import { type EmulatorOptions, startEmulator } from './index.js';
import { type ConnectedAccountLimits, parseGlobalRateLimit } from './rate-limits.js';
import type { SameSecondEventOrder } from './store.js';
import type { DenseAccount } from './dense.js';

const DENSE_FIELDS = ['bulkImportShare', 'bulkImportMax', 'perSecond', 'eventBurstMax'] as const;

/** `--dense` alone takes the preset: parseArgs wants a value, so it is given one. */
function withDenseValue(argv: string[]): string[] {
  return argv.map((arg, i) =>
    arg === '--dense' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))
      ? '--dense=preset'
      : arg,
  );
}

function parseDense(value: string | undefined): boolean | Partial<DenseAccount> | undefined {
  if (value === undefined) return undefined;
  if (value === 'preset') return true;
  const dense: Partial<DenseAccount> = {};
  for (const pair of value.split(',').filter(Boolean)) {
    const [name, raw] = pair.split('=');
    const field = DENSE_FIELDS.find((known) => known === name);
    const n = Number(raw);
    if (!field || raw === undefined || raw.trim() === '' || !Number.isFinite(n)) {
      throw new Error(
        `--dense expects NAME=NUMBER pairs with NAME one of ${DENSE_FIELDS.join(', ')}, got '${pair}'`,
      );
    }
    dense[field] = n;
  }
  return dense;
}

function parseOptions(argv: string[]): EmulatorOptions {
  const { values } = parseArgs({
    args: withDenseValue(argv),
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      customers: { type: 'string' },
      seed: { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      'restricted-key': { type: 'string', multiple: true },
      'latency-ms': { type: 'string' },
      'rate-limit': { type: 'string' },
      'endpoint-rate-limit': { type: 'string' },
      'search-rate-limit': { type: 'string' },
      'stripe-limits': { type: 'boolean' },
      'rate-limit-retry-after': { type: 'string' },
      'fail-rate': { type: 'string' },
      now: { type: 'string' },
      account: { type: 'string', multiple: true },
      'event-api-version': { type: 'string' },
      'same-second-events': { type: 'string' },
      'event-delay-share': { type: 'string' },
      'event-delay-max-seconds': { type: 'string' },
      'search-lag-seconds': { type: 'string' },
      'previous-attributes-empty-as': { type: 'string' },
      'webhook-url': { type: 'string', multiple: true },
      'webhook-secret': { type: 'string' },
      'webhook-drop-share': { type: 'string' },
      'webhook-duplicate-share': { type: 'string' },
      'webhook-delay-max-ms': { type: 'string' },
      'webhook-retry-scale': { type: 'string' },
      'customer-updated-for-related-changes': { type: 'boolean' },
      'connected-accounts': { type: 'string' },
      'connected-account-limits': { type: 'string' },
      dense: { type: 'string' },
    },
    strict: true,
  });
  const num = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) {
      throw new Error(`--${name} must be a number, got '${value}'`);
    }
    return n;
  };
  const oneOf = <T extends string>(
    name: string,
    value: string | undefined,
    allowed: readonly T[],
  ): T | undefined => {
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new Error(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
    }
    return value as T;
  };
  const pairs = (name: string, items: string[] | undefined): Array<[string, string]> =>
    (items ?? []).map((item) => {
      const at = item.indexOf('=');
      if (at <= 0) throw new Error(`--${name} expects NAME=VALUE, got '${item}'`);
      return [item.slice(0, at), item.slice(at + 1)];
    });
  const rateLimit = values['rate-limit'];
  return {
    host: values.host,
    port: num('port', values.port),
    customers: num('customers', values.customers),
    seed: num('seed', values.seed),
    apiKeys: values['api-key'],
    restrictedKeys: Object.fromEntries(
      pairs('restricted-key', values['restricted-key']).map(([key, perms]) => [
        key,
        perms.split(',').filter(Boolean),
      ]),
    ),
    latencyMs: num('latency-ms', values['latency-ms']),
    rateLimit: rateLimit === undefined ? undefined : parseGlobalRateLimit(rateLimit),
    endpointRateLimit: num('endpoint-rate-limit', values['endpoint-rate-limit']),
    searchRateLimit: num('search-rate-limit', values['search-rate-limit']),
    stripeLimits: values['stripe-limits'],
    rateLimitRetryAfter: num('rate-limit-retry-after', values['rate-limit-retry-after']),
    failRate: num('fail-rate', values['fail-rate']),
    now: num('now', values.now),
    accounts: Object.fromEntries(
      pairs('account', values.account).map(([id, n]) => [
        id,
        { customers: num('account', n) ?? 0 },
      ]),
    ),
    eventApiVersion: values['event-api-version'],
    sameSecondEvents: oneOf<SameSecondEventOrder>(
      'same-second-events',
      values['same-second-events'],
      ['newest_first', 'oldest_first'],
    ),
    eventDelayShare: num('event-delay-share', values['event-delay-share']),
    eventDelayMaxSeconds: num('event-delay-max-seconds', values['event-delay-max-seconds']),
    searchLagSeconds: num('search-lag-seconds', values['search-lag-seconds']),
    previousAttributesEmptyAs: oneOf<EmptyPreviousValue>(
      'previous-attributes-empty-as',
      values['previous-attributes-empty-as'],
      ['null', 'empty_string'],
    ),
    webhookUrls: values['webhook-url'],
    webhookSecret: values['webhook-secret'],
    webhookDropShare: num('webhook-drop-share', values['webhook-drop-share']),
    webhookDuplicateShare: num('webhook-duplicate-share', values['webhook-duplicate-share']),
    webhookDelayMaxMs: num('webhook-delay-max-ms', values['webhook-delay-max-ms']),
    webhookRetryScale: num('webhook-retry-scale', values['webhook-retry-scale']),
    customerUpdatedForRelatedChanges: values['customer-updated-for-related-changes'],
    connectedAccounts: num('connected-accounts', values['connected-accounts']),
    connectedAccountLimits: oneOf<ConnectedAccountLimits>(
      'connected-account-limits',
      values['connected-account-limits'],
      ['account', 'account_and_platform'],
    ),
    dense: parseDense(values.dense),
  };
}

async function main(): Promise<void> {
  let options: EmulatorOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`stripe emulator: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator(options);
  } catch (error) {
    // A knob out of range (TypeError naming the option); a busy port is a different problem.
    if (!(error instanceof TypeError)) throw error;
    process.stderr.write(`stripe emulator: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(`listening on ${emulator.url}\n`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
