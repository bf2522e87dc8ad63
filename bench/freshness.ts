/**
 * Freshness with Stripe's webhooks: how long a change made in Stripe takes to reach its row.
 * For each warehouse (DuckDB, PostgreSQL), `serve` (built CLI, a process of its own) imports an
 * account, then the emulator (its own process too) takes changes at 50/s for 60 s, creations,
 * updates and deletions within Stripe's per-endpoint limits, and delivers their events as Stripe
 * does: signed, each delayed up to 2 s (so reordered), 5% twice, 10% never. Then the next
 * scheduled run reads the event log. Prints, per warehouse: change-to-row time of the changes
 * applied by webhook (p50, p95, p99, from the event's time in the emulator, in milliseconds, to
 * the commit of the batch that applied it), acknowledgement times, the share applied by webhook
 * versus left to the reconciling run, what that run wrote, and whether the table then equals
 * Stripe. Asserts nothing.
 *
 *   BENCH_ONLY=freshness npm run bench      (about 5 minutes)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import Stripe from 'stripe';
import { startPostgres } from '../test/standalone/support/postgres-cluster';

const ROOT = join(__dirname, '..');
const KEY = 'sk_live_emulator';
const SECRET = 'whsec_bench_freshness';
const CUSTOMERS = Number(process.env.BENCH_FRESHNESS_CUSTOMERS ?? 2_000);
const RATE = Number(process.env.BENCH_FRESHNESS_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_FRESHNESS_SECONDS ?? 60);
const LATENCY_MS = Number(process.env.BENCH_FRESHNESS_LATENCY_MS ?? 100);
/** Scheduled runs every minute (a six-field cron: at second 0). */
const SCHEDULE = '0 * * * * *';
/**
 * Of every 25 changes: 12 updates, 8 creations, 5 deletions (24, 16 and 10 a second at 50/s:
 * each endpoint under Stripe's 25 requests/s).
 */
const PATTERN = [
  ...Array<'update'>(12).fill('update'),
  ...Array<'create'>(8).fill('create'),
  ...Array<'delete'>(5).fill('delete'),
];

interface WebhookLog {
  events: Array<{
    id: string;
    createdMs: number;
    dropped: string[];
    duplicated: string[];
    attempts: Array<{ outcome: number | string; durationMs: number }>;
  }>;
  pending: number;
}

export async function benchFreshness(): Promise<Array<[string, string]>> {
  const rows: Array<[string, string]> = [
    [
      'freshness: the run',
      `${RATE} changes/s for ${SECONDS} s (updates, creations, deletions) on ${CUSTOMERS.toLocaleString('en')} customers, ${LATENCY_MS} ms API latency, Stripe's live limits; deliveries delayed up to 2 s, 5% duplicated, 10% dropped; scheduled runs every minute`,
    ],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'stripe-customers-freshness-'));
  const postgres = await startPostgres({ durable: true });
  try {
    const targets: Array<[string, string]> = [
      ['DuckDB', `duckdb:${join(dir, 'fresh.duckdb')}`],
      ['PostgreSQL', await postgres.createDatabase()],
    ];
    for (const [label, destination] of targets) {
      rows.push(...(await measure(label, destination, dir)));
    }
  } finally {
    await postgres.stop();
  }
  return rows;
}

