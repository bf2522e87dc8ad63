import { ConfigError, isoFromSeconds } from '../../connector';
import { STATE_TABLE } from './bookkeeping';
import { VERSIONS_TABLE } from './webhook-tables';
import type { Row } from './cells';
import { BOOKKEEPING_PREFIX, comparedColumns, type Column, type TableLayout } from './layout';
import {
  columnDefinitions,
  columnList,
  qualified,
  quote,
  type Dialect,
  type SqlSession,
  type TableRef,
} from './sql';

/** What the warehouse holds for a pipeline: the state of its table, and of a full import under way. */
export interface StoredState {
  state?: unknown;
  staged?: { state: unknown; fingerprint: string };
}

/** What a full import commits to staging at a time: rows, and the keys of customers it skipped. */
export interface StagedBatch {
  rows: Row[];
  kept: Iterable<string>;
}

const KEPT_KEY = 'key';
/** The account column of connected accounts' tables (the engine's `stripe_account_id`). */
const ACCOUNT_COLUMN = 'stripe_account_id';
const KEPT_COLUMNS: Column[] = [{ name: KEPT_KEY, kind: { type: 'text' } }];

export interface WriteCounts {
  inserted: number;
  updated: number;
  deleted: number;
  /** Records older than what the table holds for their customer: left out (absent when none). */
  outdated?: number;
}

/** Changes applied from webhook deliveries: the version of every customer they concerned. */
export interface DeliveredVersions {
  versions: ReadonlyMap<string, number>;
  /** Versions older than this can no longer matter (every later write is newer): forgotten. */
  forgetBefore: number;
}

/** What preparing the table found, for the run's notes. */
export interface TableCheck {
  created: boolean;
  addedColumns: string[];
  /** Columns the pipeline no longer writes: kept, with their data, and null in new rows. */
  keptColumns: string[];
  /** Whether a staging table left by an interrupted full import has the current columns. */
  stagingUsable: boolean;
}

/** A change the table cannot take without losing data: nothing is written, the message says why. */
export class TableMismatchError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'TableMismatchError';
  }
}

/**
 * One pipeline's table and its state, written together: every write is one transaction holding
 * the rows and the state that covers them, so a run killed at any point and run again neither
 * loses nor duplicates a customer. A full import goes to a staging table first and replaces the
 * table's content in one transaction at its end (new, changed and vanished customers become
 * inserts, updates and deletes), so readers never see a half-imported table.
 */
export class PipelineTable {
  private readonly main: TableRef;
  private readonly staging: TableRef;
  private readonly batch: TableRef = { temporary: true, name: `${BOOKKEEPING_PREFIX}batch` };
  /** Keys of customers a full import skipped: their rows are carried over into staging. */
  private readonly kept: TableRef = { temporary: true, name: `${BOOKKEEPING_PREFIX}kept` };
  private readonly stateTable: string;

  constructor(
    private readonly session: SqlSession,
    private readonly dialect: Dialect,
    private readonly schema: string,
    readonly layout: TableLayout,
    private readonly softDelete: boolean,
  ) {
    this.main = { schema, name: layout.table };
    this.staging = { schema, name: layout.stagingTable };
    this.stateTable = qualified({ schema, name: STATE_TABLE });
  }

