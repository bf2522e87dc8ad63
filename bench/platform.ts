/**
 * `BENCH_ONLY=platform npm run bench`: a Connect platform, one connection over every connected
 * account (`connected_accounts: "all"`). 300 accounts of 1,000 customers at 250 ms latency under
 * Stripe's live limits, counted the worst way Stripe's docs leave open: a request for a connected
 * account counts against its own limits and the platform's. Then an incremental run after changes
 * in 30 of the accounts.
 *
 *   BENCH_PLATFORM_ACCOUNTS=300 BENCH_PLATFORM_CUSTOMERS=1000 BENCH_ONLY=platform npm run bench
 *
 * `BENCH_PLATFORM_CONFIG='{"account_concurrency": 32}'` adds settings to the config read.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENDPOINTS, rateBudgets, STRIPE_LIMITS } from '../connector';
import { EmulatorProcess, fmt, pct, readOnce, write } from './harness';

const ACCOUNTS = Number(process.env.BENCH_PLATFORM_ACCOUNTS ?? 300);
const CUSTOMERS = Number(process.env.BENCH_PLATFORM_CUSTOMERS ?? 1_000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 250);
const CHANGED_ACCOUNTS = Math.min(ACCOUNTS, 30);
const CHANGES_PER_ACCOUNT = 10;
const PAGE = 100;

export async function benchPlatform(): Promise<Array<[string, string]>> {
  const rows: Array<[string, string]> = [];
  const seedStarted = Date.now();
  const emulator = await EmulatorProcess.start([
    '--customers',
    String(CUSTOMERS),
    '--connected-accounts',
    String(ACCOUNTS),
    '--seed',
    '2026',
    '--latency-ms',
    String(LATENCY_MS),
    '--stripe-limits',
    '--api-key',
    'sk_live_emulator',
  ]);
  try {
    await emulator.admin('POST', '/_emulator/clock', { advance_seconds: 3_600 });
    rows.push([
      'platform: emulator',
      `${ACCOUNTS} connected accounts x ${CUSTOMERS.toLocaleString('en')} customers (seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s), ${LATENCY_MS} ms latency, Stripe's live limits, each request counted against its account's and the platform's`,
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'stripe-customers-bench-platform-'));
    const config = write(dir, 'config', {
      api_key: 'sk_live_emulator',
      api_base_url: emulator.url,
      connected_accounts: 'all',
      // Settings to compare, e.g. {"account_concurrency": 32}.
      ...(JSON.parse(process.env.BENCH_PLATFORM_CONFIG ?? '{}') as Record<string, unknown>),
    });
    const catalog = write(dir, 'catalog', {
      streams: [
        {
          stream: { name: 'customers', json_schema: {}, supported_sync_modes: ['incremental'] },
          sync_mode: 'incremental',
          destination_sync_mode: 'append_dedup',
        },
      ],
    });

    await emulator.admin('POST', '/_emulator/stats/reset');
    const full = await readOnce(config, catalog);
    const stats = await emulator.stats();
    const rate = full.records / full.seconds;
    const rateLimited = stats.byStatus['429'] ?? 0;
    // Under the worst-case count, the platform's limits bound every account's requests together.
    const { endpoints } = rateBudgets('live', 0.8);
    const ownBudget =
      (endpoints[ENDPOINTS.listCustomers] + endpoints[ENDPOINTS.searchCustomers]) * PAGE;
    const stripeCeiling =
      Math.min(STRIPE_LIMITS.global.live, STRIPE_LIMITS.endpoint + STRIPE_LIMITS.search) * PAGE;
    rows.push([
      'platform: full read of every account',
      `${full.records.toLocaleString('en')} records in ${full.seconds.toFixed(1)} s (exit ${full.exitCode})`,
    ]);
    rows.push(['  customers per second', fmt(rate)]);
    rows.push([
      '  ratio to what the limits allow',
      `${pct(rate / ownBudget)} of the connector's budget (${fmt(ownBudget)}/s: list and search at 0.8 of the platform's limits); ${pct(rate / stripeCeiling)} of Stripe's (${fmt(stripeCeiling)}/s)`,
    ]);
    rows.push([
      '  requests / answered 429',
      `${stats.requests} / ${rateLimited} (${pct(rateLimited / Math.max(1, stats.requests))}); ${Object.entries(
        stats.byRoute,
      )
        .map(([route, count]) => `${route}: ${count}`)
        .join('; ')}`,
    ]);
    rows.push(['  peak RSS of the connector', `${full.maxRssMb.toFixed(0)} MB`]);
    rows.push([
      '  CPU time of the connector',
      `${full.cpuSeconds.toFixed(1)} s (${pct(full.cpuSeconds / full.seconds)} of one core)`,
    ]);

    // Changes in 30 accounts, made without latency or limits so setting them up is quick.
    await emulator.admin('POST', '/_emulator/faults', { latencyMs: 0, stripeLimits: false });
    await changeAccounts(emulator);
    await emulator.admin('POST', '/_emulator/clock', { advance_seconds: 60 });
    await emulator.admin('POST', '/_emulator/faults', {
      latencyMs: LATENCY_MS,
      stripeLimits: true,
    });
    await emulator.admin('POST', '/_emulator/stats/reset');
    const incremental = await readOnce(config, catalog, write(dir, 'state', full.state));
    const inc = await emulator.stats();
    rows.push([
      `platform: incremental after ${CHANGES_PER_ACCOUNT} changes in each of ${CHANGED_ACCOUNTS} accounts`,
      `${incremental.records} records, ${inc.requests} requests (${inc.byRoute['GET /v1/events'] ?? 0} event pages: at least one per account, Stripe lists events per account only; ${inc.byRoute['GET /v1/accounts'] ?? 0} account pages; ${inc.byRoute['GET /v1/customers/:id'] ?? 0} re-fetches), ${inc.byStatus['429'] ?? 0} answered 429, ${incremental.seconds.toFixed(1)} s, peak RSS ${incremental.maxRssMb.toFixed(0)} MB`,
    ]);
  } finally {
    emulator.stop();
  }
  return rows;
}

/** Updates CHANGES_PER_ACCOUNT customers in each of the first CHANGED_ACCOUNTS accounts. */
async function changeAccounts(emulator: EmulatorProcess): Promise<void> {
  const stripe = emulator.sdk();
  const { data } = (await emulator.admin('GET', '/_emulator/accounts')) as {
    data: Array<{ id: string }>;
  };
  for (const { id: stripeAccount } of data.slice(0, CHANGED_ACCOUNTS)) {
    const page = await stripe.customers.list({ limit: CHANGES_PER_ACCOUNT }, { stripeAccount });
    for (const customer of page.data) {
      await stripe.customers.update(
        customer.id,
        { metadata: { bench: 'platform' } },
        { stripeAccount },
      );
    }
  }
}