async function measure(
  label: string,
  destination: string,
  dir: string,
): Promise<Array<[string, string]>> {
  const emulator = await Child.start(
    [
      '--import',
      'tsx',
      join(ROOT, 'test/emulator/main.ts'),
      '--port',
      '0',
      '--customers',
      String(CUSTOMERS),
      '--seed',
      '5',
      '--latency-ms',
      String(LATENCY_MS),
      '--stripe-limits',
      '--api-key',
      KEY,
      '--webhook-secret',
      SECRET,
      '--webhook-delay-max-ms',
      '2000',
      '--webhook-duplicate-share',
      '0.05',
      '--webhook-drop-share',
      '0.1',
      // A refused or failed attempt is tried again within seconds, not Stripe's minutes.
      '--webhook-retry-scale',
      '0.01',
    ],
    /listening on (\S+)/,
  );
  const config = join(dir, `config-${label}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      api_key: KEY,
      api_base_url: emulator.url,
      webhook_secret: SECRET,
      pipelines: [{ name: 'customers', schedule: SCHEDULE }],
    }),
  );
  const serve = await Child.start(
    [
      join(ROOT, 'dist/cli/main.js'),
      'serve',
      '--config',
      config,
      '--destination',
      destination,
      '--port',
      '0',
      '--timezone',
      'UTC',
    ],
    /pipelines page on (http:\/\/\S+?)\/? /,
  );
  const stripe = new Stripe(KEY, {
    host: '127.0.0.1',
    port: Number(new URL(emulator.url).port),
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 3,
  });
  try {
    // The first import, then deliveries on.
    const imported = await runNow(serve.url);
    await admin(emulator.url, 'POST', '/_emulator/faults', {
      webhookUrls: [`${serve.url}/stripe/webhooks`],
    });
    const live: string[] = [];
    for await (const customer of stripe.customers.list({ limit: 100 })) live.push(customer.id);

    // Changes at RATE a second, each sent on its slot without waiting for the one before.
    const started = Date.now();
    const total = RATE * SECONDS;
    const inFlight: Array<Promise<void>> = [];
    let failedChanges = 0;
    for (let n = 0; n < total; n++) {
      const due = started + (n * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(
        change(
          stripe,
          PATTERN[n % PATTERN.length] as 'update' | 'create' | 'delete',
          n,
          live,
        ).catch(() => {
          failedChanges++;
        }),
      );
    }
    await Promise.all(inFlight);
    const ended = Date.now();
    const changeSeconds = (ended - started) / 1000;

    // Every delivery made (or given up), then the next scheduled run that reads all of them.
    await until(
      async () =>
        ((await admin(emulator.url, 'GET', '/_emulator/webhooks')) as WebhookLog).pending === 0,
    );
    const reconcile = await scheduledRunAfter(serve.url, ended + 11_000);
    const log = (await admin(emulator.url, 'GET', '/_emulator/webhooks')) as WebhookLog;
    const truth = new Map<string, Stripe.Customer>();
    for await (const customer of stripe.customers.list({ limit: 100 }))
      truth.set(customer.id, customer);
    serve.stop();
    await serve.exited;

    const store = await readWarehouse(destination);
    const changes = log.events;
    const byId = new Map(store.inbox.map((entry) => [entry.eventId, entry]));
    const applied = changes
      .filter((event) => byId.get(event.id)?.appliedMs !== undefined)
      .map((event) => (byId.get(event.id)!.appliedMs as number) - event.createdMs);
    const delivery = changes
      .filter((event) => byId.get(event.id)?.appliedMs !== undefined)
      .map((event) => (byId.get(event.id)!.appliedMs as number) - byId.get(event.id)!.receivedMs);
    const dropped = changes.filter((event) => event.dropped.length > 0).length;
    const duplicated = changes.filter((event) => event.duplicated.length > 0).length;
    const acks = changes.flatMap((event) =>
      event.attempts
        .filter((attempt) => attempt.outcome === 200)
        .map((attempt) => attempt.durationMs),
    );
    const refused = changes
      .flatMap((event) => event.attempts)
      .filter((a) => a.outcome !== 200).length;
    const mismatches = compare(store.table, truth);
    const share = (n: number) => `${((100 * n) / Math.max(1, changes.length)).toFixed(1)}%`;
    return [
      [
        `freshness ${label}: changes`,
        `${changes.length.toLocaleString('en')} events from ${total.toLocaleString('en')} changes in ${changeSeconds.toFixed(1)} s (${(total / changeSeconds).toFixed(1)}/s; ${failedChanges} change request(s) failed); first import ${(imported / 1000).toFixed(1)} s`,
      ],
      [
        `freshness ${label}: change to row, by webhook`,
        `p50 ${ms(percentile(applied, 0.5))}, p95 ${ms(percentile(applied, 0.95))}, p99 ${ms(percentile(applied, 0.99))}, max ${ms(Math.max(...applied))} (${applied.length.toLocaleString('en')} changes)`,
      ],
      [
        `freshness ${label}: delivery to row`,
        `p50 ${ms(percentile(delivery, 0.5))}, p95 ${ms(percentile(delivery, 0.95))}, p99 ${ms(percentile(delivery, 0.99))} (the part after the emulator's delay)`,
      ],
      [
        `freshness ${label}: acknowledgements`,
        `p50 ${ms(percentile(acks, 0.5))}, p95 ${ms(percentile(acks, 0.95))}, p99 ${ms(percentile(acks, 0.99))}, max ${ms(Math.max(...acks))} (${acks.length.toLocaleString('en')} deliveries, ${duplicated} events twice; ${refused} attempt(s) not answered 200)`,
      ],
      [
        `freshness ${label}: applied by`,
        `webhook ${share(applied.length)}; left to the reconciling runs ${share(dropped)} (dropped deliveries); the runs after the first import wrote ${store.runsWritten} row(s) and deleted ${store.runsDeleted}`,
      ],
      [
        `freshness ${label}: after the next scheduled run`,
        `${mismatches === 0 ? 'the table equals Stripe' : `${mismatches} customer(s) differ from Stripe`} (${truth.size.toLocaleString('en')} customers; run at ${new Date(reconcile).toISOString().slice(11, 19)} UTC)`,
      ],
    ];
  } finally {
    serve.stop();
    emulator.stop();
  }
}

