import { BOOKKEEPING_PREFIX } from './layout';
import { QUICK, retryTransient } from './retry';
import { qualified, type Dialect, type SqlDatabase, type SqlSession } from './sql';

/**
 * The latest version (unix seconds, an event's `created`) of every customer a webhook delivery
 * changed in a pipeline, whether the change left a row or not (a deletion, a customer filtered
 * out). Writes to the pipeline's table compare with it as with the rows' cursors, so a late,
 * older delivery, or a run reading an older event, can bring back neither an older state nor a
 * deleted or filtered-out customer.
 */
export const VERSIONS_TABLE = `${BOOKKEEPING_PREFIX}versions`;

/** Per pipeline: when deliveries were last applied to it, how many, and the last problem. */
export const WEBHOOKS_TABLE = `${BOOKKEEPING_PREFIX}webhooks`;

export function webhookTablesDdl(dialect: Dialect, schema: string): string[] {
  const t = (kind: 'text' | 'bigint' | 'timestamptz') => dialect.typeName({ type: kind });
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified({ schema, name: VERSIONS_TABLE })} (
       pipeline ${t('text')} NOT NULL,
       key ${t('text')} NOT NULL,
       version ${t('bigint')} NOT NULL,
       PRIMARY KEY (pipeline, key)
     )`,
    `CREATE TABLE IF NOT EXISTS ${qualified({ schema, name: WEBHOOKS_TABLE })} (
       pipeline ${t('text')} PRIMARY KEY,
       last_applied_at ${t('timestamptz')},
       last_event_created ${t('bigint')},
       events_applied ${t('bigint')} NOT NULL,
       problem ${t('text')},
       problem_at ${t('timestamptz')}
     )`,
  ];
}

/** What the pipelines page shows of a pipeline's deliveries. */
export interface WebhookStatus {
  /** When deliveries were last applied to its table (unix milliseconds). */
  lastApplied?: number;
  /** The latest event time among them (unix seconds). */
  lastEventCreated?: number;
  /** Events applied to it in all (repeats and events its runs had read are not counted). */
  eventsApplied: number;
  /** The last time deliveries could not be applied to it, and why (cleared by the next success). */
  problem?: { message: string; at: number };
}

/** Reads and writes the per-pipeline delivery status, each time on a session of its own. */
export class WebhookStatusBook {
  constructor(
    private readonly database: SqlDatabase,
    private readonly dialect: Dialect,
    private readonly schema: string,
  ) {}

  private get table(): string {
    return qualified({ schema: this.schema, name: WEBHOOKS_TABLE });
  }

  private using<T>(work: (session: SqlSession) => Promise<T>, write: boolean): Promise<T> {
    return retryTransient(async () => {
      const session = await this.database.session(write ? 'write' : 'read');
      try {
        return await work(session);
      } finally {
        await session.release();
      }
    }, QUICK);
  }

  async noteApplied(pipeline: string, events: number, lastEventCreated: number): Promise<void> {
    const ts = this.dialect.typeName({ type: 'timestamptz' });
    await this.using(
      (session) =>
        session.run(
          `INSERT INTO ${this.table} (pipeline, last_applied_at, last_event_created, events_applied, problem, problem_at)
           VALUES ($1, CAST($2 AS ${ts}), $3, $4, NULL, NULL)
           ON CONFLICT (pipeline) DO UPDATE SET last_applied_at = excluded.last_applied_at,
             last_event_created = excluded.last_event_created,
             events_applied = ${this.table}.events_applied + excluded.events_applied,
             problem = NULL, problem_at = NULL`,
          [pipeline, new Date().toISOString(), lastEventCreated, events],
        ),
      true,
    );
  }

  async noteProblem(pipeline: string, message: string): Promise<void> {
    const ts = this.dialect.typeName({ type: 'timestamptz' });
    await this.using(
      (session) =>
        session.run(
          `INSERT INTO ${this.table} (pipeline, events_applied, problem, problem_at) VALUES ($1, 0, $2, CAST($3 AS ${ts}))
           ON CONFLICT (pipeline) DO UPDATE SET problem = excluded.problem, problem_at = excluded.problem_at`,
          [pipeline, message, new Date().toISOString()],
        ),
      true,
    );
  }

  async statuses(): Promise<Map<string, WebhookStatus>> {
    const epoch = (column: string) => this.dialect.epochMillis(column);
    const rows = await this.using(
      (session) =>
        session.query(
          `SELECT pipeline, ${epoch('last_applied_at')} AS applied_ms, last_event_created, events_applied, problem, ${epoch('problem_at')} AS problem_ms FROM ${this.table}`,
        ),
      false,
    );
    const present = (value: unknown) => value !== null && value !== undefined;
    return new Map(
      rows.map((row) => [
        String(row.pipeline),
        {
          ...(present(row.applied_ms) ? { lastApplied: Number(row.applied_ms) } : {}),
          ...(present(row.last_event_created)
            ? { lastEventCreated: Number(row.last_event_created) }
            : {}),
          eventsApplied: Number(row.events_applied ?? 0),
          ...(present(row.problem)
            ? { problem: { message: String(row.problem), at: Number(row.problem_ms) } }
            : {}),
        },
      ]),
    );
  }
}
