import type { CustomerEvent, StripeApi } from './api';
import { isWellFormedCustomer, type StripeCustomer } from './customer-schema';
import { StaleCursorError } from './errors';

/** Everything the events since the cursor say about one customer, collapsed. */
export interface CustomerChange {
  id: string;
  /**
   * Time of the customer's oldest event in the window. Changes are emitted in this order, and a
   * checkpoint never passes the first event of a change not yet emitted: a resumed run must see
   * all of a customer's events to know whether the warehouse may hold it.
   */
  firstEventAt: number;
  /** Time of the customer's latest event: the version (cursor value) of what is emitted for it. */
  lastEventAt: number;
  /** A `customer.deleted` event is in the window (ids are never reused, so this is final). */
  deleted: boolean;
  /** The oldest event in the window created the customer (so it is new to the warehouse). */
  createdInWindow: boolean;
  /** The customer after its latest event, when that payload can stand for a fresh retrieve. */
  latest: StripeCustomer | undefined;
  /**
   * Whether any state of the customer seen in the window (before the first event, or after any
   * event) satisfied `wasSelected`. A customer that is now deleted or filtered out is only
   * reported as deleted when the warehouse may hold it.
   */
  everSelected: boolean;
}

export interface ChangeWindowRequest {
  /** Inclusive lower bound: every change before it has been emitted. */
  cursor: number;
  /** Read this much before the cursor again, for safety (lookback_window_days). */
  lookbackSeconds: number;
  /**
   * Events younger than this are left for the next run: an event may become listable a moment
   * after its `created` time, and a cursor must never move past an event not yet seen.
   */
  settleSeconds: number;
}

/** Stripe keeps events for 30 days; an hour of margin keeps a cursor from racing the purge. */
export const EVENT_RETENTION_SECONDS = 30 * 24 * 3600;
const RETENTION_MARGIN_SECONDS = 3600;
/** Clock skew tolerated before a saved cursor counts as being in the future. */
const FUTURE_TOLERANCE_SECONDS = 300;

export type ChangeCollection =
  | {
      kind: 'changes';
      /** In the order to emit them: by first event time. */
      changes: CustomerChange[];
      /** Exclusive upper bound of the window read; the cursor once every change is emitted. */
      until: number;
      pages: number;
      serverTime: number;
      /** Events whose object was too malformed to key (no id or created); left out. */
      malformed: number;
    }
  /** The cursor is older than Stripe's event retention: changes may have been purged. */
  | { kind: 'expired'; serverTime: number }
  /** The cursor is ahead of Stripe's clock: not a state this connector could have written. */
  | { kind: 'future'; serverTime: number };

/** Beyond this many changed customers, payloads are dropped and re-fetched: memory stays bounded. */
const MAX_KEPT_PAYLOADS = 20_000;

/**
 * Reads the customer.created/updated/deleted events of a window (newest first, as Stripe lists
 * them) and collapses them to one change per customer, ordered by first event time. Events
 * rendered in the API version the connector pins carry a complete, current object; others are
 * left for the caller to re-fetch, so records never arrive in an old shape.
 */
