import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { CLI } from '../../support/connector';
import { startPostgres, type PostgresServer } from './postgres-cluster';

export interface SyncRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The `--json` summary, when the run got to print it. */
  report: any;
  stdout: string;
  stderr: string;
}

export interface SyncCliOptions {
  /** SIGKILL the process this long after it started (a crash at a random point). */
  killAfterMs?: number;
  /** SIGTERM the process (a stop, as `docker stop` sends it) this long after stderr shows `after`. */
  stop?: { after: RegExp; ms: number };
  /** Runs `action` (once) this long after stderr shows `after`: something happening mid-run. */
  meanwhile?: { after: RegExp; ms: number; action: () => void };
  env?: NodeJS.ProcessEnv;
  /** Default true: the summary as JSON (false: the table people read). */
  json?: boolean;
}

/** `sync` as a user runs it: the built CLI in a process of its own, summary as JSON. */
export function syncCli(args: string[], options: SyncCliOptions = {}): Promise<SyncRun> {
  return new Promise((resolve, reject) => {
    const json = options.json === false ? [] : ['--json'];
    const child = spawn(process.execPath, [CLI, 'sync', ...json, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    let timer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    const { stop, meanwhile } = options;
    let acted = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stop && timer === undefined && stop.after.test(stderr)) {
        timer = setTimeout(() => child.kill('SIGTERM'), stop.ms);
      }
      if (meanwhile && !acted && meanwhile.after.test(stderr)) {
        acted = true;
        setTimeout(meanwhile.action, meanwhile.ms);
      }
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      let report: any;
      try {
        report = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ exitCode, signal, report, stdout, stderr });
    });
  });
}

/** Writes a config file into a fresh folder; returns its path. */
export function writeConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'stripe-sync-test-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

export type Row = Record<string, any>;

/** A destination under test: where `sync` writes, and how the test reads it back. */
export interface TestWarehouse {
  kind: 'duckdb' | 'postgres';
  url: string;
  /** Rows of a table keyed by primary key; undefined when the table does not exist. */
  rows(table: string, key?: string): Promise<Map<string, Row> | undefined>;
  query(sql: string): Promise<Row[]>;
}

export interface Backend {
  name: 'DuckDB' | 'PostgreSQL';
  /** A fresh, empty warehouse. */
  create(): Promise<TestWarehouse>;
  stop(): Promise<void>;
}

/** Both destinations, for describe.each: DuckDB files in temp folders, and a real PostgreSQL. */
export const BACKENDS: Array<{ name: Backend['name']; start: () => Promise<Backend> }> = [
  { name: 'DuckDB', start: async () => duckdbBackend() },
  { name: 'PostgreSQL', start: postgresBackend },
];

/**
 * Opens a DuckDB file as a user between `serve`'s runs does: the file has one writer at a time,
 * and `serve` holds it while it runs or reads the runs for its page, so a lock held right now is
 * waited out (for up to 15 s) instead of failing the test by chance.
 */
