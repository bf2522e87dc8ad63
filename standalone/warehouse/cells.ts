import type { Column, ColumnKind, TableLayout } from './layout';

/**
 * A value ready for a column: text, a number or a boolean, or null. JSON columns hold their JSON
 * text, so each dialect can pass it on without serializing twice.
 */
export type Cell = string | number | boolean | null;

/** One record as the table's columns, in order, with what the pipeline said about it. */
export interface Row {
  key: string;
  cells: Cell[];
  /** A deletion (Stripe deleted the customer, or it left the filter). */
  deleted: boolean;
}

/** What had to be altered so a record could be stored, counted per batch for one warning. */
export interface Alterations {
  /** Values that did not fit their column's type, kept in the extra JSON column instead. */
  misfits: number;
  /** Text with characters the warehouse cannot store (lone UTF-16 surrogates, NUL in PostgreSQL). */
  replacedCharacters: number;
}

export interface CellOptions {
  /** PostgreSQL cannot store U+0000 in text or JSON; DuckDB can. */
  allowsNul: boolean;
}

const UNFIT = Symbol('unfit');

/**
 * Turns records into the table's rows. A value of another type than its column (possible only in
 * open schemas: Stripe may send what its schema does not say) and keys without a column go to the
 * extra JSON column; nothing is dropped. Text is made storable: UTF-8 cannot carry a lone UTF-16
 * surrogate, and PostgreSQL refuses U+0000; both become U+FFFD, and are counted.
 */
export function rowEncoder(
  layout: TableLayout,
  options: CellOptions,
): (record: Record<string, unknown>, alterations: Alterations) => Row {
  const columnNames = new Set(layout.columns.map((column: Column) => column.name));
  const extraIndex = layout.columns.findIndex((column) => column.name === layout.extra);
  return (record, alterations) => {
    const text = (value: string): string => storableText(value, options, alterations);
    const extra: Record<string, unknown> = {};
    let misfit = false;
    const cells: Cell[] = layout.columns.map((column, index) => {
      if (index === extraIndex) return null;
      const value = record[column.name];
      const cell = toCell(column.kind, value, text, options, alterations);
      if (cell !== UNFIT) return cell;
      alterations.misfits++;
      misfit = true;
      extra[column.name] = value;
      return null;
    });
    if (extraIndex >= 0) {
      for (const key in record) {
        if (!columnNames.has(key)) {
          extra[key] = record[key];
          misfit = true;
        }
      }
      if (misfit) cells[extraIndex] = jsonText(extra, options, alterations);
    }
    return {
      // With connected accounts the account and the id: the same id may recur across accounts.
      key:
        layout.key.length === 1
          ? String(record[layout.primaryKey])
          : JSON.stringify(layout.key.map((name) => record[name])),
      cells,
      deleted: record[layout.deletedFlag] === true,
    };
  };
}

const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toCell(
  kind: ColumnKind,
  value: unknown,
  text: (value: string) => string,
  options: CellOptions,
  alterations: Alterations,
): Cell | typeof UNFIT {
  if (value === null || value === undefined) return null;
  switch (kind.type) {
    case 'text':
      return typeof value === 'string' ? text(value) : UNFIT;
    case 'bigint':
      return Number.isSafeInteger(value) ? (value as number) : UNFIT;
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? value : UNFIT;
    case 'decimal':
      return typeof value === 'number' &&
        Number.isFinite(value) &&
        Math.abs(value) < 10 ** (kind.precision - kind.scale)
        ? value
        : UNFIT;
    case 'boolean':
      return typeof value === 'boolean' ? value : UNFIT;
    case 'timestamptz':
      return typeof value === 'string' && ISO_DATE_TIME.test(value) && !isNaN(Date.parse(value))
        ? value
        : UNFIT;
    case 'date':
      return typeof value === 'string' && ISO_DATE.test(value) ? value : UNFIT;
    case 'time':
      return typeof value === 'string' && ISO_TIME.test(value) ? value : UNFIT;
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? value : UNFIT;
    case 'json':
      return jsonText(value, options, alterations);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// What JSON.stringify writes for them (it escapes lone surrogates and control characters).
const ESCAPED_UNSTORABLE = /\\u(0000|d[89a-f][0-9a-f]{2})/i;

function storableText(value: string, options: CellOptions, alterations: Alterations): string {
  let result = value.replace(LONE_SURROGATE, '\uFFFD');
  if (!options.allowsNul) result = result.replace(/\u0000/g, '\uFFFD');
  if (result !== value) alterations.replacedCharacters++;
  return result;
}

/** JSON text of a value; the rare value with unstorable characters is cleaned first. */
function jsonText(value: unknown, options: CellOptions, alterations: Alterations): string {
  const json = JSON.stringify(value);
  // The fast check can match an escaped backslash followed by "u0000"; cleaning is then a no-op.
  if (!ESCAPED_UNSTORABLE.test(json)) return json;
  return JSON.stringify(clean(value, (text) => storableText(text, options, alterations)));
}

function clean(value: unknown, text: (value: string) => string): unknown {
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) return value.map((item) => clean(item, text));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [text(key), clean(item, text)]),
    );
  }
  return value;
}
