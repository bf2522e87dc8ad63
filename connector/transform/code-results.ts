/** Shared handling of what the code sandboxes (JavaScript and Python) hand back. */
import type { TransformOutcome } from './types';

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
