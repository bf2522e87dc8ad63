import type { ReadSettings } from '../config/config';
import type { ConnectorError } from '../errors';
import { isoFromSeconds } from '../util/unix-time';
import type { StripePort } from '../stripe/port';
import { collectCustomerChanges, type CustomerChange } from '../stripe/customer-changes';
import { OPEN_END, readCustomerSlices, type SlicePage } from '../stripe/customer-slices';
import { searchPages, startSearch } from '../stripe/customer-search';
import { isWellFormedCustomer, type StripeCustomer } from '../stripe/customer-schema';
import { pipelineSelection } from './selection';
import type { PipelineDefinition, SyncMode } from './definition';
import { deletionRecord, type OutputRecord } from './records';
import { shapeCustomers, type ShapeResult, type SkippedCustomer } from './shape';
import { eventsAlreadyReflected } from './overlap';
import { SeenEvents } from './seen-events';
import {
  fullImportState,
  incrementalState,
  isStateOf,
  type CreatedSlice,
  type SingleAccountState,
} from './state';

/**
 * How a record came to be emitted, from the pipeline's point of view: `listed` by an import;
 * `created` when it is new to the pipeline (created in Stripe, or it starts matching the filter);
 * `updated` when the pipeline had it and it changed; `deleted` when the pipeline must drop it
 * (deleted in Stripe, or it stops matching the filter). n8n items carry it, Airbyte ignores it.
 */
export type ChangeKind = 'listed' | 'created' | 'updated' | 'deleted';

/** What happened to the customer in Stripe, whatever it means for the pipeline. */
export type StripeChangeKind = 'created' | 'updated' | 'deleted';

export interface EmittedRecord {
  record: OutputRecord;
  change: ChangeKind;
  /** For a change read from events (not for `listed`): what Stripe's events say happened. */
  stripeChange?: StripeChangeKind;
}

/**
 * Log lines whose advice depends on the shell:
 * - `definition_changed`: the pipeline's definition changed, so a full import runs; rows the new
 *   definition leaves out stay where the destination keeps what it had (Airbyte's append/dedup).
 * - `cursor_expired`: the saved cursor is older than Stripe's 30-day event retention, so a full
 *   import runs and customers deleted during the gap cannot be seen.
 */
export type LogTopic = 'definition_changed' | 'cursor_expired';

export type PipelineEvent =
  | { kind: 'records'; items: EmittedRecord[] }
  /** Customers selected but given no record: before the checkpoint that covers them. */
  | { kind: 'skipped'; customers: SkippedCustomer[] }
  /** Everything emitted so far is covered by this state: save it, resume from it. */
  | { kind: 'checkpoint'; state: SingleAccountState }
  | { kind: 'log'; level: 'INFO' | 'WARN'; message: string; topic?: LogTopic };

export interface PipelineSummary {
  mode: 'full_import' | 'incremental';
  emitted: number;
  deletions: number;
  filteredOut: number;
  skippedByCode: number;
  failed: number;
  /** Objects from Stripe too malformed to key (no id or created); reported and left out. */
  malformed: number;
  /**
   * Incremental runs: events younger than `events_settle_seconds` left for the next run (0 when
   * there were none, or when the run did not look).
   */
  settlingEvents: number;
  /**
   * With connected accounts: how many accounts finished, which failed (each alone, the others ran
   * on) and which are no longer read.
   */
  accounts?: {
    finished: number;
    failed: Array<{ account: string; error: ConnectorError }>;
    removed: string[];
  };
}

export interface PipelineRunOptions {
  api: StripePort;
  /** full_refresh: always the whole list. incremental: changes since `state`. */
  syncMode: SyncMode;
  state: SingleAccountState | undefined;
  /** Identifies the pipeline's definition; a state written under another one is not trusted. */
  fingerprint: string;
  /** What earlier versions wrote for the same definition: states under these are trusted too. */
  formerFingerprints?: readonly string[];
  settings: ReadSettings;
  /** Stop after this many records (n8n's limit); the checkpoint then is not advanced past them. */
  limit?: number;
}

/**
 * One pipeline's run: decide between a full import and reading changes, then source → filter →
 * transform → validate → records, with checkpoints along the way. The caller writes what it
 * yields in order; a run killed at any point resumes from the last checkpoint without gaps.
 */
