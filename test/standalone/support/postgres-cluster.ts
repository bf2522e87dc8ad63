import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL server for tests and benchmarks: a private cluster in a temp folder, started
 * with Debian's `postgresql` binaries (initdb, pg_ctl) and removed afterwards, so it works the same
 * in CI and on a developer's machine. `STANDALONE_TEST_POSTGRES_URL` points at an existing server
 * instead (each test then gets a database of its own there).
 */
export interface PostgresServer {
  /** A fresh, empty database on the server. */
  createDatabase(): Promise<string>;
  /**
   * Shuts the server down (fast: every connection is closed, as in a restart or a failover),
   * waits `downMs`, and starts it again on the same port. Private clusters only.
   */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const HELP =
  "Tests of the standalone tool need a PostgreSQL server: install Debian's postgresql package (apt-get install -y postgresql; .ci/run does) so initdb and pg_ctl are found, or set STANDALONE_TEST_POSTGRES_URL=postgres://user:password@host:5432/postgres to use a running server.";

let databases = 0;

export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresServer> {
  const external = process.env.STANDALONE_TEST_POSTGRES_URL;
  if (external) {
    return onServer(external, {
      restart: async () => {
        throw new Error('restart() needs a private cluster: unset STANDALONE_TEST_POSTGRES_URL.');
      },
      stop: async () => {},
    });
  }
  const bin = findBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'stripe-sync-pg-'));
  // initdb refuses to run as root: the cluster then belongs to the `postgres` user.
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const file = join(bin, command);
    return asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'pipe' })
      : execFileSync(file, args, { stdio: 'pipe' });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=50',
    ...(options.durable
      ? []
      : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ].join(' ');
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-o',
      settings,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  try {
    run('initdb', [
      '-D',
      data,
      '--auth=trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new Error(`Could not start a private PostgreSQL server: ${stderr.trim()}\n${HELP}`);
  }
  return onServer(`postgres://postgres@127.0.0.1:${port}/postgres`, {
    async restart(downMs = 0) {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      start();
    },
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });
}

function onServer(url: string, control: Pick<PostgresServer, 'restart' | 'stop'>): PostgresServer {
  return {
    ...control,
    async createDatabase() {
      const name = `stripe_sync_test_${process.pid}_${++databases}_${Date.now().toString(36)}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      const database = new URL(url);
      database.pathname = `/${name}`;
      return database.toString();
    },
  };
}

function findBinaries(): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(':').filter(Boolean),
    ...(existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => `/usr/lib/postgresql/${version}/bin`)
      : []),
  ];
  const found = candidates.find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')),
  );
  if (!found) throw new Error(`PostgreSQL's initdb and pg_ctl were not found. ${HELP}`);
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
