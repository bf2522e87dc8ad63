import { ConfigError } from '../errors';
import type { CreatedSlice } from '../stripe/customer-slices';
import { isSavedSeenEvents, type SavedSeenEvents, type SeenEvents } from './seen-events';

export type { CreatedSlice };

/**
 * What a pipeline remembers between runs. Two phases, so a half-done state cannot be mistaken
 * for a finished one:
 * - `full_import`: listing customers; `remaining` are the created-slices not yet emitted, and
 *   `events_cursor` is where change tracking starts once they are done (the moment the import
 *   began, so changes made during a long import are caught by the next run).
 * - `incremental`: every change with an event before `events_cursor` has been emitted.
 * Cursors are inclusive lower bounds: a resumed run may repeat a few records, never skip one.
 * `seen_events` are the events already processed within the overlap before the cursor (and
 * after it, for a resumed run): the next run re-reads that overlap for late-listed events and
 * skips these. `fingerprint` identifies the pipeline's filter and transformation: when they
 * change, the warehouse's copy no longer reflects them and the pipeline imports everything again.
 */
export type SingleAccountState =
  | {
      version: 1;
      phase: 'full_import';
      events_cursor: number;
      remaining: CreatedSlice[];
      seen_events?: SavedSeenEvents;
      fingerprint?: string;
    }
  | {
      version: 1;
      phase: 'incremental';
      events_cursor: number;
      seen_events?: SavedSeenEvents;
      fingerprint?: string;
    };

/**
 * With connected accounts (`connected_accounts`): each account's own state, by account id (the
 * platform's own as `platform`), each exactly the state one account's pipeline keeps. An account
 * absent here gets its full import; one here no longer read is removed (or now another shard's).
 * `fingerprint`: the definition's, as in each account's state.
 */
export type AccountsState = {
  version: 1;
  phase: 'accounts';
  accounts: Record<string, SingleAccountState>;
  fingerprint?: string;
};

/** What a pipeline remembers between runs: one account's state, or each account's. */
export type PipelineState = SingleAccountState | AccountsState;

/** Every change with an event before `eventsCursor` has been emitted. */
export function incrementalState(
  eventsCursor: number,
  seen: SeenEvents,
  overlapSeconds: number,
  fingerprint: string,
): SingleAccountState {
  return {
    version: 1,
    phase: 'incremental',
    events_cursor: eventsCursor,
    seen_events: seen.saved(eventsCursor, overlapSeconds),
    fingerprint,
  };
}

/** A full import with `remaining` still to read; change tracking then starts at `eventsCursor`. */
export function fullImportState(
  eventsCursor: number,
  remaining: CreatedSlice[],
  seen: SeenEvents,
  overlapSeconds: number,
  fingerprint: string,
): SingleAccountState {
  const tracking = incrementalState(eventsCursor, seen, overlapSeconds, fingerprint);
  return { ...tracking, phase: 'full_import', remaining };
}

/**
 * Whether a saved state was written for the definition `fingerprint` identifies, or under one of
 * the fingerprints earlier versions gave it. A state without a fingerprint predates them all and
 * is trusted.
 */
export function isStateOf(
  state: { fingerprint?: unknown },
  fingerprint: string,
  formerFingerprints: readonly string[] = [],
): boolean {
  return (
    state.fingerprint === undefined ||
    state.fingerprint === fingerprint ||
    formerFingerprints.includes(state.fingerprint as string)
  );
}

const isUnixSeconds = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 1e11;

/**
 * Validates a state blob the platform handed back. An empty or missing blob means "no state";
 * anything else must be a shape this connector wrote, or the user hears how to reset it.
 */
export function parsePipelineState(blob: unknown, pipeline: string): PipelineState | undefined {
  if (blob === undefined || blob === null) return undefined;
  if (typeof blob !== 'object' || Array.isArray(blob))
    throw invalid(pipeline, 'it is not an object');
  const state = blob as Record<string, unknown>;
  if (Object.keys(state).length === 0) return undefined;
  if (state.phase === 'accounts') return parseAccountsState(state, pipeline);
  return parseSingleAccountState(state, pipeline);
}

