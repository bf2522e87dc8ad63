import { BOOKKEEPING_PREFIX } from './layout';
import { PATIENT, QUICK, retryTransient, type RetryPolicy } from './retry';
import {
  qualified,
  quote,
  type Access,
  type Dialect,
  type SqlDatabase,
  type SqlSession,
} from './sql';

/** The tool's own tables, beside the pipelines' tables in the destination schema. */
export const STATE_TABLE = `${BOOKKEEPING_PREFIX}state`;
export const RUNS_TABLE = `${BOOKKEEPING_PREFIX}runs`;
export const PIPELINES_TABLE = `${BOOKKEEPING_PREFIX}pipelines`;
export const RUN_LOG_TABLE = `${BOOKKEEPING_PREFIX}run_log`;

/** Log lines kept per run: the first ones, then one line saying how many more there were. */
export const RUN_LOG_LINES = 200;

/**
 * `succeeded_with_skips`: the run ended, but customers were left out after errors (their
 * transformation failed with `on_error: skip`, or Stripe sent them malformed); rows imported
 * for them earlier are kept.
 */
export type RunStatus =
  'running' | 'succeeded' | 'succeeded_with_skips' | 'failed' | 'stopped' | 'interrupted';

export type RunTrigger = 'sync' | 'schedule' | 'run_now' | 'api';

/** One pipeline run, as the runs table keeps it and the pipelines page shows it. */
export interface RunRecord {
  runId: string;
  pipeline: string;
  /** `sync`: the command; `schedule`, `run_now` (the page's button), `api`: serve. */
  trigger: RunTrigger;
  startedAt: number;
  finishedAt?: number;
  status: RunStatus;
  mode?: string;
  slowPath?: string;
  read?: number;
  written?: number;
  /** Of `written`: rows new to the table, and rows changed. */
  inserted?: number;
  updated?: number;
  deleted?: number;
  filteredOut?: number;
  /** Customers the transformation skipped on purpose (it returned null). */
  skipped?: number;
  errors?: number;
  error?: string;
}

/** One line of a run's log, as serve kept it. */
export interface RunLogLine {
  at: number;
  level: 'INFO' | 'WARN' | 'ERROR';
  message: string;
}

/** What serve adds to a run's row once it ends (the runs table's first columns come from the sync). */
export interface RunDetails {
  inserted: number;
  updated: number;
  skipped: number;
  /** Set to correct the mode the sync recorded (a failed first run was a full import). */
  mode?: string;
}