/** One change: an update (a new email and sequence), a creation, or a deletion. */
async function change(
  stripe: Stripe,
  kind: 'update' | 'create' | 'delete',
  n: number,
  live: string[],
): Promise<void> {
  if (kind === 'create') {
    const customer = await stripe.customers.create({
      email: `new-${n}@example.com`,
      metadata: { seq: String(n) },
    });
    live.push(customer.id);
  } else if (kind === 'update') {
    const id = live[(n * 7919) % live.length] as string;
    await stripe.customers.update(id, {
      email: `changed-${n}@example.com`,
      metadata: { seq: String(n) },
    });
  } else {
    const at = (n * 104_729) % live.length;
    const [id] = live.splice(at, 1);
    await stripe.customers.del(id as string);
  }
}

/** The table, the inbox and what the runs wrote. */
async function readWarehouse(destination: string): Promise<{
  table: Map<string, { email: string | null; metadata: unknown }>;
  inbox: Array<{ eventId: string; receivedMs: number; appliedMs?: number }>;
  runsWritten: number;
  runsDeleted: number;
}> {
  const tableSql = 'SELECT id, email, CAST(metadata AS VARCHAR) AS metadata FROM customers';
  const inboxSql = `SELECT event_id, epoch_ms(received_at) AS received_ms, epoch_ms(applied_at) AS applied_ms FROM _stripe_sync_webhook_inbox`;
  const runsSql = `SELECT coalesce(sum(written), 0) AS written, coalesce(sum(deleted), 0) AS deleted FROM _stripe_sync_runs WHERE mode = 'incremental'`;
  let table: Array<Record<string, unknown>>;
  let inbox: Array<Record<string, unknown>>;
  let runs: Record<string, unknown>;
  if (destination.startsWith('duckdb:')) {
    const path = destination.slice('duckdb:'.length);
    const query = async (file: string, sql: string) => {
      const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
      try {
        const connection = await instance.connect();
        try {
          return (await connection.runAndReadAll(sql)).getRowObjectsJS();
        } finally {
          connection.closeSync();
        }
      } finally {
        instance.closeSync();
      }
    };
    table = await query(path, tableSql);
    inbox = await query(path.replace(/\.duckdb$/, '.webhooks.duckdb'), inboxSql);
    [runs = {}] = await query(path, runsSql);
  } else {
    const client = new pg.Client({ connectionString: destination });
    await client.connect();
    try {
      table = (await client.query('SELECT id, email, metadata::text AS metadata FROM customers'))
        .rows;
      inbox = (
        await client.query(
          `SELECT event_id, (extract(epoch FROM received_at) * 1000)::float8 AS received_ms, (extract(epoch FROM applied_at) * 1000)::float8 AS applied_ms FROM _stripe_sync_webhook_inbox`,
        )
      ).rows;
      [runs = {}] = (await client.query(runsSql)).rows;
    } finally {
      await client.end();
    }
  }
  return {
    table: new Map(
      table.map((row) => [
        String(row.id),
        {
          email: (row.email as string | null) ?? null,
          metadata: JSON.parse(String(row.metadata ?? 'null')),
        },
      ]),
    ),
    inbox: inbox.map((row) => ({
      eventId: String(row.event_id),
      receivedMs: Number(row.received_ms),
      ...(row.applied_ms === null || row.applied_ms === undefined
        ? {}
        : { appliedMs: Number(row.applied_ms) }),
    })),
    // The first run was the full import; the others read the event log.
    runsWritten: Number(runs.written ?? 0),
    runsDeleted: Number(runs.deleted ?? 0),
  };
}