  /** Creates the table, or adds the columns it lacks; refuses changes it cannot take. */
  async prepare(): Promise<TableCheck> {
    const { layout, dialect } = this;
    const existing = await dialect.tableColumns(this.session, {
      schema: this.schema,
      name: layout.table,
    });
    const check: TableCheck = {
      created: !existing,
      addedColumns: [],
      keptColumns: [],
      stagingUsable: false,
    };
    if (!existing) {
      await this.session.run(this.createTable(this.main));
    } else {
      this.refuseIncompatible(existing);
      for (const column of layout.columns.filter((c) => !existing.has(c.name))) {
        await this.session.run(
          `ALTER TABLE ${qualified(this.main)} ADD COLUMN ${columnDefinitions(dialect, [column])}`,
        );
        check.addedColumns.push(column.name);
      }
      const wanted = new Set(layout.columns.map((column) => column.name));
      check.keptColumns = [...existing.keys()].filter((name) => !wanted.has(name));
    }
    const staged = await dialect.tableColumns(this.session, {
      schema: this.schema,
      name: layout.stagingTable,
    });
    check.stagingUsable =
      staged !== undefined &&
      staged.size === layout.columns.length &&
      layout.columns.every((column) => sameType(staged.get(column.name), this.typeOf(column)));
    await this.session.run(`DROP TABLE IF EXISTS ${qualified(this.batch)}`);
    await this.session.run(
      `CREATE TEMPORARY TABLE ${qualified(this.batch)} (${columnDefinitions(dialect, layout.columns)})`,
    );
    await this.session.run(`DROP TABLE IF EXISTS ${qualified(this.kept)}`);
    await this.session.run(
      `CREATE TEMPORARY TABLE ${qualified(this.kept)} (${columnDefinitions(dialect, KEPT_COLUMNS)})`,
    );
    return check;
  }

  private refuseIncompatible(existing: Map<string, string>): void {
    const { layout } = this;
    const target = qualified(this.main);
    const problems: string[] = [];
    const fixes: string[] = [];
    if (!existing.has(layout.primaryKey)) {
      problems.push(
        `its rows are not keyed by "${layout.primaryKey}" (the pipeline gained or lost a transformation, which changes the key column)`,
      );
    }
    const accountKey = layout.accountColumn ?? ACCOUNT_COLUMN;
    const written = layout.columns.some((column) => column.name === accountKey);
    if (layout.accountColumn ? !existing.has(accountKey) : existing.has(accountKey) && !written) {
      problems.push(
        layout.accountColumn
          ? `its rows are keyed by "${layout.primaryKey}" alone, of one Stripe account, and the config now reads connected accounts (rows keyed by "${accountKey}" and "${layout.primaryKey}")`
          : `its rows are keyed by "${accountKey}" and "${layout.primaryKey}", of connected accounts, and the config now reads one account`,
      );
    }
    for (const column of layout.columns) {
      const current = existing.get(column.name);
      if (current === undefined || sameType(current, this.typeOf(column))) continue;
      problems.push(
        `column "${column.name}" is ${current} but the pipeline now writes ${this.typeOf(column)}`,
      );
      fixes.push(
        `ALTER TABLE ${target} ALTER COLUMN ${quote(column.name)} TYPE ${this.typeOf(column)}`,
      );
    }
    if (problems.length === 0) return;
    const alter = fixes.length
      ? `Either convert the column(s) yourself if every value converts (${fixes.join('; ')}) and run again, or rebuild`
      : 'Rebuild';
    throw new TableMismatchError(
      `Table ${target} cannot take pipeline "${layout.pipeline}" as it is now defined: ${problems.join('; ')}. Nothing was written to it. ` +
        `${alter} the table from Stripe: run sync with --rebuild ${layout.pipeline} (drops the table and its saved state, then imports every customer again), or give the pipeline a new name to keep the old table.`,
    );
  }

  private typeOf(column: Column): string {
    return this.dialect.typeName(column.kind);
  }

  private createTable(table: TableRef, primaryKey = true): string {
    const key = primaryKey ? `, PRIMARY KEY (${this.layout.key.map(quote).join(', ')})` : '';
    return `CREATE TABLE ${qualified(table)} (${columnDefinitions(this.dialect, this.layout.columns)}${key})`;
  }

  async loadState(): Promise<StoredState> {
    const rows = await this.session.query(
      `SELECT state, staged_state, staged_fingerprint FROM ${this.stateTable} WHERE pipeline = $1`,
      [this.layout.pipeline],
    );
    const row = rows[0];
    if (!row) return {};
    const state = parseJson(row.state);
    const staged = parseJson(row.staged_state);
    return {
      ...(state === undefined ? {} : { state }),
      ...(staged === undefined || typeof row.staged_fingerprint !== 'string'
        ? {}
        : { staged: { state: staged, fingerprint: row.staged_fingerprint } }),
    };
  }

