import pg from 'pg';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { configFor, listAllCustomers, sdkFor, settle } from '../support/stripe';
import { expectPassThroughEqual } from './support/fixtures';
import { startPostgres, type PostgresServer } from './support/postgres-cluster';
import { api, pipelineView, runNow, until } from './support/serve-api';
import { startServe, syncCli, writeConfig, type ServeProcess } from './support/standalone';

/** Trust authentication ignores it, so it can stand in every URL and must appear in no output. */
const PASSWORD = 'Pw-secret-7761';

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Closes every connection of the tool, as pg_terminate_backend does for a DBA or a failover. */
function terminateTool(url: string): Promise<number> {
  return admin(url, async (client) => {
    const { rows } = await client.query(
      "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'stripe-customers-sync'",
    );
    return rows.length;
  });
}

const withPassword = (url: string) => url.replace('postgres@', `postgres:${PASSWORD}@`);
const rowsOf = (url: string, sql: string) =>
  admin(url, async (client) => (await client.query(sql)).rows as Array<Record<string, any>>);

async function tableRows(url: string, table: string) {
  const rows = await rowsOf(url, `SELECT to_jsonb(t) AS row FROM "${table}" AS t`);
  return new Map(rows.map(({ row }) => [String(row.id), row as Record<string, any>]));
}

/** The lines of a serve log about one run's failure: one ERROR line, no stack trace. */
function expectOneClearLine(output: string, pattern: RegExp) {
  const lines = output.split('\n').filter((line) => pattern.test(line));
  expect(lines.length, output).toBeGreaterThanOrEqual(1);
  for (const line of lines) expect(line).toMatch(/ ERROR /);
  expect(output).not.toMatch(/\n\s+at /);
  expect(output).not.toMatch(/Unhandled/);
}

