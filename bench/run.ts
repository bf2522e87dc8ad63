/**
 * `npm run bench`: how fast the connector reads, measured against the Stripe API emulator with
 * realistic latency and Stripe's live-mode rate limits (100 requests/s per account, 25/s per
 * endpoint, Search 20/s). Prints a table; asserts nothing. Every ratio is measured in this run.
 *
 *   BENCH_CUSTOMERS=200000 BENCH_LATENCY_MS=250 npm run bench
 *
 * `BENCH_ONLY=share-1` runs just the two full reads at the whole of Stripe's limits (list only,
 * and list and search) and their ratio: the figures of the list-and-search issue, in a third of
 * the time. The same two reads then run on a dense account (the emulator's `--dense`: bulk imports
 * of up to 3,000 customers in one second); `BENCH_ONLY=dense` runs just those,
 * `BENCH_ONLY=platform` just the Connect platform's run (bench/platform.ts), and
 * `BENCH_ONLY=freshness` just the webhook freshness run (bench/freshness.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENDPOINTS, rateBudgets } from '../connector';
import { EmulatorProcess, fmt, pct, readOnce, ROOT, write } from './harness';
import { benchPlatform } from './platform';
import { benchFreshness } from './freshness';
import { benchPushDown } from './pushdown';
import { benchTransformations } from './transformations';
import { benchWarehouse } from './warehouse';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 200_000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 250);
/** The benchmark's account (a live key under Stripe's live limits); the dense one adds --dense. */
const ACCOUNT_ARGS = [
  '--customers',
  String(CUSTOMERS),
  '--seed',
  '2024',
  '--latency-ms',
  String(LATENCY_MS),
  '--stripe-limits',
  '--api-key',
  'sk_live_emulator',
];
const CHANGES = Number(process.env.BENCH_CHANGES ?? 1_000);
const CONCURRENCY = process.env.BENCH_CONCURRENCY
  ? Number(process.env.BENCH_CONCURRENCY)
  : undefined;
const PAGE = 100;
/** `share-1`: only the full reads at a share of 1, nothing after them. */
const ONLY_SHARE_1 = process.env.BENCH_ONLY === 'share-1';
/** `platform`: only the Connect platform's run (bench/platform.ts). */
const ONLY_PLATFORM = process.env.BENCH_ONLY === 'platform';
/** `freshness`: only the webhook freshness run. */
const ONLY_FRESHNESS = process.env.BENCH_ONLY === 'freshness';
/** `dense`: only the full reads of the dense account. */
const ONLY_DENSE = process.env.BENCH_ONLY === 'dense';
/** Stripe's per-endpoint limit: one endpoint reads at most 25 pages of 100 customers a second. */
const ONE_ENDPOINT_CEILING = 25 * PAGE;