/** A summary before anything was counted. */
export function emptySummary(mode: PipelineSummary['mode']): PipelineSummary {
  return {
    mode,
    emitted: 0,
    deletions: 0,
    filteredOut: 0,
    skippedByCode: 0,
    failed: 0,
    malformed: 0,
    settlingEvents: 0,
  };
}

export async function* runPipeline(
  pipeline: PipelineDefinition,
  options: PipelineRunOptions,
): AsyncGenerator<PipelineEvent, PipelineSummary> {
  const summary = emptySummary('full_import');
  const { state } = options;
  const trusted = state && isStateOf(state, options.fingerprint, options.formerFingerprints);
  if (state && !trusted) {
    yield log(
      'WARN',
      pipeline,
      "its definition (filter, transformation, start_date or, with a transformation, the Customer Model's columns) changed since the last run, so every customer is imported again to match it. " +
        'This import does not delete what was imported before for customers the new definition leaves out.',
      'definition_changed',
    );
  }
  if (trusted && state.phase === 'full_import') {
    yield log(
      'INFO',
      pipeline,
      `resuming the full import (${state.remaining.length} created-range slice(s) left).`,
    );
    yield* fullImport(pipeline, options, summary, state);
    return summary;
  }
  if (options.syncMode === 'incremental' && trusted && state.phase === 'incremental') {
    const outcome = yield* readChanges(pipeline, options, summary, state);
    if (outcome !== 'expired') return summary;
  } else {
    yield log(
      'INFO',
      pipeline,
      options.syncMode === 'incremental'
        ? 'no saved state: full import first, then changes from the moment it began.'
        : 'full refresh: importing every customer.',
    );
  }
  yield* fullImport(pipeline, options, summary, undefined);
  return summary;
}