function parseAccountsState(state: Record<string, unknown>, pipeline: string): AccountsState {
  if (state.version !== 1)
    throw invalid(pipeline, `unknown version ${JSON.stringify(state.version)}`);
  const { accounts } = state;
  if (typeof accounts !== 'object' || accounts === null || Array.isArray(accounts)) {
    throw invalid(pipeline, "`accounts` must be an object of each account's state");
  }
  const parsed: Record<string, SingleAccountState> = {};
  for (const [account, blob] of Object.entries(accounts)) {
    if (typeof blob !== 'object' || blob === null || Array.isArray(blob)) {
      throw invalid(pipeline, `the state of account ${account} is not an object`);
    }
    const one = parseSingleAccountState(blob as Record<string, unknown>, pipeline, account);
    if (one) parsed[account] = one;
  }
  const fingerprint = typeof state.fingerprint === 'string' ? state.fingerprint : undefined;
  return {
    version: 1,
    phase: 'accounts',
    accounts: parsed,
    ...(fingerprint ? { fingerprint } : {}),
  };
}

function parseSingleAccountState(
  state: Record<string, unknown>,
  pipeline: string,
  account?: string,
): SingleAccountState | undefined {
  const invalid = (pipelineName: string, why: string) =>
    invalidState(pipelineName, account === undefined ? why : `account ${account}: ${why}`);
  if (Object.keys(state).length === 0) return undefined;
  if (state.phase === 'accounts') throw invalid(pipeline, "an account's state holds accounts");
  if (state.version !== 1)
    throw invalid(pipeline, `unknown version ${JSON.stringify(state.version)}`);
  if (!isUnixSeconds(state.events_cursor)) {
    throw invalid(pipeline, '`events_cursor` must be a unix time in seconds');
  }
  const fingerprint = typeof state.fingerprint === 'string' ? state.fingerprint : undefined;
  if (state.seen_events !== undefined && !isSavedSeenEvents(state.seen_events)) {
    throw invalid(pipeline, '`seen_events` must be a list of [second, [keys]] pairs');
  }
  const seen = state.seen_events === undefined ? {} : { seen_events: state.seen_events };
  if (state.phase === 'incremental') {
    return {
      version: 1,
      phase: 'incremental',
      events_cursor: state.events_cursor,
      ...seen,
      fingerprint,
    };
  }
  if (state.phase === 'full_import') {
    const remaining = state.remaining;
    const valid =
      Array.isArray(remaining) &&
      remaining.every(
        (slice) =>
          Array.isArray(slice) &&
          (slice.length === 2 ||
            (slice.length === 3 && typeof slice[2] === 'string' && slice[2].length > 0)) &&
          isUnixSeconds(slice[0]) &&
          isUnixSeconds(slice[1]) &&
          slice[0] <= slice[1],
      );
    if (!valid) {
      throw invalid(pipeline, '`remaining` must be a list of [gte, lte] or [gte, lte, id] ranges');
    }
    return {
      version: 1,
      phase: 'full_import',
      events_cursor: state.events_cursor,
      remaining: (remaining as Array<[number, number, string?]>).map(([gte, lte, after]) =>
        after === undefined ? ([gte, lte] as const) : ([gte, lte, after] as const),
      ),
      ...seen,
      fingerprint,
    };
  }
  throw invalid(pipeline, `unknown phase ${JSON.stringify(state.phase)}`);
}

const invalid = (pipeline: string, why: string): ConfigError => invalidState(pipeline, why);

function invalidState(pipeline: string, why: string): ConfigError {
  return new ConfigError(
    `The saved state of pipeline "${pipeline}" is not one this connector wrote (${why}). ` +
      "Clear the pipeline's saved state to start again with a full import.",
  );
}
