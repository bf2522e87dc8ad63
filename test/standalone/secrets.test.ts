import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { configFor } from '../support/stripe';
import { startPostgres, type PostgresServer } from './support/postgres-cluster';
import { api, runNow } from './support/serve-api';
import { startServe, syncCli, writeConfig } from './support/standalone';

/**
 * The private cluster trusts every local connection, so any password works: each URL form can
 * carry one and the sync still succeeds, and none of its forms may show in any output.
 */
const FORMS: Array<{ form: string; url: (base: URL) => string; shown: string[] }> = [
  {
    form: 'user:password@',
    url: (base) => withAuthority(base, 'postgres:Pw-one-4412'),
    shown: ['Pw-one-4412'],
  },
  {
    form: '?password=',
    url: (base) => `${base}?password=Pw-two-4412`,
    shown: ['Pw-two-4412'],
  },
  {
    form: '?sslpassword= beside sslmode',
    url: (base) => `${base}?sslmode=disable&sslpassword=Pw-three-4412`,
    shown: ['Pw-three-4412'],
  },
  {
    form: 'percent-encoded user:password@',
    url: (base) => withAuthority(base, 'postgres:Pw%40four%3A4412'),
    shown: ['Pw%40four%3A4412', 'Pw@four:4412'],
  },
  {
    form: 'percent-encoded ?password=',
    url: (base) => `${base}?schema=stripe&password=Pw%20five%264412`,
    shown: ['Pw%20five%264412', 'Pw five&4412'],
  },
];

function withAuthority(base: URL, userinfo: string): string {
  return base.toString().replace('//postgres@', `//${userinfo}@`);
}

/** Every row of the runs table, as text, whatever schema the URL chose. */
async function runsTableText(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query(
      "SELECT table_schema FROM information_schema.tables WHERE table_name = '_stripe_sync_runs'",
    );
    expect(tables.length, 'a runs table').toBeGreaterThan(0);
    const texts: string[] = [];
    for (const { table_schema: schema } of tables) {
      const { rows } = await client.query(
        `SELECT to_jsonb(r)::text AS row FROM "${schema}"._stripe_sync_runs AS r`,
      );
      texts.push(...rows.map((row) => String(row.row)));
    }
    return texts.join('\n');
  } finally {
    await client.end();
  }
}

function expectNoSecret(output: string, shown: string[], where: string) {
  for (const secret of shown) expect(output, `${where} holds ${secret}`).not.toContain(secret);
}

describe('PostgreSQL passwords stay secret in every URL form', () => {
  let postgres: PostgresServer;
  let emulator: RunningEmulator;
  beforeAll(async () => {
    postgres = await startPostgres();
    emulator = await startEmulator({ customers: 30, seed: 13 });
    emulator.advanceClock(3_600);
  }, 120_000);
  afterAll(async () => {
    await emulator?.close();
    await postgres?.stop();
  });

  it.each(FORMS)(
    '$form: not in the summary, the JSON, the errors, the runs table',
    async ({ url, shown }) => {
      const base = new URL(await postgres.createDatabase());
      const destination = url(base);
      const config = writeConfig(configFor(emulator, { pipelines: [{ name: 'customers' }] }));
      const args = ['--config', config, '--destination', destination];

      const json = await syncCli(args);
      expect(json.exitCode, json.stderr).toBe(0);
      expect(json.report.destination).toMatch(/\*\*\*/);
      const human = await syncCli(args, { json: false });
      expect(human.exitCode, human.stderr).toBe(0);
      expect(human.stdout).toMatch(/^Synced \(postgres:\/\/.*\*\*\*/);

      // The same URL on a port nothing listens on, and a database that does not exist.
      const down = await syncCli([
        '--config',
        config,
        '--destination',
        destination.replace(`:${base.port}/`, ':9/'),
      ]);
      expect(down.exitCode).toBe(3);
      const missing = await syncCli([
        '--config',
        config,
        '--destination',
        destination.replace(base.pathname, '/no_such_database'),
      ]);
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toMatch(/the database does not exist/);

      for (const run of [json, human, down, missing]) {
        expectNoSecret(run.stdout + run.stderr, shown, 'the output');
      }
      expectNoSecret(await runsTableText(base.toString()), shown, 'the runs table');
    },
  );

  it('the page, the API and the log of serve show no password', async () => {
    const { url, shown } = FORMS[1]!;
    const base = new URL(await postgres.createDatabase());
    const config = writeConfig(configFor(emulator, { pipelines: [{ name: 'customers' }] }));
    const server = await startServe(['--config', config, '--destination', url(base)]);
    try {
      expect(await runNow(server, 'customers')).toMatchObject({ status: 'succeeded' });
      const page = await api(server, '/');
      expect(page.body).toMatch(
        /Writing to <code>postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+\?password=\*\*\*<\/code>/,
      );
      expectNoSecret(String(page.body), shown, 'the page');
      expectNoSecret(JSON.stringify((await api(server, '/api/pipelines')).body), shown, 'the API');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expectNoSecret(server.output(), shown, 'the log');
  });
});
