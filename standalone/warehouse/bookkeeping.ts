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

/**
 * `succeeded_with_skips`: the run ended, but customers were left out after errors (their
 * transformation failed with `on_error: skip`, or Stripe sent them malformed); rows imported
 * for them earlier are kept.
 */
export type RunStatus =
  'running' | 'succeeded' | 'succeeded_with_skips' | 'failed' | 'stopped' | 'interrupted';

/** One pipeline run, as the runs table keeps it and the pipelines page shows it. */
export interface RunRecord {
  runId: string;
  pipeline: string;
  trigger: 'sync' | 'schedule' | 'run_now';
  startedAt: number;
  finishedAt?: number;
  status: RunStatus;
  mode?: string;
  slowPath?: string;
  read?: number;
  written?: number;
  deleted?: number;
  filteredOut?: number;
  errors?: number;
  error?: string;
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
    // The pipelines page's enable switch: it overrides the config's `enabled` until changed again.
    `CREATE TABLE IF NOT EXISTS ${table(PIPELINES_TABLE)} (
       pipeline ${t('text')} PRIMARY KEY,
       enabled ${t('boolean')} NOT NULL,
       changed_at ${t('timestamptz')} NOT NULL
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

  async startRun(run: RunRecord): Promise<void> {
    await this.using('write', PATIENT, (session) =>
      session.run(
        `INSERT INTO ${this.table(RUNS_TABLE)} (run_id, pipeline, trigger, started_at, status) VALUES ($1, $2, $3, CAST($4 AS ${this.dialect.typeName({ type: 'timestamptz' })}), $5)
         ON CONFLICT (run_id) DO NOTHING`,
        [run.runId, run.pipeline, run.trigger, new Date(run.startedAt).toISOString(), run.status],
      ),
    );
  }

  async finishRun(run: RunRecord): Promise<void> {
    await this.using('write', PATIENT, (session) =>
      session.run(
        `UPDATE ${this.table(RUNS_TABLE)} SET finished_at = CAST($2 AS ${this.dialect.typeName({ type: 'timestamptz' })}), status = $3, mode = $4, slow_path = $5,
         customers_read = $6, written = $7, deleted = $8, filtered_out = $9, errors = $10, error = $11
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
    const epoch = (column: string) => this.dialect.epochMillis(column);
    const rows = await this.using('read', QUICK, (session) =>
      session.query(
        `SELECT * FROM (
         SELECT run_id, pipeline, trigger, ${epoch('started_at')} AS started_ms, ${epoch('finished_at')} AS finished_ms,
                status, mode, slow_path, customers_read, written, deleted, filtered_out, errors, error,
                row_number() OVER (PARTITION BY pipeline ORDER BY started_at DESC) AS position
           FROM ${this.table(RUNS_TABLE)}) AS ranked
       WHERE position <= $1 ORDER BY pipeline, started_ms DESC`,
        [perPipeline],
      ),
    );
    const runs = new Map<string, RunRecord[]>();
    for (const row of rows) {
      const pipeline = String(row.pipeline);
      const list = runs.get(pipeline) ?? [];
      list.push({
        runId: String(row.run_id),
        pipeline,
        trigger: row.trigger as RunRecord['trigger'],
        startedAt: Number(row.started_ms),
        ...(row.finished_ms === null ? {} : { finishedAt: Number(row.finished_ms) }),
        status: row.status as RunStatus,
        ...optional('mode', row.mode, String),
        ...optional('slowPath', row.slow_path, String),
        ...optional('read', row.customers_read, Number),
        ...optional('written', row.written, Number),
        ...optional('deleted', row.deleted, Number),
        ...optional('filteredOut', row.filtered_out, Number),
        ...optional('errors', row.errors, Number),
        ...optional('error', row.error, String),
      });
      runs.set(pipeline, list);
    }
    return runs;
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
        `INSERT INTO ${this.table(PIPELINES_TABLE)} (pipeline, enabled, changed_at) VALUES ($1, $2, CAST($3 AS ${this.dialect.typeName({ type: 'timestamptz' })}))
       ON CONFLICT (pipeline) DO UPDATE SET enabled = excluded.enabled, changed_at = excluded.changed_at`,
        [pipeline, enabled, new Date().toISOString()],
      ),
    );
  }
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