  /**
   * Incremental changes: upserts and deletions, with the state that covers them. A record older
   * than the row it would replace (its cursor), or than the latest change a webhook applied to
   * its customer, is left out: runs and webhook deliveries may apply changes out of order, and
   * the newer state wins. With `delivered` (webhook deliveries), the versions of the customers
   * they concerned are kept in the same transaction.
   */
  async applyChanges(
    rows: Row[],
    state: unknown,
    delivered?: DeliveredVersions,
  ): Promise<WriteCounts> {
    await this.fillBatch({ rows, kept: [] });
    return this.session.transaction(async () => {
      const outdated = rows.length > 0 ? await this.dropOutdated() : 0;
      const counts = await this.applyBatch();
      if (delivered) await this.keepVersions(delivered);
      await this.saveState(state);
      return outdated > 0 ? { ...counts, outdated } : counts;
    });
  }

  /**
   * The version the table holds for each of these customers: its row's cursor, or the latest
   * change a webhook applied to it (deleted or filtered out since); absent when neither.
   */
  async heldVersions(keys: string[]): Promise<Map<string, number>> {
    const held = new Map<string, number>();
    const { layout } = this;
    for (let start = 0; start < keys.length; start += 500) {
      const chunk = keys.slice(start, start + 500);
      const list = chunk.map((_, index) => `$${index + 2}`).join(', ');
      const rows = await this.session.query(
        `SELECT k, max(v) AS v FROM (
           SELECT ${quote(layout.primaryKey)} AS k, ${quote(layout.cursor)} AS v FROM ${qualified(this.main)} WHERE ${quote(layout.primaryKey)} IN (${list})
           UNION ALL
           SELECT key AS k, version AS v FROM ${this.versionsTable} WHERE pipeline = $1 AND key IN (${list})
         ) AS held WHERE v IS NOT NULL GROUP BY k`,
        [layout.pipeline, ...chunk],
      );
      for (const row of rows) held.set(String(row.k), Number(row.v));
    }
    return held;
  }

  /**
   * Leaves out of the batch what is older than the row (compared on the whole key: with connected
   * accounts, the account and the id), or than a change a webhook applied (deliveries are applied
   * only for tables of one account, keyed by the id alone).
   */
  private async dropOutdated(): Promise<number> {
    const { layout } = this;
    const batch = qualified(this.batch);
    const pk = quote(layout.primaryKey);
    const cursor = quote(layout.cursor);
    return this.session.run(
      `DELETE FROM ${batch} WHERE EXISTS (SELECT 1 FROM ${qualified(this.main)} AS t WHERE ${this.sameKey('t', batch)} AND t.${cursor} > ${batch}.${cursor})
         OR EXISTS (SELECT 1 FROM ${this.versionsTable} AS v WHERE v.pipeline = $1 AND v.key = ${batch}.${pk} AND v.version > ${batch}.${cursor})`,
      [layout.pipeline],
    );
  }

  private async keepVersions(delivered: DeliveredVersions): Promise<void> {
    const entries = [...delivered.versions];
    for (let start = 0; start < entries.length; start += 500) {
      const chunk = entries.slice(start, start + 500);
      const values = chunk
        .map((_, index) => `($1, $${index * 2 + 2}, $${index * 2 + 3})`)
        .join(', ');
      await this.session.run(
        `INSERT INTO ${this.versionsTable} (pipeline, key, version) VALUES ${values}
         ON CONFLICT (pipeline, key) DO UPDATE SET version = greatest(${this.versionsTable}.version, excluded.version)`,
        [this.layout.pipeline, ...chunk.flat()],
      );
    }
    await this.session.run(
      `DELETE FROM ${this.versionsTable} WHERE pipeline = $1 AND version < $2`,
      [this.layout.pipeline, delivered.forgetBefore],
    );
  }

  private get versionsTable(): string {
    return qualified({ schema: this.schema, name: VERSIONS_TABLE });
  }