async function openWhenFree(path: string): Promise<DuckDBInstance> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await DuckDBInstance.create(path);
    } catch (error) {
      if (!/Conflicting lock/.test(String(error)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function duckdbBackend(): Backend {
  return {
    name: 'DuckDB',
    async create() {
      const path = join(mkdtempSync(join(tmpdir(), 'stripe-sync-duck-')), 'warehouse.duckdb');
      // Opened per read and closed at once: the file belongs to the `sync` process while it runs.
      const query = async (sql: string): Promise<Row[]> => {
        const instance = await openWhenFree(path);
        try {
          const connection = await instance.connect();
          try {
            return (await connection.runAndReadAll(sql)).getRowObjectsJS().map(normalize);
          } finally {
            connection.closeSync();
          }
        } finally {
          instance.closeSync();
        }
      };
      return warehouse('duckdb', `duckdb:${path}`, query, async (table) => {
        const found = await query(
          `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = '${table}'`,
        );
        return Number(found[0]?.n) > 0;
      });
    },
    async stop() {},
  };
}

async function postgresBackend(): Promise<Backend> {
  const server: PostgresServer = await startPostgres();
  return {
    name: 'PostgreSQL',
    async create() {
      const url = await server.createDatabase();
      const query = async (sql: string): Promise<Row[]> => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          return (await client.query(sql)).rows.map(normalize);
        } finally {
          await client.end();
        }
      };
      return warehouse('postgres', url, query, async (table) => {
        const found = await query(`SELECT to_regclass('public.${table}') IS NOT NULL AS present`);
        return found[0]?.present === true;
      });
    },
    stop: () => server.stop(),
  };
}

function warehouse(
  kind: TestWarehouse['kind'],
  url: string,
  query: (sql: string) => Promise<Row[]>,
  exists: (table: string) => Promise<boolean>,
): TestWarehouse {
  return {
    kind,
    url,
    query,
    async rows(table, key = 'id') {
      if (!(await exists(table))) return undefined;
      // Each row as JSON, by the database itself: JSON columns as JSON, numbers as numbers.
      const json = kind === 'duckdb' ? 'to_json(t)' : 'to_jsonb(t)';
      const rows = (await query(`SELECT ${json} AS row FROM "${table}" AS t`)).map(
        (result) => (typeof result.row === 'string' ? JSON.parse(result.row) : result.row) as Row,
      );
      return new Map(rows.map((row) => [String(row[key]), row]));
    },
  };
}

// Counts and big integers as numbers, as DuckDB's rows give them.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/** One shape for both databases in plain queries: numbers, and ISO strings for times. */
function normalize(row: Record<string, unknown>): Row {
  const plain: Row = {};
  for (const [key, value] of Object.entries(row)) {
    plain[key] =
      typeof value === 'bigint'
        ? Number(value)
        : value instanceof Date
          ? value.toISOString()
          : value;
  }
  return plain;
}

export interface ServeProcess {
  url: string;
  /** Everything it printed so far. */
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `serve` in a process of its own on a free port; resolves once the page is up. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const onData = (chunk: string) => {
      output += chunk;
      const match = /pipelines page on (http:\/\/\S+?)\/? /.exec(output);
      if (match) {
        resolve({
          url: match[1] as string,
          output: () => output,
          async stop(signal = 'SIGTERM') {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('error', reject);
    void exited.then((code) =>
      reject(new Error(`serve exited (${code}) before listening:\n${output}`)),
    );
  });
}

/** Runs `serve` expecting it to refuse to start; resolves with its exit code and output. */
export function serveRefusal(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, output });
    });
  });
}

export interface OtherProcess {
  /** Resolves once the other process has the file open. */
  opened: Promise<void>;
  /** Resolves with the query's rows once it closed the file and exited. */
  done: Promise<Row[]>;
}

/**
 * Another process querying a DuckDB file (as a DuckDB CLI or a notebook would): opens it
 * (read-only unless asked otherwise), runs `sql`, keeps the file open for `holdMs`, then exits.
 */
export function duckdbElsewhere(
  path: string,
  sql: string,
  options: { readOnly?: boolean; holdMs?: number } = {},
): OtherProcess {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    (async () => {
      const [path, sql, readOnly, holdMs] = process.argv.slice(1);
      const instance = await DuckDBInstance.create(path, readOnly === 'true' ? { access_mode: 'READ_ONLY' } : {});
      const connection = await instance.connect();
      const rows = (await connection.runAndReadAll(sql)).getRowObjectsJS();
      process.stdout.write('opened\\n');
      await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
      connection.closeSync();
      instance.closeSync();
      process.stdout.write(JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? Number(value) : value)) + '\\n');
    })().catch((error) => { process.stderr.write(String(error.message)); process.exit(1); });
  `;
  const child = spawn(
    process.execPath,
    ['-e', script, path, sql, String(options.readOnly ?? true), String(options.holdMs ?? 0)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let onOpened!: () => void;
  const opened = new Promise<void>((resolve) => (onOpened = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith('opened\n')) onOpened();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<Row[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the other process failed (${code}): ${stderr}`));
      resolve(JSON.parse(stdout.split('\n')[1] ?? '[]') as Row[]);
    });
  });
  void done.catch(() => onOpened());
  return { opened, done };
}