async function* fullImport(
  pipeline: PipelineDefinition,
  options: PipelineRunOptions,
  summary: PipelineSummary,
  resumed: Extract<SingleAccountState, { phase: 'full_import' }> | undefined,
): AsyncGenerator<PipelineEvent> {
  summary.mode = 'full_import';
  const { settings } = options;
  const { pushDown } = pipeline.selector;
  const range: CreatedSlice = [pushDown.created?.gte ?? 0, pushDown.created?.lte ?? OPEN_END];
  let eventsCursor = resumed?.events_cursor;
  let seen = SeenEvents.from(resumed?.seen_events);
  let pages: AsyncIterable<SlicePage> | undefined;
  if (!resumed && settings.useSearchApi && pushDown.searchQuery) {
    const search = await startSearch(options.api, pushDown.searchQuery);
    if (search.kind === 'unavailable') {
      yield log(
        'WARN',
        pipeline,
        `the Search API is not available (${search.reason}); listing customers instead.`,
      );
    } else {
      yield log('INFO', pipeline, `reading through the Search API: ${pushDown.searchQuery}`);
      // Search can be far behind writes (up to an hour during Stripe incidents): change tracking
      // starts that much earlier, so whatever it missed or returned stale is read from events.
      eventsCursor = search.first.serverTime - settings.settleSeconds - settings.searchLagSeconds;
      pages = searchPages(options.api, pushDown.searchQuery, search.first, range);
    }
  }
  // Older customers may also be read through Search, at the same time as the list (each endpoint
  // has its own rate limit); not for a one-email list, which is a page at most.
  const searchHorizon =
    !pages && settings.fullImportEndpoints === 'list_and_search' && !pushDown.email
      ? settings.searchHorizonSeconds
      : undefined;
  const searchProblems: string[] = [];
  const slices = resumed?.remaining ?? [range];
  pages ??= readCustomerSlices(options.api, slices, {
    concurrency: settings.concurrency,
    email: pushDown.email,
    ...(searchHorizon !== undefined
      ? {
          search: {
            settledBefore: (serverTime: number) => serverTime - searchHorizon,
            onUnavailable: (reason: string) => searchProblems.push(reason),
          },
        }
      : {}),
  });
  let started = false;
  for await (const page of pages) {
    if (!started) {
      started = true;
      // Changes from the moment the import began are read by the next run. When Search may read
      // part of it, from well before: Search lags behind writes (up to an hour during Stripe
      // incidents), and every customer written since is then read again from events.
      const importStart = page.serverTime - settings.settleSeconds;
      const oldest = Math.min(...slices.map(([gte]) => gte));
      const searchMayRead = searchHorizon !== undefined && oldest < page.serverTime - searchHorizon;
      const from = searchMayRead
        ? importStart - Math.max(searchHorizon, settings.searchLagSeconds)
        : importStart;
      eventsCursor = Math.min(eventsCursor ?? from, from);
      // The events just before the cursor are already in what is read now: the next run's
      // overlap skips them.
      if (options.syncMode === 'incremental' && !resumed) {
        seen = await eventsAlreadyReflected(options.api, eventsCursor, settings.overlapSeconds);
      }
    }
    eventsCursor ??= page.serverTime - settings.settleSeconds;
    for (const reason of searchProblems.splice(0)) {
      yield log(
        'WARN',
        pipeline,
        `the Search API is not available (${reason}); reading the rest through the customers list alone.`,
      );
    }
    if (page.malformed > 0) {
      summary.malformed += page.malformed;
      yield log(
        'WARN',
        pipeline,
        `Stripe returned ${page.malformed} object(s) without a string id or an integer created time; they were left out.`,
      );
    }
    const selected = page.customers.filter((customer) => {
      const keep = pipelineSelection(pipeline).matches(customer);
      if (!keep) summary.filteredOut++;
      return keep;
    });
    // Listed records carry the import's events cursor as their version: it is at or before every
    // event the next run reads, so a later change or deletion always outranks them.
    const version = eventsCursor;
    const shaped = await shapeCustomers(pipeline, selected, () => version);
    const items = shaped.records.map((record) => ({ record, change: 'listed' as const }));
    yield* report(pipeline, summary, shaped, items);
    if (options.limit !== undefined && summary.emitted >= options.limit) return;
    yield checkpoint(
      fullImportState(
        eventsCursor,
        page.remaining,
        seen,
        settings.overlapSeconds,
        options.fingerprint,
      ),
    );
  }
  for (const reason of searchProblems.splice(0)) {
    yield log('WARN', pipeline, `the Search API is not available (${reason}).`);
  }
  // Only an empty account gets here without a page's clock: start change tracking from now.
  const cursor = eventsCursor ?? Math.floor(Date.now() / 1000) - settings.settleSeconds;
  yield checkpoint(incrementalState(cursor, seen, settings.overlapSeconds, options.fingerprint));
  yield log('INFO', pipeline, `full import done: ${describe(summary)}.`);
}

const CHANGE_BATCH = 100;

function checkpoint(state: SingleAccountState): PipelineEvent {
  return { kind: 'checkpoint', state };
}