  /**
   * Rows of a full import under way, into the staging table, with the state that covers them.
   * Customers the import skipped (`kept`: their transformation failed or chose to skip them) keep
   * the row the table has for them: it is copied into staging in the same transaction, so the
   * import's end does not take them for vanished customers, even when it is resumed.
   */
  async stage(
    batch: StagedBatch,
    state: unknown,
    fingerprint: string,
    fresh: boolean,
  ): Promise<void> {
    const kept = await this.fillBatch(batch);
    await this.session.transaction(async () => {
      if (fresh) await this.recreateStaging();
      await this.stageBatch();
      if (kept > 0) await this.carryOverKept();
      await this.session.run(
        `INSERT INTO ${this.stateTable} (pipeline, staged_state, staged_fingerprint, updated_at) VALUES ($1, CAST($2 AS ${this.jsonType()}), $3, CAST($4 AS ${this.timestampType()}))
         ON CONFLICT (pipeline) DO UPDATE SET staged_state = excluded.staged_state, staged_fingerprint = excluded.staged_fingerprint, updated_at = excluded.updated_at`,
        [this.layout.pipeline, JSON.stringify(state), fingerprint, new Date().toISOString()],
      );
    });
  }

  /**
   * The end of a full import: its last rows join the staging table, whose content then replaces
   * the table's in one transaction. Only differences are written: customers that vanished are
   * deleted (or marked deleted), changed ones updated, new ones inserted.
   */
  async replaceFromStaging(
    batch: StagedBatch,
    state: unknown,
    fresh: boolean,
  ): Promise<WriteCounts> {
    const kept = await this.fillBatch(batch);
    return this.session.transaction(async () => {
      if (fresh) await this.recreateStaging();
      await this.stageBatch();
      if (kept > 0) await this.carryOverKept();
      const counts = await this.mergeStaging();
      await this.session.run(`DROP TABLE ${qualified(this.staging)}`);
      await this.saveState(state);
      return counts;
    });
  }

  /** Forgets a full import under way (its definition changed): the next one starts afresh. */
  async discardStaging(): Promise<void> {
    await this.session.transaction(async () => {
      await this.session.run(`DROP TABLE IF EXISTS ${qualified(this.staging)}`);
      await this.session.run(
        `UPDATE ${this.stateTable} SET staged_state = NULL, staged_fingerprint = NULL WHERE pipeline = $1`,
        [this.layout.pipeline],
      );
    });
  }

  /** Drops the table, its staging table and its state: the next run imports everything again. */
  async rebuild(): Promise<void> {
    await this.session.transaction(async () => {
      await this.session.run(`DROP TABLE IF EXISTS ${qualified(this.staging)}`);
      await this.session.run(`DROP TABLE IF EXISTS ${qualified(this.main)}`);
      await this.session.run(`DELETE FROM ${this.stateTable} WHERE pipeline = $1`, [
        this.layout.pipeline,
      ]);
      await this.session.run(`DELETE FROM ${this.versionsTable} WHERE pipeline = $1`, [
        this.layout.pipeline,
      ]);
    });
  }

  /** Loads the batch's rows, and its kept keys when there are any; returns how many of those. */
  private async fillBatch(batch: StagedBatch): Promise<number> {
    // TRUNCATE, not DELETE: PostgreSQL never vacuums temporary tables, so deleted rows would pile up.
    await this.session.run(`TRUNCATE ${qualified(this.batch)}`);
    await this.session.load(
      this.batch,
      this.layout.columns,
      batch.rows.map((row) => row.cells),
    );
    const kept = [...batch.kept].map((key) => [key]);
    if (kept.length > 0) {
      await this.session.run(`TRUNCATE ${qualified(this.kept)}`);
      await this.session.load(this.kept, KEPT_COLUMNS, kept);
    }
    return kept.length;
  }