describe('PostgreSQL connections come and go', () => {
  let postgres: PostgresServer;
  let emulator: RunningEmulator;
  let stripe: Stripe;
  beforeAll(async () => {
    postgres = await startPostgres();
    // Pages come slowly: a full read of every customer takes several seconds.
    emulator = await startEmulator({ customers: 1_200, seed: 23, latencyMs: 300 });
    emulator.advanceClock(3_600);
    stripe = sdkFor(emulator);
  }, 120_000);
  afterAll(async () => {
    await emulator?.close();
    await postgres?.stop();
  });

  const config = () =>
    writeConfig(
      configFor(emulator, {
        concurrency: 1,
        pipelines: [{ name: 'customers' }, { name: 'snapshot', incremental: false }],
      }),
    );

  it('serve outlives connections closed while it idles (idle_session_timeout, pg_terminate_backend, a server restart) and runs again', async () => {
    const url = await postgres.createDatabase();
    const database = new URL(url).pathname.slice(1);
    // The reproduction: the server closes any session idle for a second.
    await admin(url, (client) =>
      client.query(`ALTER DATABASE ${database} SET idle_session_timeout = '1s'`),
    );
    emulator.setFaults({ latencyMs: 0 });
    let server: ServeProcess | undefined = await startServe([
      '--config',
      config(),
      '--destination',
      withPassword(url),
    ]);
    try {
      const current = server;
      expect(await runNow(current, 'customers')).toMatchObject({ status: 'succeeded' });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect((await api(current, '/api/pipelines')).status).toBe(200);

      await stripe.customers.create({ email: 'after-idle@example.com' });
      settle(emulator);
      expect(await runNow(current, 'customers')).toMatchObject({
        status: 'succeeded',
        written: 1,
      });

      await terminateTool(url);
      expect((await api(current, '/api/pipelines')).status).toBe(200);

      await postgres.restart(1_000);
      await until('the page after the restart', async () => {
        const { status } = await api(current, '/api/pipelines');
        return status === 200;
      });
      await stripe.customers.create({ email: 'after-restart@example.com' });
      settle(emulator);
      expect(await runNow(current, 'customers')).toMatchObject({
        status: 'succeeded',
        written: 1,
      });
      expect(current.output()).not.toMatch(/Unhandled|\n\s+at /);
      expect(current.output()).not.toContain(PASSWORD);
      expect(await current.stop()).toBe(0);
      server = undefined;
    } finally {
      await server?.stop();
    }
    expectPassThroughEqual(
      await tableRows(url, 'customers'),
      await listAllCustomers(stripe),
      'customers',
    );
  });

  it('a serve run that loses its connection (terminated, then a restart) fails in one clear line, is recorded failed, and the next run succeeds', async () => {
    const url = await postgres.createDatabase();
    emulator.setFaults({ latencyMs: 300 });
    const server = await startServe(['--config', config(), '--destination', withPassword(url)]);
    try {
      const underWay = async () => {
        await api(server, '/api/pipelines/snapshot/run', { method: 'POST' });
        await until('a run reading pages', async () => {
          const view = await pipelineView(server, 'snapshot');
          return (view.running?.progress.received ?? 0) > 0;
        });
      };
      const failedRun = async (after: number) =>
        until('the failed run', async () => {
          const [latest] = (await pipelineView(server, 'snapshot')).lastRuns;
          return latest && latest.startedAt > after && latest.status === 'failed' && latest;
        });

      // A DBA (or a pooler) terminates the connection mid-run.
      await underWay();
      await terminateTool(url);
      const terminated = await failedRun(0);
      expect(terminated.error).toMatch(
        /^lost the connection to PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ \(terminating connection due to administrator command\); nothing was lost; the next run resumes from its last checkpoint\.$/,
      );
      expectOneClearLine(server.output(), /snapshot: .*lost the connection to PostgreSQL/);

      // The server restarts mid-run: the run's row is marked failed once it is back.
      await underWay();
      await postgres.restart(1_500);
      const restarted = await failedRun(terminated.startedAt);
      expect(restarted.error).toMatch(
        /^lost the connection to PostgreSQL at .*the next run resumes/,
      );

      // Scheduling goes on: the next run succeeds and the table equals Stripe.
      emulator.setFaults({ latencyMs: 0 });
      expect(await runNow(server, 'snapshot')).toMatchObject({ status: 'succeeded' });
      const runs = await rowsOf(url, 'SELECT * FROM _stripe_sync_runs');
      expect(runs.map((run) => run.status).sort()).toEqual(['failed', 'failed', 'succeeded']);
      expect(JSON.stringify(runs)).not.toContain(PASSWORD);
      expect(server.output()).not.toContain(PASSWORD);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expectPassThroughEqual(
      await tableRows(url, 'snapshot'),
      await listAllCustomers(stripe),
      'snapshot',
    );
  });

  it('sync that loses its connection mid-run exits 3 with one line and no stack trace, records the run failed, and the next sync continues', async () => {
    const url = await postgres.createDatabase();
    emulator.setFaults({ latencyMs: 300 });
    const args = ['--config', config(), '--destination', withPassword(url), '--pipeline'];
    const lost = await syncCli([...args, 'customers'], {
      meanwhile: { after: /customers: started/, ms: 1_500, action: () => void terminateTool(url) },
    });
    expect(lost.exitCode, lost.stderr).toBe(3);
    expect(lost.stderr).toMatch(
      /lost the connection to PostgreSQL at postgres:\/\/postgres:\*\*\*@/,
    );
    expect(lost.stderr).not.toMatch(/\n\s+at |Unhandled/);
    expect(`${lost.stdout}${lost.stderr}`).not.toContain(PASSWORD);
    expect(lost.report.pipelines[0]).toMatchObject({ status: 'failed', errorKind: 'transient' });
    const [run] = await rowsOf(url, 'SELECT status, error FROM _stripe_sync_runs');
    expect(run).toMatchObject({ status: 'failed' });
    expect(run!.error).toMatch(/^lost the connection to PostgreSQL/);

    emulator.setFaults({ latencyMs: 0 });
    const next = await syncCli([...args, 'customers']);
    expect(next.exitCode, next.stderr).toBe(0);
    expectPassThroughEqual(
      await tableRows(url, 'customers'),
      await listAllCustomers(stripe),
      'customers',
    );
  });

  it(
    'two serve processes on one schema never run a pipeline at once: the second says so and leaves the live run alone; a dead one is marked interrupted',
    {
      timeout: 180_000,
    },
    async () => {
      const url = await postgres.createDatabase();
      // About 12 s per run: time for a second serve to start while the first one's run goes on.
      emulator.setFaults({ latencyMs: 1_000 });
      const file = writeConfig(
        configFor(emulator, {
          concurrency: 1,
          pipelines: [{ name: 'snapshot', incremental: false, schedule: '* * * * * *' }],
        }),
      );
      const args = ['--config', file, '--destination', url];
      const first = await startServe(args);
      let second: ServeProcess | undefined;
      try {
        const live = await until('the first serve running', async () => {
          const [row] = await rowsOf(
            url,
            "SELECT run_id FROM _stripe_sync_runs WHERE status = 'running'",
          );
          return row?.run_id as string | undefined;
        });
        second = await startServe(args);
        expect(second.output()).toMatch(
          /WARN snapshot: another process is running it on the same database right now/,
        );
        const [row] = await rowsOf(
          url,
          `SELECT status FROM _stripe_sync_runs WHERE run_id = '${live}'`,
        );
        expect(row?.status, 'the live run of the first serve').toBe('running');
        const busy = second;
        await until('the second serve to find it busy', async () =>
          /ERROR .*"snapshot" is being synced by another process/.test(busy.output()),
        );

        // The first serve dies mid-run: the second marks its run interrupted and takes over.
        const [still] = await rowsOf(
          url,
          `SELECT status FROM _stripe_sync_runs WHERE run_id = '${live}'`,
        );
        expect(
          still?.status,
          'the first run is still under way (the emulator is slow enough)',
        ).toBe('running');
        await first.stop('SIGKILL');
        emulator.setFaults({ latencyMs: 0 });
        await until(
          'the dead run marked interrupted and a run of the second succeeding',
          async () => {
            const runs = await rowsOf(url, 'SELECT run_id, status FROM _stripe_sync_runs');
            const dead = runs.find((run) => run.run_id === live);
            return dead?.status === 'interrupted' && runs.some((run) => run.status === 'succeeded');
          },
          90_000,
        );
        const runs = await rowsOf(
          url,
          "SELECT extract(epoch from started_at) AS s, extract(epoch from finished_at) AS f, status FROM _stripe_sync_runs WHERE status <> 'interrupted' ORDER BY started_at",
        );
        for (let index = 1; index < runs.length; index++) {
          const previous = runs[index - 1]!;
          expect(previous.f, 'a run ends before the next one starts').not.toBeNull();
          expect(Number(runs[index]!.s)).toBeGreaterThanOrEqual(Number(previous.f));
        }
      } finally {
        await first.stop('SIGKILL');
        if (second) expect(await second.stop()).toBe(0);
      }
    },
  );
});
