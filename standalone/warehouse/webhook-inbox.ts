import { basename, dirname, join } from 'node:path';
import type { Destination } from '../destination';
import { BOOKKEEPING_PREFIX } from './layout';
import { QUICK, retryTransient } from './retry';
import { qualified, quote, type Dialect, type SqlDatabase, type SqlSession } from './sql';

export const INBOX_TABLE = `${BOOKKEEPING_PREFIX}webhook_inbox`;

/** A delivery, verified, as the inbox keeps it until it is applied. */
export interface InboxEntry {
  eventId: string;
  eventType: string;
  customerId: string;
  /** The event's time, unix seconds. */
  created: number;
  /** The event as delivered (JSON text). */
  payload: string;
}

export interface PendingDelivery {
  eventId: string;
  created: number;
  event: unknown;
  /** Unix milliseconds. */
  receivedAt: number;
}

/** Applied deliveries are kept this long (for repeats and for looking back), then forgotten. */
export const APPLIED_KEPT_MS = 60 * 60 * 1000;

/**
 * The durable inbox of webhook deliveries: a delivery is acknowledged only once it is committed
 * here, and stays until it has been applied, so a process killed right after answering applies it
 * when it starts again. In PostgreSQL it is a table beside the pipelines' tables. With DuckDB it
 * is a table in a small file of its own beside the warehouse (`NAME.webhooks.duckdb`), which
 * serve keeps open: receiving deliveries never needs the warehouse file, which stays free for
 * other readers between the (short, batched) writes that apply them.
 */
export class WebhookInbox {
  private constructor(
    private readonly database: SqlDatabase,
    private readonly dialect: Dialect,
    private readonly schema: string,
    /** Holds an embedded file open while the inbox is in use; released by `close`. */
    private readonly keeper: SqlSession | undefined,
    private readonly ownsDatabase: boolean,
    /** Where the inbox is, as shown. */
    readonly where: string,
  ) {}

  static async open(destination: Destination, warehouse: SqlDatabase): Promise<WebhookInbox> {
    let database = warehouse;
    let owns = false;
    let where = `the ${INBOX_TABLE} table`;
    if (destination.kind === 'duckdb') {
      const path = inboxPath(destination.path);
      const { openDuckDb } = await import('./duckdb.js');
      database = await openDuckDb(path, {});
      owns = true;
      where = `${INBOX_TABLE} in ${path}`;
    }
    const schema = destination.kind === 'duckdb' ? 'main' : destination.schema;
    const keeper = owns ? await database.session('write') : undefined;
    try {
      const session = keeper ?? (await database.session('write'));
      try {
        for (const statement of inboxDdl(database.dialect, schema)) await session.run(statement);
      } finally {
        if (!keeper) await session.release();
      }
    } catch (error) {
      await keeper?.release();
      if (owns) await database.close().catch(() => {});
      throw error;
    }
    return new WebhookInbox(database, database.dialect, schema, keeper, owns, where);
  }

  private get table(): string {
    return qualified({ schema: this.schema, name: INBOX_TABLE });
  }

  private using<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return retryTransient(async () => {
      const session = await this.database.session('write');
      try {
        return await work(session);
      } finally {
        await session.release();
      }
    }, QUICK);
  }

  /** Commits deliveries (a repeated event id is kept once); resolves once they are durable. */
  async record(entries: InboxEntry[]): Promise<void> {
    const unique = [...new Map(entries.map((entry) => [entry.eventId, entry])).values()];
    if (unique.length === 0) return;
    const ts = this.dialect.typeName({ type: 'timestamptz' });
    const now = new Date().toISOString();
    const values = unique
      .map((_, index) => {
        const p = index * 5;
        return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, CAST($${unique.length * 5 + 1} AS ${ts}))`;
      })
      .join(', ');
    const params = unique.flatMap((entry) => [
      entry.eventId,
      entry.eventType,
      entry.customerId,
      entry.created,
      entry.payload,
    ]);
    await this.using((session) =>
      session.transaction(() =>
        session.run(
          `INSERT INTO ${this.table} (event_id, event_type, customer_id, created, payload, received_at) VALUES ${values}
           ON CONFLICT (event_id) DO NOTHING`,
          [...params, now],
        ),
      ),
    );
  }

  /** Deliveries not applied yet, in the order they came. */
  async pending(limit: number): Promise<PendingDelivery[]> {
    const rows = await this.using((session) =>
      session.query(
        `SELECT event_id, created, payload, ${this.dialect.epochMillis('received_at')} AS received_ms FROM ${this.table}
         WHERE applied_at IS NULL ORDER BY received_at, event_id LIMIT $1`,
        [limit],
      ),
    );
    return rows.map((row) => ({
      eventId: String(row.event_id),
      created: Number(row.created),
      event: JSON.parse(String(row.payload)) as unknown,
      receivedAt: Number(row.received_ms),
    }));
  }

  async pendingCount(): Promise<number> {
    const [row] = await this.using((session) =>
      session.query(`SELECT count(*) AS n FROM ${this.table} WHERE applied_at IS NULL`),
    );
    return Number(row?.n ?? 0);
  }

  /** These deliveries are applied (or left to the runs): their payloads are let go. */
  async markApplied(eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const ts = this.dialect.typeName({ type: 'timestamptz' });
    const now = new Date().toISOString();
    for (let start = 0; start < eventIds.length; start += 500) {
      const chunk = eventIds.slice(start, start + 500);
      const list = chunk.map((_, index) => `$${index + 2}`).join(', ');
      await this.using((session) =>
        session.run(
          `UPDATE ${this.table} SET applied_at = CAST($1 AS ${ts}), payload = NULL WHERE event_id IN (${list})`,
          [now, ...chunk],
        ),
      );
    }
  }

  /** Forgets applied deliveries received more than APPLIED_KEPT_MS ago. */
  async prune(now = Date.now()): Promise<number> {
    const ts = this.dialect.typeName({ type: 'timestamptz' });
    return this.using((session) =>
      session.run(
        `DELETE FROM ${this.table} WHERE applied_at IS NOT NULL AND received_at < CAST($1 AS ${ts})`,
        [new Date(now - APPLIED_KEPT_MS).toISOString()],
      ),
    );
  }

  async close(): Promise<void> {
    await this.keeper?.release();
    if (this.ownsDatabase) await this.database.close();
  }
}

/** The inbox file beside a DuckDB warehouse: `stripe_customers.duckdb` → `stripe_customers.webhooks.duckdb`. */
export function inboxPath(warehousePath: string): string {
  const name = basename(warehousePath).replace(/\.duckdb$/i, '');
  return join(dirname(warehousePath), `${name}.webhooks.duckdb`);
}

function inboxDdl(dialect: Dialect, schema: string): string[] {
  const t = (kind: 'text' | 'bigint' | 'timestamptz') => dialect.typeName({ type: kind });
  const table = qualified({ schema, name: INBOX_TABLE });
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`,
    `CREATE TABLE IF NOT EXISTS ${table} (
       event_id ${t('text')} PRIMARY KEY,
       event_type ${t('text')} NOT NULL,
       customer_id ${t('text')} NOT NULL,
       created ${t('bigint')} NOT NULL,
       payload ${t('text')},
       received_at ${t('timestamptz')} NOT NULL,
       applied_at ${t('timestamptz')}
     )`,
    ...(dialect.name === 'postgres'
      ? [
          `CREATE INDEX IF NOT EXISTS ${quote(`${INBOX_TABLE}_pending`)} ON ${table} (received_at) WHERE applied_at IS NULL`,
        ]
      : []),
  ];
}