async function* readChanges(
  pipeline: PipelineDefinition,
  options: PipelineRunOptions,
  summary: PipelineSummary,
  state: Extract<SingleAccountState, { phase: 'incremental' }>,
): AsyncGenerator<PipelineEvent, 'done' | 'expired'> {
  summary.mode = 'incremental';
  const { selector } = pipeline;
  const { settings, fingerprint } = options;
  const cursor = state.events_cursor;
  const seen = SeenEvents.from(state.seen_events);
  const collected = await collectCustomerChanges(
    options.api,
    {
      cursor,
      lookbackSeconds: settings.lookbackSeconds,
      settleSeconds: settings.settleSeconds,
      overlapSeconds: settings.overlapSeconds,
      seen,
    },
    pipelineSelection(pipeline),
  );
  if (collected.kind === 'expired') {
    yield log(
      'WARN',
      pipeline,
      `the saved cursor (${iso(cursor)}) is older than Stripe's 30-day event retention ` +
        `(Stripe's clock: ${iso(collected.serverTime)}), so changes may have been purged: ` +
        'running a full import instead. It cannot see the customers deleted during the gap (Stripe lists only live customers), so what was imported for them stays. ' +
        'Sync at least every few weeks to stay incremental.',
      'cursor_expired',
    );
    return 'expired';
  }
  if (collected.kind === 'future') {
    yield log(
      'WARN',
      pipeline,
      `the saved cursor (${iso(cursor)}) is ahead of Stripe's clock (${iso(collected.serverTime)}); nothing to read. If this state was edited by hand, clear it to start again with a full import.`,
    );
    yield checkpoint(state);
    return 'done';
  }
  const { until } = collected;
  summary.settlingEvents = collected.settling;
  yield log('INFO', pipeline, `reading changes from ${iso(cursor)} to ${iso(until)}.`);
  if (selector.relativeDates) {
    yield log(
      'WARN',
      pipeline,
      'its filter has a relative date ("30 days ago", "today"), resolved afresh each run. A customer that crosses that boundary only because time passed has no Stripe event, so incremental runs neither import nor delete it. Use an absolute date, or a full refresh, for such filters.',
    );
  }
  let saved = cursor;
  // The first event of a change that could not be emitted (a damaged retrieve): no checkpoint
  // passes it, so the next run tries that change again.
  let heldAt = Infinity;
  /** A checkpoint only when it moves forward: a run stopped at one always makes progress. */
  const advanceTo = (eventsCursor: number): PipelineEvent | undefined => {
    const target = Math.max(cursor, Math.min(eventsCursor, heldAt));
    if (target <= saved) return undefined;
    saved = target;
    return checkpoint(incrementalState(saved, seen, settings.overlapSeconds, fingerprint));
  };
  for await (const window of collected.windows) {
    const { changes } = window;
    const repeats = window.alreadyProcessed
      ? `; ${window.alreadyProcessed} event(s) of the overlap were processed by an earlier run`
      : '';
    yield log(
      'INFO',
      pipeline,
      `${changes.length} customer(s) changed from ${iso(window.from)} to ${iso(window.until)} (${window.pages} page(s) of events${repeats}).`,
    );
    if (window.malformed > 0) {
      summary.malformed += window.malformed;
      yield log(
        'WARN',
        pipeline,
        `${window.malformed} event(s) were malformed (not an event, or a customer without a string id or an integer created time); they were left out.`,
      );
    }
    for (let offset = 0; offset < changes.length; offset += CHANGE_BATCH) {
      const batch = changes.slice(offset, offset + CHANGE_BATCH);
      const outcome = yield* emitChanges(pipeline, options, summary, batch);
      heldAt = Math.min(heldAt, outcome.heldAt);
      for (const change of outcome.emitted) for (const event of change.events) seen.add(event);
      if (options.limit !== undefined && summary.emitted >= options.limit && outcome.items > 0) {
        return 'done';
      }
      const next = changes[offset + CHANGE_BATCH];
      if (!next) break;
      // A resumed run must read every event of the changes still to emit, their first included.
      const checkpoint = advanceTo(next.firstEventAt);
      if (checkpoint) yield checkpoint;
    }
    const checkpoint = advanceTo(window.until);
    if (checkpoint) yield checkpoint;
  }
  // The cursor could not move: the state is handed back with what was processed, so the
  // platform still gets a STATE.
  if (saved === cursor)
    yield checkpoint(incrementalState(cursor, seen, settings.overlapSeconds, fingerprint));
  yield log('INFO', pipeline, `changes read: ${describe(summary)}.`);
  return 'done';
}

/** A damaged answer is asked again once before the change is held back for the next run. */
const RETRIEVE_ATTEMPTS = 2;

/**
 * Resolves each change to the customer's current state and emits records or deletions. Returns
 * how many items it emitted and the first event time of any change it had to hold back.
 */