/** Customers whose row differs from Stripe (missing, extra, or another email or metadata). */
function compare(
  table: Map<string, { email: string | null; metadata: unknown }>,
  truth: Map<string, Stripe.Customer>,
): number {
  let differ = 0;
  for (const [id, customer] of truth) {
    const row = table.get(id);
    if (
      !row ||
      row.email !== (customer.email ?? null) ||
      sortedJson(row.metadata) !== sortedJson(customer.metadata)
    ) {
      differ++;
    }
  }
  for (const id of table.keys()) if (!truth.has(id)) differ++;
  return differ;
}

/** JSON with object keys sorted: PostgreSQL's jsonb keeps no key order. */
function sortedJson(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : 1,
  );
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${sortedJson(item)}`).join(',')}}`;
}

async function runNow(serve: string): Promise<number> {
  const started = Date.now();
  await fetch(`${serve}/api/pipelines/customers/run`, { method: 'POST' });
  await until(async () => {
    const runs = await pipelineRuns(serve);
    return runs.some((run) => run.finishedAt !== undefined && run.startedAt >= started - 1_000);
  });
  return Date.now() - started;
}

/** Waits for a scheduled run that started at or after `after` to end; returns its end. */
async function scheduledRunAfter(serve: string, after: number): Promise<number> {
  let end = 0;
  await until(async () => {
    const run = (await pipelineRuns(serve)).find(
      (candidate) =>
        candidate.trigger === 'schedule' &&
        candidate.startedAt >= after &&
        candidate.finishedAt !== undefined,
    );
    end = run?.finishedAt ?? 0;
    return run !== undefined;
  }, 180_000);
  return end;
}

async function pipelineRuns(
  serve: string,
): Promise<Array<{ trigger: string; startedAt: number; finishedAt?: number }>> {
  const response = await fetch(`${serve}/api/pipelines`);
  const body = (await response.json()) as {
    pipelines: Array<{
      lastRuns: Array<{ trigger: string; startedAt: number; finishedAt?: number }>;
    }>;
  };
  return body.pipelines[0]?.lastRuns ?? [];
}

async function admin(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(new URL(path, url), {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json();
}

async function until(check: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

const ms = (value: number) => `${Math.round(value).toLocaleString('en')} ms`;

/** A process of ours (the emulator, serve) that prints its address once ready. */
class Child {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly exited: Promise<void>,
  ) {}

  static start(args: string[], ready: RegExp): Promise<Child> {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    return new Promise((resolve, reject) => {
      let out = '';
      const onData = (chunk: string) => {
        out += chunk;
        const match = ready.exec(out);
        if (match) resolve(new Child(child, match[1] as string, exited));
      };
      child.stdout?.setEncoding('utf8').on('data', onData);
      child.stderr?.setEncoding('utf8').on('data', onData);
      void exited.then(() => reject(new Error(`${args.join(' ')} exited:\n${out}`)));
    });
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}