async function main(): Promise<void> {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  if (ONLY_PLATFORM) return print(await benchPlatform());
  if (ONLY_FRESHNESS) return print(await benchFreshness());
  const seedStarted = Date.now();
  // The emulator runs in a process of its own, as Stripe would: it must not share an event loop
  // with the code that reads the connector's output.
  const emulator = await EmulatorProcess.start(ACCOUNT_ARGS);
  await emulator.admin('POST', '/_emulator/clock', { advance_seconds: 3_600 });
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  const dir = mkdtempSync(join(tmpdir(), 'stripe-customers-bench-'));
  const configOf = (settings: Record<string, unknown>) =>
    write(dir, `config-${Object.values(settings).join('-') || 'default'}`, {
      api_key: 'sk_live_emulator',
      api_base_url: emulator.url,
      ...(CONCURRENCY ? { concurrency: CONCURRENCY } : {}),
      ...settings,
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
  try {
    const rows: Array<[string, string]> = [];
    rows.push([
      'machine',
      `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    ]);
    rows.push([
      'emulator',
      `${CUSTOMERS.toLocaleString('en')} customers (seeded in ${seedSeconds.toFixed(1)} s), ${LATENCY_MS} ms latency, Stripe's live limits (100/s per account, 25/s per endpoint, Search 20/s)`,
    ]);

    // Also warms the emulator up, so the first full read does not pay for its first requests.
    const baseline = await sequentialBaseline(emulator);
    rows.push(['one request at a time (SDK)', `${fmt(baseline)} customers/s`]);

    const scenarios = [
      {
        label: 'default settings, list only',
        settings: { full_import_endpoints: 'list' },
        budget: pagesPerSecond(0.8, ['list']) * PAGE,
      },
      {
        label: 'default settings (list and search)',
        settings: {},
        budget: pagesPerSecond(0.8, ['list', 'search']) * PAGE,
      },
      {
        label: 'max_share_of_rate_limits 1, list only',
        settings: { max_share_of_rate_limits: 1, full_import_endpoints: 'list' },
        budget: pagesPerSecond(1, ['list']) * PAGE,
      },
      {
        label: 'max_share_of_rate_limits 1, list and search',
        settings: { max_share_of_rate_limits: 1, full_import_endpoints: 'list_and_search' },
        budget: pagesPerSecond(1, ['list', 'search']) * PAGE,
      },
    ];
    const rates = new Map<string, number>();
    let fullState: unknown[] = [];
    if (ONLY_DENSE) {
      rows.push(...(await benchDense(dir, catalog, baseline)));
      return print(rows);
    }
    for (const scenario of scenarios) {
      if (ONLY_SHARE_1 && !scenario.label.startsWith('max_share_of_rate_limits 1')) continue;
      await emulator.admin('POST', '/_emulator/stats/reset');
      const full = await readOnce(configOf(scenario.settings), catalog);
      const stats = await emulator.stats();
      const rate = full.records / full.seconds;
      rates.set(scenario.label, rate);
      fullState = full.state;
      rows.push([
        `full read: ${scenario.label}`,
        `${full.records.toLocaleString('en')} records (${full.distinct.toLocaleString('en')} distinct) in ${full.seconds.toFixed(1)} s (exit ${full.exitCode})`,
      ]);
      rows.push(['  customers per second', fmt(rate)]);
      rows.push([
        "  ratio to the connector's own budget",
        `${pct(rate / scenario.budget)} of ${fmt(scenario.budget)}/s`,
      ]);
      rows.push([
        '  ratio to the one-endpoint ceiling',
        `${(rate / ONE_ENDPOINT_CEILING).toFixed(2)}x of 25 pages/s x ${PAGE} = ${fmt(ONE_ENDPOINT_CEILING)}/s`,
      ]);
      rows.push(['  ratio to one-at-a-time', `${(rate / baseline).toFixed(1)}x`]);
      rows.push([
        '  requests / answered 429',
        `${stats.requests} / ${stats.byStatus['429'] ?? 0} (${pct((stats.byStatus['429'] ?? 0) / Math.max(1, stats.requests))}); ${Object.entries(
          stats.byEndpoint ?? {},
        )
          .map(([endpoint, counts]) => `${endpoint}: ${counts.requests} / ${counts.rateLimited}`)
          .join('; ')}`,
      ]);
      rows.push(['  peak RSS of the connector', `${full.maxRssMb.toFixed(0)} MB`]);
      rows.push([
        '  CPU time of the connector',
        `${full.cpuSeconds.toFixed(1)} s (${pct(full.cpuSeconds / full.seconds)} of one core)`,
      ]);
    }
    const listOnly = rates.get('max_share_of_rate_limits 1, list only') ?? NaN;
    const both = rates.get('max_share_of_rate_limits 1, list and search') ?? NaN;
    rows.push([
      'list and search vs list only (share 1)',
      `${(both / listOnly).toFixed(2)}x the connector's list-only run`,
    ]);
    if (ONLY_SHARE_1) return print(rows);
    rows.push(...(await benchDense(dir, catalog, baseline)));

    // Incremental run after changes (made without latency or limits, so setting them up is
    // quick), from the state of the last full read.
    await emulator.admin('POST', '/_emulator/faults', { latencyMs: 0, stripeLimits: false });
    await makeChanges(emulator, CHANGES);
    await emulator.admin('POST', '/_emulator/clock', { advance_seconds: 60 });
    await emulator.admin('POST', '/_emulator/faults', {
      latencyMs: LATENCY_MS,
      stripeLimits: true,
    });
    await emulator.admin('POST', '/_emulator/stats/reset');
    const stateFile = write(dir, 'state', fullState);
    const incremental = await readOnce(configOf({}), catalog, stateFile);
    const incStats = await emulator.stats();
    rows.push([
      `incremental after ${CHANGES} changes`,
      `${incremental.records} records, ${incStats.requests} requests (${incStats.byRoute['GET /v1/events'] ?? 0} event pages, ${incStats.byRoute['GET /v1/customers/:id'] ?? 0} re-fetches), ${incremental.seconds.toFixed(1)} s`,
    ]);

    for (const [name, perCore] of await benchTransformations(100_000)) {
      rows.push([`per-record work: ${name}`, `${fmt(perCore)} records/s per core`]);
    }
    rows.push(...(await benchPushDown(20_000)));
    rows.push(...(await benchWarehouse()));
    emulator.stop();
    rows.push(...(await benchPlatform()));
    rows.push(...(await benchFreshness()));
    print(rows);
  } finally {
    emulator.stop();
  }
}

/**
 * The two full reads at a share of 1 on a dense account (a second emulator, `--dense`: half the
 * customers from bulk imports of up to 3,000 a second, some seconds empty): every customer must
 * still come exactly once, at about the sparse account's speed.
 */
async function benchDense(
  dir: string,
  catalog: string,
  baseline: number,
): Promise<Array<[string, string]>> {
  const emulator = await EmulatorProcess.start([...ACCOUNT_ARGS, '--dense']);
  const rows: Array<[string, string]> = [
    [
      'dense account',
      `the same, with --dense: half the customers from bulk imports (up to 3,000 in one second)`,
    ],
  ];
  try {
    await emulator.admin('POST', '/_emulator/clock', { advance_seconds: 3_600 });
    for (const [label, lanes] of [
      ['list only', ['list']],
      ['list and search', ['list', 'search']],
    ] as const) {
      const config = write(dir, `config-dense-${lanes.join('-')}`, {
        api_key: 'sk_live_emulator',
        api_base_url: emulator.url,
        ...(CONCURRENCY ? { concurrency: CONCURRENCY } : {}),
        max_share_of_rate_limits: 1,
        full_import_endpoints: lanes.length === 2 ? 'list_and_search' : 'list',
      });
      await emulator.admin('POST', '/_emulator/stats/reset');
      const full = await readOnce(config, catalog);
      const stats = await emulator.stats();
      const rate = full.records / full.seconds;
      const budget = pagesPerSecond(1, [...lanes]) * PAGE;
      rows.push([
        `full read, dense account: share 1, ${label}`,
        `${full.records.toLocaleString('en')} records (${full.distinct.toLocaleString('en')} distinct of ${CUSTOMERS.toLocaleString('en')}) in ${full.seconds.toFixed(1)} s (exit ${full.exitCode})`,
      ]);
      rows.push([
        '  customers per second',
        `${fmt(rate)}: ${pct(rate / budget)} of ${fmt(budget)}/s, ${(rate / baseline).toFixed(1)}x one-at-a-time`,
      ]);
      rows.push([
        '  requests / answered 429',
        `${stats.requests} / ${stats.byStatus['429'] ?? 0}; peak RSS ${full.maxRssMb.toFixed(0)} MB`,
      ]);
    }
  } finally {
    emulator.stop();
  }
  return rows;
}

function print(rows: Array<[string, string]>): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log('');
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
}

/** What a connector that pages one request after another achieves (measured over ~40 pages). */
async function sequentialBaseline(emulator: EmulatorProcess): Promise<number> {
  const stripe = emulator.sdk();
  const started = Date.now();
  let count = 0;
  let startingAfter: string | undefined;
  for (let page = 0; page < 40; page++) {
    const list = await stripe.customers.list({
      limit: PAGE,
      ...(startingAfter ? { starting_after: startingAfter } : {}),
    });
    count += list.data.length;
    startingAfter = list.data.at(-1)?.id;
    if (!list.has_more) break;
  }
  return count / ((Date.now() - started) / 1000);
}

async function makeChanges(emulator: EmulatorProcess, changes: number): Promise<void> {
  const stripe = emulator.sdk();
  let done = 0;
  for await (const customer of stripe.customers.list({ limit: 100 })) {
    if (done >= changes) break;
    await stripe.customers.update(customer.id, { metadata: { bench: String(done) } });
    done++;
  }
}

/** The pages per second the connector's own budgets allow a live key for these endpoints. */
function pagesPerSecond(share: number, lanes: Array<'list' | 'search'>): number {
  const { endpoints } = rateBudgets('live', share);
  const endpoint = { list: ENDPOINTS.listCustomers, search: ENDPOINTS.searchCustomers };
  return lanes.reduce((sum, lane) => sum + endpoints[endpoint[lane]], 0);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