  /**
   * The table's rows of skipped customers join staging, unless the import sent them after all.
   * (Keyed by id alone: tables of connected accounts are never staged, see PipelineWriter.)
   */
  private async carryOverKept(): Promise<void> {
    const { layout } = this;
    const pk = quote(layout.primaryKey);
    const staging = qualified(this.staging);
    await this.session.run(
      `INSERT INTO ${staging} (${columnList(layout.columns)})
       SELECT ${columnList(layout.columns, 't.')} FROM ${qualified(this.main)} AS t JOIN ${qualified(this.kept)} AS k ON t.${pk} = k.${quote(KEPT_KEY)}
       WHERE NOT EXISTS (SELECT 1 FROM ${staging} AS s WHERE ${this.sameKey('s', 't')})`,
    );
  }

  /** SQL: the rows `a` and `b` (aliases or tables) have the same key. */
  private sameKey(a: string, b: string): string {
    return this.layout.key.map((name) => `${a}.${quote(name)} = ${b}.${quote(name)}`).join(' AND ');
  }

  /**
   * With connected accounts: deletes (or, with soft deletes, marks deleted) the rows of an account
   * no longer read (`on_account_removed: delete`), in a transaction of its own. Its state still
   * holds the account until the next checkpoint, so a run killed in between deletes them again.
   */
  async deleteAccountRows(account: string): Promise<number> {
    const { layout } = this;
    if (!layout.accountColumn) throw new Error('the table holds one account: no account column');
    const target = qualified(this.main);
    const flag = quote(layout.deletedFlag);
    const ofAccount = `${quote(layout.accountColumn)} = $1`;
    return this.session.transaction(async () => {
      if (!this.softDelete)
        return this.session.run(`DELETE FROM ${target} WHERE ${ofAccount}`, [account]);
      const now = Math.floor(Date.now() / 1000);
      return this.session.run(
        `UPDATE ${target} SET ${flag} = TRUE, ${quote(layout.deletedAt)} = CAST($2 AS ${this.timestampType()}), ${quote(layout.cursor)} = $3
         WHERE ${ofAccount} AND ${flag} IS NOT TRUE`,
        [account, isoFromSeconds(now), now],
      );
    });
  }

  private async recreateStaging(): Promise<void> {
    await this.session.run(`DROP TABLE IF EXISTS ${qualified(this.staging)}`);
    await this.session.run(this.createTable(this.staging, this.dialect.indexesStaging));
  }

  /**
   * The batch's live rows into staging. A resumed import may send a customer again: the latest
   * copy wins. (Joins, not `IN (subquery)`: both databases then use the key instead of scanning.)
   */
  private async stageBatch(): Promise<void> {
    const { layout } = this;
    const target = qualified(this.staging);
    const batch = `${qualified(this.batch)} AS b`;
    await this.session.run(
      `DELETE FROM ${target} USING ${batch} WHERE ${this.sameKey(target, 'b')}`,
    );
    await this.session.run(
      `INSERT INTO ${target} (${columnList(layout.columns)}) SELECT ${columnList(layout.columns, 'b.')} FROM ${batch} WHERE b.${quote(layout.deletedFlag)} IS NOT TRUE`,
    );
  }

  /**
   * Applies the batch to the pipeline's table: deletions remove their rows, live rows update
   * theirs or are inserted. With soft deletes on, a deletion marks the row instead: the
   * tombstone's fields (deleted flag, `_ab_cdc_deleted_at`, cursor) are written over it.
   */
  private async applyBatch(): Promise<WriteCounts> {
    const { layout } = this;
    const target = qualified(this.main);
    const batch = `${qualified(this.batch)} AS b`;
    const flag = quote(layout.deletedFlag);
    const sameKey = this.sameKey(target, 'b');
    const columns = columnList(layout.columns);
    const values = columnList(layout.columns, 'b.');
    const others = layout.columns.filter((column) => !layout.key.includes(column.name));
    let deleted: number;
    if (this.softDelete) {
      const tombstone = others.map(
        (column) =>
          `${quote(column.name)} = COALESCE(b.${quote(column.name)}, ${target}.${quote(column.name)})`,
      );
      deleted = await this.session.run(
        `UPDATE ${target} SET ${tombstone.join(', ')} FROM ${batch} WHERE ${sameKey} AND b.${flag} IS TRUE AND ${target}.${flag} IS NOT TRUE`,
      );
    } else {
      deleted = await this.session.run(
        `DELETE FROM ${target} USING ${batch} WHERE ${sameKey} AND b.${flag} IS TRUE`,
      );
    }
    // Only rows whose content changed are rewritten (and counted): a change Stripe reports for a
    // field the table does not hold, or a change read twice, leaves the row as it is.
    const sets = others.map((column) => `${quote(column.name)} = b.${quote(column.name)}`);
    const updated = await this.session.run(
      `UPDATE ${target} SET ${sets.join(', ')} FROM ${batch} WHERE ${sameKey} AND b.${flag} IS NOT TRUE AND (${this.differs(target, 'b')})`,
    );
    const inserted = await this.session.run(
      `INSERT INTO ${target} (${columns}) SELECT ${values} FROM ${batch}
       WHERE b.${flag} IS NOT TRUE AND NOT EXISTS (SELECT 1 FROM ${target} AS t WHERE ${this.sameKey('t', 'b')})`,
    );
    return { inserted, updated, deleted };
  }