async function* emitChanges(
  pipeline: PipelineDefinition,
  options: PipelineRunOptions,
  summary: PipelineSummary,
  batch: CustomerChange[],
): AsyncGenerator<PipelineEvent, { items: number; heldAt: number; emitted: CustomerChange[] }> {
  const current = await Promise.all(
    batch.map(async (change): Promise<StripeCustomer | undefined | 'malformed'> => {
      if (change.deleted) return undefined;
      if (change.latest) return change.latest;
      for (let attempt = 0; attempt < RETRIEVE_ATTEMPTS; attempt++) {
        const { customer } = await options.api.retrieveCustomer(change.id);
        if ('deleted' in customer && customer.deleted) return undefined;
        if (isWellFormedCustomer(customer) && customer.id === change.id) return customer;
      }
      return 'malformed';
    }),
  );
  const malformed = batch.filter((_, index) => current[index] === 'malformed');
  if (malformed.length > 0) {
    summary.malformed += malformed.length;
    yield log(
      'WARN',
      pipeline,
      `Stripe answered retrieves of ${malformed.map((change) => change.id).join(', ')} with an object lacking its id or an integer created time, twice; held back: the next run tries again (the saved cursor stays before their events).`,
    );
  }
  // Every record of a change carries its latest event time as its version: never later than an
  // event the next run reads (so a later deletion outranks a re-fetch that raced it), and later
  // than whatever was emitted for the customer before.
  const versionOf = new Map(batch.map((change) => [change.id, change.lastEventAt]));
  const deletions: EmittedRecord[] = [];
  const toShape: StripeCustomer[] = [];
  batch.forEach((change, index) => {
    const customer = current[index];
    if (customer === 'malformed') return;
    if (customer && pipelineSelection(pipeline).matches(customer)) {
      toShape.push(customer);
    } else if (change.everSelected) {
      // Deleted in Stripe, or no longer matching the filter: the warehouse must drop it.
      deletions.push({
        record: deletionRecord(pipeline.layout, change.id, change.lastEventAt, pipeline.account),
        change: 'deleted',
        stripeChange: stripeChangeOf(change),
      });
    } else {
      summary.filteredOut++;
    }
  });
  const shaped = await shapeCustomers(
    pipeline,
    toShape,
    (customer) => versionOf.get(customer.id) ?? 0,
  );
  const byId = new Map(batch.map((change) => [change.id, change]));
  const items: EmittedRecord[] = shaped.records.map((record) => {
    const change = byId.get(String(record[pipeline.layout.primaryKey]));
    // New to the pipeline: created in Stripe, or not selected before (it starts matching).
    const isNew = !change || change.createdInWindow || !change.selectedBefore;
    return {
      record,
      change: isNew ? 'created' : 'updated',
      ...(change ? { stripeChange: stripeChangeOf(change) } : {}),
    };
  });
  summary.deletions += deletions.length;
  yield* report(pipeline, summary, shaped, [...items, ...deletions]);
  return {
    items: items.length + deletions.length,
    heldAt: Math.min(Infinity, ...malformed.map((change) => change.firstEventAt)),
    emitted: batch.filter((_, index) => current[index] !== 'malformed'),
  };
}

function stripeChangeOf(change: CustomerChange): StripeChangeKind {
  if (change.deleted) return 'deleted';
  return change.createdInWindow ? 'created' : 'updated';
}

async function* report(
  pipeline: PipelineDefinition,
  summary: PipelineSummary,
  shaped: ShapeResult,
  items: EmittedRecord[],
): AsyncGenerator<PipelineEvent> {
  for (const { cause } of shaped.skipped) {
    if (cause === 'transformation') summary.skippedByCode++;
    else summary.failed++;
  }
  summary.emitted += items.length;
  if (items.length > 0) yield { kind: 'records', items };
  if (shaped.skipped.length > 0) yield { kind: 'skipped', customers: shaped.skipped };
}

function log(
  level: 'INFO' | 'WARN',
  pipeline: PipelineDefinition,
  message: string,
  topic?: LogTopic,
): PipelineEvent {
  return {
    kind: 'log',
    level,
    message:
      pipeline.account === undefined
        ? `Pipeline "${pipeline.name}": ${message}`
        : `Pipeline "${pipeline.name}", account ${pipeline.account}: ${message}`,
    ...(topic ? { topic } : {}),
  };
}

function describe(summary: PipelineSummary): string {
  const parts = [`${summary.emitted} record(s) emitted`];
  if (summary.deletions) parts.push(`${summary.deletions} of them deletions`);
  if (summary.filteredOut) parts.push(`${summary.filteredOut} customer(s) left out by the filter`);
  if (summary.skippedByCode) parts.push(`${summary.skippedByCode} skipped by the transformation`);
  if (summary.failed) parts.push(`${summary.failed} skipped after errors (on_error: skip)`);
  if (summary.settlingEvents) {
    parts.push(
      `${summary.settlingEvents} event(s) younger than events_settle_seconds left for the next run`,
    );
  }
  return parts.join(', ');
}

const iso = isoFromSeconds;
