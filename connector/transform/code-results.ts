/** Shared handling of what the code sandboxes (JavaScript and Python) hand back. */
import type { TransformOutcome, Transformer } from './types';

const MAX_MESSAGE = 500;

export const clip = (message: string): string =>
  message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message;

/**
 * Parses a sandbox's batch output: a JSON array with one entry per customer, each
 * `{"r": {...}}` (record), `{"s": 1}` (skip) or `{"e": "message"}` (error). Anything else is
 * reported as an error for that customer rather than trusted.
 */
export function parseBatchOutput(json: string, expected: number): TransformOutcome[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== expected) return undefined;
  return parsed.map((entry): TransformOutcome => {
    if (typeof entry === 'object' && entry !== null) {
      const e = entry as Record<string, unknown>;
      if (Object.prototype.hasOwnProperty.call(e, 'r')) {
        const record = e.r;
        if (typeof record === 'object' && record !== null && !Array.isArray(record)) {
          if (Object.prototype.hasOwnProperty.call(record, '__proto__')) {
            return {
              kind: 'error',
              message: 'the returned object has a "__proto__" key, which is not allowed',
            };
          }
          return { kind: 'record', record: record as Record<string, unknown> };
        }
      } else if (e.s === 1) {
        return { kind: 'skip' };
      } else if (typeof e.e === 'string') {
        return { kind: 'error', message: clip(e.e) };
      }
    }
    return {
      kind: 'error',
      message: 'the sandbox returned an unexpected result for this customer',
    };
  });
}

const LISTED_NAMES = 10;

function quoted(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_NAMES).map((name) => JSON.stringify(name));
  if (names.length > LISTED_NAMES) shown.push(`and ${names.length - LISTED_NAMES} more`);
  return shown.join(', ');
}

/**
 * Why a record from code does not have exactly the Customer Model's columns, or undefined when
 * it does. Both directions are the same mistake (the code and the model disagree), so both stop
 * the customer alike; a missing column is not quietly made null, since a typo in a key would
 * otherwise empty a column for every customer. (A mapping is not affected: it names its columns
 * in the config, and unmapped ones are null by design.)
 */
export function columnMismatch(
  record: Record<string, unknown>,
  columns: readonly string[],
): string | undefined {
  const wanted = new Set(columns);
  const missing = columns.filter((column) => !Object.prototype.hasOwnProperty.call(record, column));
  const extra = Object.keys(record).filter((key) => !wanted.has(key));
  const problems: string[] = [];
  if (missing.length > 0) {
    const them = missing.length === 1 ? 'it' : 'them';
    problems.push(
      `it returned no ${quoted(missing)} (return every column of the Customer Model, null for no value, or remove ${them} from the Customer Model)`,
    );
  }
  if (extra.length > 0) {
    const one = extra.length === 1;
    problems.push(
      `it returned ${quoted(extra)}, which ${one ? 'is not a column' : 'are not columns'} of the Customer Model (add ${one ? 'it' : 'them'} to the Customer Model or stop returning ${one ? 'it' : 'them'})`,
    );
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * A code transformer whose records must have exactly `columns` (the Customer Model's); a record
 * that does not becomes an error for that customer, which the pipeline's `on_error` handles.
 * Without a model, code may return any keys.
 */
export function requireColumns(
  transformer: Transformer,
  columns: readonly string[] | undefined,
): Transformer {
  if (columns === undefined) return transformer;
  return {
    transformBatch: async (customers) =>
      (await transformer.transformBatch(customers)).map((outcome): TransformOutcome => {
        if (outcome.kind !== 'record') return outcome;
        const mismatch = columnMismatch(outcome.record, columns);
        return mismatch === undefined ? outcome : { kind: 'error', message: mismatch };
      }),
    close: () => transformer.close(),
  };
}