  private async mergeStaging(): Promise<WriteCounts> {
    const { layout } = this;
    const target = qualified(this.main);
    const staging = qualified(this.staging);
    const flag = quote(layout.deletedFlag);
    const vanished = `NOT EXISTS (SELECT 1 FROM ${staging} AS s WHERE ${this.sameKey('s', target)})`;
    let deleted: number;
    if (this.softDelete) {
      const now = Math.floor(Date.now() / 1000);
      deleted = await this.session.run(
        `UPDATE ${target} SET ${flag} = TRUE, ${quote(layout.deletedAt)} = CAST($1 AS ${this.timestampType()}), ${quote(layout.cursor)} = $2
         WHERE ${target}.${flag} IS NOT TRUE AND ${vanished}`,
        [isoFromSeconds(now), now],
      );
    } else {
      deleted = await this.session.run(`DELETE FROM ${target} WHERE ${vanished}`);
    }
    const sets = layout.columns
      .filter((column) => !layout.key.includes(column.name))
      .map((column) => `${quote(column.name)} = s.${quote(column.name)}`);
    const updated = await this.session.run(
      `UPDATE ${target} SET ${sets.join(', ')} FROM ${staging} AS s WHERE ${this.sameKey(target, 's')} AND (${this.differs(target, 's')})`,
    );
    const columns = columnList(layout.columns);
    const inserted = await this.session.run(
      `INSERT INTO ${target} (${columns}) SELECT ${columnList(layout.columns, 's.')} FROM ${staging} AS s
       WHERE NOT EXISTS (SELECT 1 FROM ${target} AS t WHERE ${this.sameKey('t', 's')})`,
    );
    return { inserted, updated, deleted };
  }

  /** SQL: the row of `target` differs from the row of `source` in anything but key and cursor. */
  private differs(target: string, source: string): string {
    return comparedColumns(this.layout)
      .map(
        (column) =>
          `${target}.${quote(column.name)} IS DISTINCT FROM ${source}.${quote(column.name)}`,
      )
      .join(' OR ');
  }

  private async saveState(state: unknown): Promise<void> {
    await this.session.run(
      `INSERT INTO ${this.stateTable} (pipeline, state, staged_state, staged_fingerprint, updated_at) VALUES ($1, CAST($2 AS ${this.jsonType()}), NULL, NULL, CAST($3 AS ${this.timestampType()}))
       ON CONFLICT (pipeline) DO UPDATE SET state = excluded.state, staged_state = NULL, staged_fingerprint = NULL, updated_at = excluded.updated_at`,
      [this.layout.pipeline, JSON.stringify(state), new Date().toISOString()],
    );
  }

  private jsonType(): string {
    return this.dialect.typeName({ type: 'json' });
  }

  private timestampType(): string {
    return this.dialect.typeName({ type: 'timestamptz' });
  }
}

function sameType(current: string | undefined, wanted: string): boolean {
  return current !== undefined && current.toLowerCase() === wanted.toLowerCase();
}

function parseJson(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? JSON.parse(value) : value;
}