export async function collectCustomerChanges(
  api: StripeApi,
  request: ChangeWindowRequest,
  wasSelected: (customer: StripeCustomer) => boolean,
): Promise<ChangeCollection> {
  const byId = new Map<string, CustomerChange>();
  const from = Math.max(0, request.cursor - request.lookbackSeconds);
  let pages = 0;
  let malformed = 0;
  let until = Infinity;
  let serverTime = 0;
  let startingAfter: string | undefined;
  // Set when the event a page cursor named was purged meanwhile: paging restarts at its second
  // (absorbing an event twice changes nothing).
  let notAfter: number | undefined;
  for (;;) {
    let page: Awaited<ReturnType<StripeApi['listCustomerEvents']>>;
    try {
      page = await api.listCustomerEvents({
        created: { gte: from, ...(notAfter !== undefined ? { lte: notAfter } : {}) },
        startingAfter,
      });
    } catch (error) {
      if (!(error instanceof StaleCursorError) || startingAfter === undefined) throw error;
      startingAfter = undefined;
      continue;
    }
    pages++;
    if (pages === 1) {
      // Stripe's clock, not ours, decides what "now" and "30 days ago" are.
      serverTime = page.serverTime;
      if (request.cursor < serverTime - EVENT_RETENTION_SECONDS + RETENTION_MARGIN_SECONDS) {
        return { kind: 'expired', serverTime };
      }
      if (request.cursor > serverTime + FUTURE_TOLERANCE_SECONDS)
        return { kind: 'future', serverTime };
      until = Math.max(request.cursor, serverTime - request.settleSeconds);
    }
    for (const event of page.items) {
      if (event.created >= until) continue;
      if (!isWellFormedCustomer(event.object)) malformed++;
      else absorb(byId, event, api.apiVersion, wasSelected);
    }
    const last = page.items.at(-1);
    if (!page.hasMore || !last) break;
    startingAfter = last.id;
    notAfter = last.created;
  }
  const changes = [...byId.values()].sort(
    (a, b) => a.firstEventAt - b.firstEventAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return { kind: 'changes', changes, until, pages, serverTime, malformed };
}

function absorb(
  byId: Map<string, CustomerChange>,
  event: CustomerEvent,
  pinnedVersion: string,
  wasSelected: (customer: StripeCustomer) => boolean,
): void {
  const customer = event.object;
  // The state after this event (for a deletion: just before it), and the state before an update.
  const selected =
    wasSelected(customer) ||
    (event.type === 'customer.updated' &&
      wasSelected(applyPrevious(customer, event.previousAttributes)));
  const deleted = event.type === 'customer.deleted';
  const known = byId.get(customer.id);
  if (known) {
    // Stripe lists newest first, but leaves the order within one second undocumented: nothing
    // here may depend on which of two same-second events comes first.
    known.everSelected ||= selected;
    known.createdInWindow ||= event.type === 'customer.created';
    known.deleted ||= deleted;
    known.firstEventAt = Math.min(known.firstEventAt, event.created);
    // Which payload is the latest is unknown when events share the latest second: re-fetch.
    if (event.created >= known.lastEventAt || known.deleted) known.latest = undefined;
    known.lastEventAt = Math.max(known.lastEventAt, event.created);
    return;
  }
  const keepPayload = event.apiVersion === pinnedVersion && byId.size < MAX_KEPT_PAYLOADS;
  byId.set(customer.id, {
    id: customer.id,
    firstEventAt: event.created,
    lastEventAt: event.created,
    deleted,
    createdInWindow: event.type === 'customer.created',
    latest: !deleted && keepPayload ? customer : undefined,
    everSelected: selected,
  });
}

/**
 * The customer as it was before an update: Stripe lists the changed fields' old values in
 * `previous_attributes` (for hashes such as metadata, only the changed keys; a key that did not
 * exist before is given as an empty string or null).
 */
export function applyPrevious(
  after: StripeCustomer,
  previous: Record<string, unknown> | undefined,
): StripeCustomer {
  if (!previous) return after;
  const before: Record<string, unknown> = { ...after };
  for (const [field, oldValue] of Object.entries(previous)) {
    const current = after[field];
    if (field === 'metadata' && isPlainObject(oldValue) && isPlainObject(current)) {
      const metadata: Record<string, unknown> = { ...current };
      for (const [key, value] of Object.entries(oldValue)) {
        if (value === null || value === '') delete metadata[key];
        else metadata[key] = value;
      }
      before[field] = metadata;
    } else if (isPlainObject(oldValue) && isPlainObject(current)) {
      before[field] = { ...current, ...oldValue };
    } else {
      before[field] = oldValue;
    }
  }
  return before as StripeCustomer;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