export function bookkeepingDdl(dialect: Dialect, schema: string): string[] {
  const t = (kind: 'text' | 'bigint' | 'boolean' | 'timestamptz' | 'json') =>
    dialect.typeName({ type: kind });
  const table = (name: string) => qualified({ schema, name });
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`,
    // `state` covers the pipeline's table; `staged_state` covers its staging table while a full
    // import is under way (the table is replaced when it ends), tied to the definition it began with.
    `CREATE TABLE IF NOT EXISTS ${table(STATE_TABLE)} (
       pipeline ${t('text')} PRIMARY KEY,
       state ${t('json')},
       staged_state ${t('json')},
       staged_fingerprint ${t('text')},
       updated_at ${t('timestamptz')}
     )`,
    `CREATE TABLE IF NOT EXISTS ${table(RUNS_TABLE)} (
       run_id ${t('text')} PRIMARY KEY,
       pipeline ${t('text')} NOT NULL,
       trigger ${t('text')} NOT NULL,
       started_at ${t('timestamptz')} NOT NULL,
       finished_at ${t('timestamptz')},
       status ${t('text')} NOT NULL,
       mode ${t('text')},
       slow_path ${t('text')},
       customers_read ${t('bigint')},
       written ${t('bigint')},
       deleted ${t('bigint')},
       filtered_out ${t('bigint')},
       errors ${t('bigint')},
       error ${t('text')}
     )`,
    // Added after the first versions: warehouses made by those get them here.
    ...['inserted', 'updated', 'skipped'].map(
      (column) =>
        `ALTER TABLE ${table(RUNS_TABLE)} ADD COLUMN IF NOT EXISTS ${column} ${t('bigint')}`,
    ),
    // The pipelines page's enable switch: it overrides the config's `enabled` until changed again.
    `CREATE TABLE IF NOT EXISTS ${table(PIPELINES_TABLE)} (
       pipeline ${t('text')} PRIMARY KEY,
       enabled ${t('boolean')} NOT NULL,
       changed_at ${t('timestamptz')} NOT NULL
     )`,
    // What serve logged about each run, for the page's run history.
    `CREATE TABLE IF NOT EXISTS ${table(RUN_LOG_TABLE)} (
       run_id ${t('text')} NOT NULL,
       seq ${t('bigint')} NOT NULL,
       logged_at ${t('timestamptz')} NOT NULL,
       level ${t('text')} NOT NULL,
       message ${t('text')} NOT NULL,
       PRIMARY KEY (run_id, seq)
     )`,
  ];
}

/**
 * Reads and writes the runs and pipelines tables, each time on a session of its own: a
 * connection the server closed in between (a restart, `idle_session_timeout`) costs nothing, and
 * an embedded file is held only for the moment. Work that fails for a transient reason (the
 * connection, a lock) is tried again with growing pauses; every write is idempotent, so a write
 * repeated after its answer was lost changes nothing.
 */
export class Bookkeeping {
  private readonly runWatchers = new Set<(run: RunRecord) => void>();

  constructor(
    private readonly database: SqlDatabase,
    private readonly dialect: Dialect,
    private readonly schema: string,
  ) {}

  private table(name: string): string {
    return qualified({ schema: this.schema, name });
  }

  private using<T>(
    access: Access,
    policy: RetryPolicy,
    work: (session: SqlSession) => Promise<T>,
  ): Promise<T> {
    return retryTransient(async () => {
      const session = await this.database.session(access);
      try {
        return await work(session);
      } finally {
        await session.release();
      }
    }, policy);
  }

  /**
   * Tells `watcher` of every run this process records as started, with its id: serve keys its
   * log lines and its additions to the run's row by it. Returns the way to stop watching.
   */
  watchRuns(watcher: (run: RunRecord) => void): () => void {
    this.runWatchers.add(watcher);
    return () => this.runWatchers.delete(watcher);
  }

  async startRun(run: RunRecord): Promise<void> {
    await this.using('write', PATIENT, (session) =>
      session.run(
        `INSERT INTO ${this.table(RUNS_TABLE)} (run_id, pipeline, trigger, started_at, status) VALUES ($1, $2, $3, CAST($4 AS ${this.timestamptz()}), $5)
         ON CONFLICT (run_id) DO NOTHING`,
        [run.runId, run.pipeline, run.trigger, new Date(run.startedAt).toISOString(), run.status],
      ),
    );
    for (const watcher of this.runWatchers) watcher({ ...run });
  }

  private timestamptz(): string {
    return this.dialect.typeName({ type: 'timestamptz' });
  }

  /** Serve's additions to a finished run's row: inserted, updated and skipped, a corrected mode. */
  async completeRun(runId: string, details: RunDetails): Promise<void> {
    await this.using('write', PATIENT, (session) =>
      session.run(
        `UPDATE ${this.table(RUNS_TABLE)} SET inserted = $2, updated = $3, skipped = $4, mode = COALESCE($5, mode) WHERE run_id = $1`,
        [runId, details.inserted, details.updated, details.skipped, details.mode ?? null],
      ),
    );
  }

  /**
   * Keeps a run's log lines: the first RUN_LOG_LINES, then one saying how many more there were.
   * Idempotent (a line is keyed by its run and position), so a retried write adds nothing twice.
   */
  async appendRunLog(runId: string, lines: RunLogLine[]): Promise<void> {
    if (lines.length === 0) return;
    const kept = lines.slice(0, RUN_LOG_LINES);
    if (lines.length > RUN_LOG_LINES) {
      const last = lines[lines.length - 1] as RunLogLine;
      kept.push({
        at: last.at,
        level: 'INFO',
        message: `${lines.length - RUN_LOG_LINES} more line(s) were logged; the server's own log has them all.`,
      });
    }
    const values = kept
      .map(
        (_, index) =>
          `($1, ${index}, CAST($${index * 3 + 2} AS ${this.timestamptz()}), $${index * 3 + 3}, $${index * 3 + 4})`,
      )
      .join(', ');
    const params = kept.flatMap((line) => [
      new Date(line.at).toISOString(),
      line.level,
      line.message,
    ]);
    await this.using('write', PATIENT, (session) =>
      session.run(
        `INSERT INTO ${this.table(RUN_LOG_TABLE)} (run_id, seq, logged_at, level, message) VALUES ${values}
         ON CONFLICT (run_id, seq) DO NOTHING`,
        [runId, ...params],
      ),
    );
  }

  /** The log lines of these runs, by run, in order. */
  async runLogs(runIds: string[]): Promise<Map<string, RunLogLine[]>> {
    const logs = new Map<string, RunLogLine[]>();
    if (runIds.length === 0) return logs;
    const placeholders = runIds.map((_, index) => `$${index + 1}`).join(', ');
    const rows = await this.using('read', QUICK, (session) =>
      session.query(
        `SELECT run_id, ${this.dialect.epochMillis('logged_at')} AS at_ms, level, message FROM ${this.table(RUN_LOG_TABLE)}
         WHERE run_id IN (${placeholders}) ORDER BY run_id, seq`,
        runIds,
      ),
    );
    for (const row of rows) {
      const id = String(row.run_id);
      const list = logs.get(id) ?? [];
      list.push({
        at: Number(row.at_ms),
        level: row.level as RunLogLine['level'],
        message: String(row.message),
      });
      logs.set(id, list);
    }
    return logs;
  }

  async finishRun(run: RunRecord): Promise<void> {
    await this.using('write', PATIENT, (session) =>
      session.run(
        `UPDATE ${this.table(RUNS_TABLE)} SET finished_at = CAST($2 AS ${this.timestamptz()}), status = $3, mode = $4, slow_path = $5,
         customers_read = $6, written = $7, deleted = $8, filtered_out = $9, errors = $10, error = $11,
         inserted = $12, updated = $13, skipped = $14
       WHERE run_id = $1`,
        [
          run.runId,
          new Date(run.finishedAt ?? Date.now()).toISOString(),
          run.status,
          run.mode ?? null,
          run.slowPath ?? null,
          run.read ?? null,
          run.written ?? null,
          run.deleted ?? null,
          run.filteredOut ?? null,
          run.errors ?? null,
          run.error ?? null,
          run.inserted ?? null,
          run.updated ?? null,
          run.skipped ?? null,
        ],
      ),
    );
  }

  /**
   * Runs left `running` by a process that died: they are over, and say so. Only for pipelines
   * no live process is running (the caller holds each one's lock).
   */
  async markInterrupted(pipelines: string[]): Promise<number> {
    if (pipelines.length === 0) return 0;
    const placeholders = pipelines.map((_, index) => `$${index + 1}`).join(', ');
    return this.using('write', PATIENT, (session) =>
      session.run(
        `UPDATE ${this.table(RUNS_TABLE)} SET status = 'interrupted', error = 'The process running it stopped before the run ended; the next run continues from its last checkpoint.'
       WHERE status = 'running' AND pipeline IN (${placeholders})`,
        pipelines,
      ),
    );
  }

  /** The latest runs of each pipeline, newest first. */
  async recentRuns(perPipeline: number): Promise<Map<string, RunRecord[]>> {
    const rows = await this.using('read', QUICK, (session) =>
      session.query(
        `SELECT * FROM (
         SELECT ${this.runColumns()},
                row_number() OVER (PARTITION BY pipeline ORDER BY started_at DESC) AS position
           FROM ${this.table(RUNS_TABLE)}) AS ranked
       WHERE position <= $1 ORDER BY pipeline, started_ms DESC`,
        [perPipeline],
      ),
    );
    const runs = new Map<string, RunRecord[]>();
    for (const row of rows) {
      const run = runOfRow(row);
      const list = runs.get(run.pipeline) ?? [];
      list.push(run);
      runs.set(run.pipeline, list);
    }
    return runs;
  }

  /** One page of a pipeline's runs, newest first, and how many it has in all. */
  async runHistory(
    pipeline: string,
    page: { limit: number; offset: number },
  ): Promise<{ runs: RunRecord[]; total: number }> {
    return this.using('read', QUICK, async (session) => {
      const rows = await session.query(
        `SELECT ${this.runColumns()} FROM ${this.table(RUNS_TABLE)} WHERE pipeline = $1
         ORDER BY started_at DESC, run_id LIMIT $2 OFFSET $3`,
        [pipeline, page.limit, page.offset],
      );
      const [count] = await session.query(
        `SELECT count(*) AS n FROM ${this.table(RUNS_TABLE)} WHERE pipeline = $1`,
        [pipeline],
      );
      return { runs: rows.map(runOfRow), total: Number(count?.n ?? 0) };
    });
  }

  /**
   * Per pipeline: when it last succeeded (with skips or not) and when it first ran (unix
   * milliseconds), for freshness: a pipeline that never succeeded is judged from its first run.
   */
  async freshness(): Promise<Map<string, { lastSuccess?: number; firstRun: number }>> {
    const epoch = (column: string) => this.dialect.epochMillis(column);
    const rows = await this.using('read', QUICK, (session) =>
      session.query(
        `SELECT pipeline, min(${epoch('started_at')}) AS first_ms,
                max(CASE WHEN status IN ('succeeded', 'succeeded_with_skips') THEN ${epoch('finished_at')} END) AS success_ms
           FROM ${this.table(RUNS_TABLE)} GROUP BY pipeline`,
      ),
    );
    return new Map(
      rows.map((row) => [
        String(row.pipeline),
        {
          firstRun: Number(row.first_ms),
          ...(row.success_ms === null || row.success_ms === undefined
            ? {}
            : { lastSuccess: Number(row.success_ms) }),
        },
      ]),
    );
  }

  /** Rows in each of these tables; a table that does not exist (yet) is left out. */
  async rowCounts(tables: string[]): Promise<Map<string, number>> {
    return this.using('read', QUICK, async (session) => {
      const counts = new Map<string, number>();
      for (const name of tables) {
        const columns = await this.dialect.tableColumns(session, { schema: this.schema, name });
        if (!columns) continue;
        const [row] = await session.query(`SELECT count(*) AS n FROM ${this.table(name)}`);
        counts.set(name, Number(row?.n ?? 0));
      }
      return counts;
    });
  }

  /** The state the pipeline's last checkpoint saved (undefined: none), and whether a full import is staged. */
  async savedState(pipeline: string): Promise<{ state?: unknown; staged: boolean }> {
    const rows = await this.using('read', QUICK, (session) =>
      session.query(
        `SELECT state, staged_state FROM ${this.table(STATE_TABLE)} WHERE pipeline = $1`,
        [pipeline],
      ),
    );
    const row = rows[0];
    if (!row) return { staged: false };
    const state = typeof row.state === 'string' ? (JSON.parse(row.state) as unknown) : row.state;
    return {
      ...(state === null || state === undefined ? {} : { state }),
      staged: row.staged_state !== null && row.staged_state !== undefined,
    };
  }

  private runColumns(): string {
    const epoch = (column: string) => this.dialect.epochMillis(column);
    return `run_id, pipeline, trigger, ${epoch('started_at')} AS started_ms, ${epoch('finished_at')} AS finished_ms,
            status, mode, slow_path, customers_read, written, inserted, updated, deleted, filtered_out, skipped, errors, error`;
  }

  async enabledOverrides(): Promise<Map<string, boolean>> {
    const rows = await this.using('read', QUICK, (session) =>
      session.query(`SELECT pipeline, enabled FROM ${this.table(PIPELINES_TABLE)}`),
    );
    return new Map(rows.map((row) => [String(row.pipeline), row.enabled === true]));
  }

  async setEnabled(pipeline: string, enabled: boolean): Promise<void> {
    await this.using('write', QUICK, (session) =>
      session.run(
        `INSERT INTO ${this.table(PIPELINES_TABLE)} (pipeline, enabled, changed_at) VALUES ($1, $2, CAST($3 AS ${this.timestamptz()}))
       ON CONFLICT (pipeline) DO UPDATE SET enabled = excluded.enabled, changed_at = excluded.changed_at`,
        [pipeline, enabled, new Date().toISOString()],
      ),
    );
  }

  /** Forgets the page's switch: the config's `enabled` applies again. */
  async clearEnabled(pipeline: string): Promise<void> {
    await this.using('write', QUICK, (session) =>
      session.run(`DELETE FROM ${this.table(PIPELINES_TABLE)} WHERE pipeline = $1`, [pipeline]),
    );
  }
}

function runOfRow(row: Record<string, unknown>): RunRecord {
  return {
    runId: String(row.run_id),
    pipeline: String(row.pipeline),
    trigger: row.trigger as RunTrigger,
    startedAt: Number(row.started_ms),
    ...(row.finished_ms === null || row.finished_ms === undefined
      ? {}
      : { finishedAt: Number(row.finished_ms) }),
    status: row.status as RunStatus,
    ...optional('mode', row.mode, String),
    ...optional('slowPath', row.slow_path, String),
    ...optional('read', row.customers_read, Number),
    ...optional('written', row.written, Number),
    ...optional('inserted', row.inserted, Number),
    ...optional('updated', row.updated, Number),
    ...optional('deleted', row.deleted, Number),
    ...optional('filteredOut', row.filtered_out, Number),
    ...optional('skipped', row.skipped, Number),
    ...optional('errors', row.errors, Number),
    ...optional('error', row.error, String),
  };
}

function optional<K extends string, T>(
  key: K,
  value: unknown,
  convert: (value: unknown) => T,
): Partial<Record<K, T>> {
  return value === null || value === undefined
    ? {}
    : ({ [key]: convert(value) } as Partial<Record<K, T>>);
}
