import type { Cell } from './cells';
import type { Column, ColumnKind } from './layout';

export type SqlParam = string | number | boolean | null;

/** A table, qualified by its schema, or a temporary table of the session. */
export type TableRef = { schema: string; name: string } | { temporary: true; name: string };

/** One database session: temporary tables and transactions belong to it. */
export interface SqlSession {
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: SqlParam[]): Promise<number>;
  /** Runs a query; rows come back as plain objects (numbers, strings, booleans, parsed JSON). */
  query(sql: string, params?: SqlParam[]): Promise<Array<Record<string, unknown>>>;
  /** Bulk-loads rows (cells in `columns` order) into a table, the fastest way the driver has. */
  load(table: TableRef, columns: Column[], rows: Cell[][]): Promise<void>;
  /** Runs `work` in one transaction: all of it is committed, or none of it. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Keeps other processes from running the same pipeline at once while held (PostgreSQL advisory
   * locks; DuckDB files are locked by their one writing process anyway). False: someone has it.
   */
  tryLock(name: string): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * What a session will do: `read` sessions never write, so an embedded file may be opened
 * read-only for them (beside other processes reading it).
 */
export type Access = 'read' | 'write';

export interface SqlDatabase {
  readonly dialect: Dialect;
  session(access?: Access): Promise<SqlSession>;
  /** Releases whatever sessions are still open, and the database. */
  close(): Promise<void>;
}

export interface Dialect {
  readonly name: 'duckdb' | 'postgres';
  /** The type as the catalog reports it, so an existing column can be compared with it. */
  typeName(kind: ColumnKind): string;
  /** The columns of a table as [name, type] in the catalog's spelling; undefined: no such table. */
  tableColumns(
    session: SqlSession,
    table: { schema: string; name: string },
  ): Promise<Map<string, string> | undefined>;
  /** A SQL expression giving the unix time in milliseconds of a timestamptz expression. */
  epochMillis(expression: string): string;
  /**
   * Whether staging tables get a primary key: PostgreSQL needs it to find a resumed import's
   * repeats without scanning; DuckDB finds them faster by a hash join than it maintains the index.
   */
  readonly indexesStaging: boolean;
  /** Whether text and JSON may hold U+0000. */
  readonly allowsNul: boolean;
}

/** "name", with quotes doubled: every identifier the tool writes is quoted. */
export function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

export function qualified(table: TableRef): string {
  return 'temporary' in table ? quote(table.name) : `${quote(table.schema)}.${quote(table.name)}`;
}

export function columnList(columns: Column[], prefix = ''): string {
  return columns.map((column) => prefix + quote(column.name)).join(', ');
}

export function columnDefinitions(dialect: Dialect, columns: Column[]): string {
  return columns
    .map((column) => `${quote(column.name)} ${dialect.typeName(column.kind)}`)
    .join(', ');
}
