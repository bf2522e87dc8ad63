import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../connector';
import { parseDestination } from '../../standalone/destination';
import { describeAge, expectsFullImport, isStale } from '../../standalone/serve/freshness';
import { RUN_LOG_LINES } from '../../standalone/warehouse/bookkeeping';
import { Warehouse } from '../../standalone/warehouse';
import { BACKENDS, type Backend } from './support/standalone';

/** The runs table as the versions before the run history made it. */
const OLD_RUNS_TABLE = `CREATE TABLE _stripe_sync_runs (
  run_id text PRIMARY KEY, pipeline text NOT NULL, trigger text NOT NULL,
  started_at timestamptz NOT NULL, finished_at timestamptz, status text NOT NULL, mode text,
  slow_path text, customers_read bigint, written bigint, deleted bigint, filtered_out bigint,
  errors bigint, error text)`;

describe.each(BACKENDS)('the run history on $name', ({ start }) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await start();
  }, 120_000);
  afterAll(() => backend?.stop());

  it("migrates an earlier version's runs table, and keeps each run's counts and log lines, paged", async () => {
    const test = await backend.create();
    // A warehouse from an earlier version, with one run in it.
    if (test.kind === 'postgres') {
      await test.query(OLD_RUNS_TABLE);
    } else {
      await test.query(`${OLD_RUNS_TABLE.replace(/timestamptz/g, 'TIMESTAMPTZ')}`);
    }
    await test.query(
      `INSERT INTO _stripe_sync_runs (run_id, pipeline, trigger, started_at, finished_at, status, mode, customers_read, written, deleted, filtered_out, errors)
       VALUES ('old', 'pro', 'sync', '2026-01-01T00:00:00Z', '2026-01-01T00:00:02Z', 'succeeded', 'full import', 10, 4, 0, 6, 0)`,
    );
    const warehouse = await Warehouse.open(parseDestination(test.url));
    try {
      const { bookkeeping } = warehouse;
      const started: string[] = [];
      const unwatch = bookkeeping.watchRuns((run) => started.push(run.runId));
      for (let index = 1; index <= 25; index++) {
        const startedAt = Date.UTC(2026, 1, 1, 0, index);
        await bookkeeping.startRun({
          runId: `run-${index}`,
          pipeline: 'pro',
          trigger: index % 2 ? 'api' : 'schedule',
          startedAt,
          status: 'running',
        });
        await bookkeeping.finishRun({
          runId: `run-${index}`,
          pipeline: 'pro',
          trigger: 'api',
          startedAt,
          finishedAt: startedAt + 1_000,
          status: index === 25 ? 'failed' : 'succeeded',
          read: 5,
          written: 3,
          deleted: 1,
          filteredOut: 1,
          errors: index === 25 ? 1 : 0,
        });
        await bookkeeping.completeRun(`run-${index}`, {
          inserted: 2,
          updated: 1,
          skipped: 1,
          mode: 'incremental',
        });
      }
      unwatch();
      expect(started).toHaveLength(25);
      // A log longer than what is kept: the first lines, then how many more.
      const lines = Array.from({ length: RUN_LOG_LINES + 5 }, (_, index) => ({
        at: Date.UTC(2026, 1, 1) + index,
        level: 'INFO' as const,
        message: `line ${index}`,
      }));
      await bookkeeping.appendRunLog('run-25', lines);
      // Written again (a retry after a lost answer): nothing doubles.
      await bookkeeping.appendRunLog('run-25', lines);

      const first = await bookkeeping.runHistory('pro', { limit: 20, offset: 0 });
      expect(first.total).toBe(26);
      expect(first.runs).toHaveLength(20);
      expect(first.runs[0]).toMatchObject({
        runId: 'run-25',
        trigger: 'api',
        status: 'failed',
        mode: 'incremental',
        read: 5,
        written: 3,
        inserted: 2,
        updated: 1,
        deleted: 1,
        filteredOut: 1,
        skipped: 1,
        errors: 1,
      });
      const second = await bookkeeping.runHistory('pro', { limit: 20, offset: 20 });
      expect(second.runs.map((run) => run.runId)).toEqual([
        'run-5',
        'run-4',
        'run-3',
        'run-2',
        'run-1',
        'old',
      ]);
      // The earlier version's run reads as it was, without the new counts.
      expect(second.runs[5]).toMatchObject({ trigger: 'sync', written: 4 });
      expect(second.runs[5]).not.toHaveProperty('inserted');

      const logs = await bookkeeping.runLogs(['run-25', 'run-24']);
      const kept = logs.get('run-25')!;
      expect(kept).toHaveLength(RUN_LOG_LINES + 1);
      expect(kept[0]).toEqual({ at: Date.UTC(2026, 1, 1), level: 'INFO', message: 'line 0' });
      expect(kept.at(-1)!.message).toBe(
        "5 more line(s) were logged; the server's own log has them all.",
      );
      expect(logs.has('run-24')).toBe(false);

      const freshness = await bookkeeping.freshness();
      expect(freshness.get('pro')).toEqual({
        firstRun: Date.UTC(2026, 0, 1),
        lastSuccess: Date.UTC(2026, 1, 1, 0, 24) + 1_000,
      });
      await test.query('CREATE TABLE pro (id text)');
      await test.query("INSERT INTO pro VALUES ('a'), ('b')");
      expect(await bookkeeping.rowCounts(['pro', 'missing'])).toEqual(new Map([['pro', 2]]));
    } finally {
      await warehouse.close();
    }
  });
});

describe('freshness', () => {
  const HOUR = 3_600_000;
  it('calls a scheduled pipeline stale past twice its period, judging one that never succeeded from its first run', () => {
    const facts = { enabled: true, periodMs: HOUR, firstRun: 0, now: 10 * HOUR };
    expect(isStale({ ...facts, lastSuccess: 8 * HOUR + 1 })).toBe(false);
    expect(isStale({ ...facts, lastSuccess: 8 * HOUR - 1 })).toBe(true);
    expect(isStale({ ...facts, lastSuccess: undefined })).toBe(true);
    expect(isStale({ ...facts, lastSuccess: undefined, firstRun: undefined })).toBe(false);
    expect(isStale({ ...facts, lastSuccess: 0, enabled: false })).toBe(false);
    expect(isStale({ ...facts, lastSuccess: 0, periodMs: undefined })).toBe(false);
    expect(describeAge(90 * 60_000)).toBe('1.5 h');
  });

  it('knows a full import is coming before the run, so a failed first run is not labelled incremental', () => {
    const [pipeline] = parseConfig({ api_key: 'sk_test_x' }).pipelines;
    const incremental = { phase: 'incremental', fingerprint: pipeline!.fingerprint };
    expect(expectsFullImport(pipeline!, { staged: false })).toBe(true);
    expect(expectsFullImport(pipeline!, { staged: true, state: incremental })).toBe(true);
    expect(expectsFullImport(pipeline!, { staged: false, state: incremental })).toBe(false);
    expect(
      expectsFullImport(pipeline!, {
        staged: false,
        state: { ...incremental, fingerprint: 'another definition' },
      }),
    ).toBe(true);
    expect(expectsFullImport({ ...pipeline!, incremental: false }, { staged: false })).toBe(false);
  });
});
