import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { duckdbElsewhere, syncCli, writeConfig } from '../standalone/support/standalone';
import {
  CLI,
  catalogFor,
  ofType,
  readCli,
  runCli,
  traceErrors,
  writeFiles,
} from '../support/connector';
import { configFor, TEST_KEY } from '../support/stripe';

/** The CLI as a person runs it: any output, parsed by nobody. */
function rawCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port nothing listens on: Stripe or PostgreSQL "down". */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const duckdbFile = () => join(mkdtempSync(join(tmpdir(), 'stripe-exit-')), 'w.duckdb');
const EVERY_COMMAND = ['spec', 'check', 'discover', 'read', 'sync', 'serve'];

describe('help', () => {
  it('--help, help and no arguments list every command; help COMMAND gives its options', async () => {
    const help = await rawCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of EVERY_COMMAND)
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(help.stdout).toMatch(/3 transient .*safe to retry/s);
    expect((await rawCli(['help'])).stdout).toBe(help.stdout);

    const bare = await rawCli([]);
    expect(bare.code, 'no command is a wrong command line').toBe(2);
    expect(bare.stderr).toBe(help.stdout);
    expect(bare.stdout).toBe('');

    const sync = await rawCli(['help', 'sync']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/Usage: source-stripe-customers sync \[options\]/);
    expect(sync.stdout).toMatch(/--destination <url>/);
    expect(sync.stdout).toMatch(/--rebuild <name\.\.\.>/);
    expect(sync.stdout).toMatch(/^Commands: spec, check, discover, read, sync, serve /m);
    const read = await rawCli(['help', 'read']);
    expect(read.code).toBe(0);
    expect(read.stdout).toMatch(/^Usage: source-stripe-customers read \[options\]/);
    expect(read.stdout).toMatch(/--catalog <path>/);
  });
});

describe('exit codes: 0 ok, 1 data or code, 2 command line or config, 3 transient', () => {
  let emulator: RunningEmulator;
  let down: number;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 20, seed: 3 });
    emulator.advanceClock(3_600);
    down = await closedPort();
  });
  afterAll(() => emulator?.close());

  const unreachable = () => ({
    api_key: TEST_KEY,
    api_base_url: `http://127.0.0.1:${down}`,
    max_attempts: 1,
  });

  it('Airbyte commands: a wrong command line or config is 2, Stripe unreachable is 3 (transient_error), check answers FAILED with 0', async () => {
    expect((await runCli(['frobnicate'])).exitCode).toBe(2);
    const missing = await runCli(['read', '--config', 'x.json']);
    expect(missing.exitCode).toBe(2);
    expect(traceErrors(missing.messages)[0]?.failure_type).toBe('config_error');

    const invalid = await readCli({ api_key: 42 });
    expect(invalid.exitCode).toBe(2);
    expect(traceErrors(invalid.messages)[0]?.failure_type).toBe('config_error');

    const read = await readCli(unreachable());
    expect(read.exitCode, read.stderr).toBe(3);
    expect(traceErrors(read.messages).map((error) => error.failure_type)).toContain(
      'transient_error',
    );
    const files = writeFiles({ config: unreachable() });
    const discover = await runCli(['discover', '--config', files.config!]);
    expect(discover.exitCode).toBe(3);
    expect(traceErrors(discover.messages)[0]?.failure_type).toBe('transient_error');
    const check = await runCli(['check', '--config', files.config!]);
    expect(check.exitCode).toBe(0);
    expect(ofType(check.messages, 'CONNECTION_STATUS')[0]?.connectionStatus.status).toBe('FAILED');
    const full = writeFiles({
      config: configFor(emulator),
      catalog: catalogFor([{ name: 'customers', syncMode: 'full_refresh' }]),
    });
    expect(
      (await runCli(['read', '--config', full.config!, '--catalog', full.catalog!])).exitCode,
    ).toBe(0);
  });

  it('sync: 2 for a wrong command line or config, 3 for Stripe or the warehouse unreachable or held, 1 for rows the warehouse refuses', async () => {
    const good = writeConfig(configFor(emulator, { pipelines: [{ name: 'customers' }] }));
    const into = (destination: string) => ['--config', good, '--destination', destination];

    const unknown = await syncCli([...into(`duckdb:${duckdbFile()}`), '--pipeline', 'nope']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/There is no pipeline "nope"/);
    expect((await syncCli(into('mysql://root@db/x'))).exitCode).toBe(2);
    expect((await syncCli(['--destination', 'duckdb:x.duckdb'])).exitCode, 'no --config').toBe(2);

    // A config mistake: one line, in the config file's words (its path, the pipeline's name).
    const mistaken = await syncCli([
      '--config',
      writeConfig(
        configFor(emulator, {
          pipelines: [
            { name: 'eu', filter: { conditions: [{ property: 'email', operator: 'is_true' }] } },
          ],
        }),
      ),
      '--destination',
      `duckdb:${duckdbFile()}`,
    ]);
    expect(mistaken.exitCode).toBe(2);
    expect(mistaken.stderr).toMatch(
      /^error: pipelines\[0\] \("eu"\)\.filter\.conditions\[0\]\.operator: operator "is_true" does not apply to string property "email"\./m,
    );

    const stripeDown = await syncCli([
      '--config',
      writeConfig({ ...unreachable(), pipelines: [{ name: 'customers' }] }),
      '--destination',
      `duckdb:${duckdbFile()}`,
    ]);
    expect(stripeDown.exitCode, stripeDown.stderr).toBe(3);
    expect(stripeDown.report.pipelines[0]).toMatchObject({
      status: 'failed',
      errorKind: 'transient',
    });

    const postgresDown = await syncCli(into(`postgres://postgres@127.0.0.1:${down}/warehouse`));
    expect(postgresDown.exitCode).toBe(3);
    expect(postgresDown.stderr).toMatch(
      /^error: PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/warehouse cannot be reached \(connect ECONNREFUSED [^)]+\): is the server running/,
    );
    expect(postgresDown.stderr.trim().split('\n')).toHaveLength(1);

    const held = duckdbFile();
    const holder = duckdbElsewhere(held, 'SELECT 1 AS x', { readOnly: false, holdMs: 8_000 });
    await holder.opened;
    const locked = await syncCli(into(`duckdb:${held}`));
    expect(locked.exitCode).toBe(3);
    expect(locked.stderr).toMatch(/is open in another process .*Conflicting lock/);
    await holder.done;

    // A column the user added to the table, which the tool cannot fill: the warehouse refuses
    // every row. A rerun fails the same way until the table changes: 1, not 3.
    const refusing = duckdbFile();
    const instance = await DuckDBInstance.create(refusing);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE customers (id VARCHAR PRIMARY KEY, owner VARCHAR NOT NULL)');
    connection.closeSync();
    instance.closeSync();
    const refused = await syncCli(into(`duckdb:${refusing}`));
    expect(refused.exitCode, refused.stderr).toBe(1);
    expect(refused.report.pipelines[0]).toMatchObject({ status: 'failed', errorKind: 'system' });
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    expect((await syncCli(into(`duckdb:${duckdbFile()}`))).exitCode).toBe(0);
  });
});
