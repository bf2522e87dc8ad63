import {
  CUSTOMER_OBJECT_EVENT_TYPES,
  type CustomerEvent,
  type EventPage,
  type StripePort,
} from './port';
import { isWellFormedCustomer, type StripeCustomer } from './customer-schema';
import { TransientError } from '../errors';
import { StaleCursorError } from './errors';
import { isPlainObject } from '../util/is-plain-object';

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
  /** The events of the window that make up this change: seen once it is emitted. */
  events: Array<{ id: string; created: number }>;
  /** A `customer.deleted` event is in the window (ids are never reused, so this is final). */
  deleted: boolean;
  /** The oldest event in the window created the customer (so it is new to the warehouse). */
  createdInWindow: boolean;
  /** The customer after its latest event, when that payload can stand for a fresh retrieve. */
  latest: StripeCustomer | undefined;
  /**
   * Whether any state of the customer seen in the window (before the first event, or after any
   * event) satisfied the selection, or could have (a payload of another API version that lacks a
   * field the filter reads cannot tell). A customer that is now deleted or filtered out is only
   * reported as deleted when the warehouse may hold it.
   */
  everSelected: boolean;
  /**
   * Whether the customer as it was before its first event of the window satisfied the selection,
   * or may have (a payload that cannot be judged): what the destination holds of it. A customer
   * selected now that was not selected before is new to the pipeline, whatever Stripe calls the
   * change. False when the window's first event created it.
   */
  selectedBefore: boolean;
}

/** Which customers a pipeline keeps, as the change reader needs to know it. */
export interface Selection {
  matches(customer: StripeCustomer): boolean;
  /**
   * The top-level customer fields the filter reads. A payload rendered in another API version
   * is judged only when it has every one of them; undefined: never judged (always "may be
   * selected").
   */
  fieldsRead?: ReadonlySet<string>;
}

/** Events already processed (in an earlier run's overlap, or before a resumed checkpoint). */
export interface ProcessedEvents {
  has(event: { id: string; created: number }): boolean;
}

export interface ChangeWindowRequest {
  /** Inclusive lower bound: every change before it has been emitted. */
  cursor: number;
  /** Read this much before the cursor again, for safety (lookback_window_days). */
  lookbackSeconds: number;
  /**
   * Events younger than this are left for the next run: an event may become listable a moment
   * after its `created` time.
   */
  settleSeconds: number;
  /**
   * Also re-read this much before the cursor, skipping the events in `seen`: Stripe lists some
   * events later than their `created` second, and those land in the overlap of the next run.
   */
  overlapSeconds: number;
  seen: ProcessedEvents;
}

/** Stripe keeps events for 30 days; an hour of margin keeps a cursor from racing the purge. */
export const EVENT_RETENTION_SECONDS = 30 * 24 * 3600;
const RETENTION_MARGIN_SECONDS = 3600;
/** Clock skew tolerated before a saved cursor counts as being in the future. */
const FUTURE_TOLERANCE_SECONDS = 300;

/** One stretch of the event log, collapsed: emitted and checkpointed before the next is read. */
export interface ChangeWindow {
  /** Inclusive lower bound of the events read (unix seconds). */
  from: number;
  /** Exclusive upper bound: the cursor once every change of the window is emitted. */
  until: number;
  /** In the order to emit them: by first event time. */
  changes: CustomerChange[];
  pages: number;
  /** Events whose object was too malformed to key (no id or created); left out. */
  malformed: number;
  /** Events of the overlap already processed by an earlier run; skipped. */
  alreadyProcessed: number;
}

export type ChangeCollection =
  | {
      kind: 'changes';
      /** Exclusive upper bound of everything read: the cursor once every window is emitted. */
      until: number;
      serverTime: number;
      /**
       * Events at or after `until` (younger than the settle time), left for the next run. Exact
       * unless they fill more than two pages: then at least this many.
       */
      settling: number;
      /** Oldest first. Each is read only when asked for, so a backlog never sits in memory. */
      windows: AsyncGenerator<ChangeWindow>;
    }
  /** The cursor is older than Stripe's event retention: changes may have been purged. */
  | { kind: 'expired'; serverTime: number }
  /** The cursor is ahead of Stripe's clock: not a state this connector could have written. */
  | { kind: 'future'; serverTime: number };

/** Beyond this many changed customers, payloads are dropped and re-fetched: memory stays bounded. */
const MAX_KEPT_PAYLOADS = 20_000;

/**
 * A window is sized to hold about this many events (ten pages), judged from the density of what
 * was just read: a backlog is emitted and checkpointed every few pages, so a run killed while
 * reading it loses little, and memory does not grow with the backlog.
 */
const EVENTS_PER_WINDOW = 1_000;
const MIN_WINDOW_SECONDS = 60;
/** A window at most this many times longer than the one before, so a burst cannot be skipped over blindly. */
const MAX_WINDOW_GROWTH = 8;

/**
 * Opens the customer events since the cursor (the customer's own, and those of objects that
 * change its fields: relatedCustomer below). The first page (newest first, as Stripe lists them)
 * gives Stripe's clock, which decides whether the cursor is usable;
 * a window that fits that page is the only one, so a quiet account costs one request. A backlog
 * is read oldest window first, each collapsed to one change per customer. Events rendered in the
 * API version the connector pins carry a complete, current object; others are left for the
 * caller to re-fetch, so records never arrive in an old shape.
 */
export async function collectCustomerChanges(
  api: StripePort,
  request: ChangeWindowRequest,
  selection: Selection,
): Promise<ChangeCollection> {
  const from = Math.max(
    0,
    request.cursor - Math.max(request.lookbackSeconds, request.overlapSeconds),
  );
  const first = await api.listCustomerEvents({ created: { gte: from } });
  // Stripe's clock, not ours, decides what "now" and "30 days ago" are.
  const serverTime = first.serverTime;
  if (request.cursor < serverTime - EVENT_RETENTION_SECONDS + RETENTION_MARGIN_SECONDS) {
    return { kind: 'expired', serverTime };
  }
  if (request.cursor > serverTime + FUTURE_TOLERANCE_SECONDS) return { kind: 'future', serverTime };
  const until = Math.max(request.cursor, serverTime - request.settleSeconds);
  const settling = await countSettling(api, first, until);
  const collector = (window: [number, number]) =>
    new WindowCollector(window, api.apiVersion, selection, request.seen);

  async function* windows(): AsyncGenerator<ChangeWindow> {
    if (!first.hasMore) {
      yield collector([from, until]).add(first).result();
      return;
    }
    let length = windowLength(first.items, MIN_WINDOW_SECONDS);
    for (let start = from; start < until;) {
      const end = Math.min(until, start + length);
      const window = collector([start, end]);
      const outcome = await readWindow(api, window);
      if (outcome.kind === 'too_dense') {
        // Denser than judged: read a shorter window instead (events come newest first, so
        // nothing of this one could be emitted early). Its pages set the new length.
        length = Math.min(
          Math.floor((end - start) / 2),
          windowLengthFor(outcome.events, outcome.seconds),
        );
        length = Math.max(MIN_WINDOW_SECONDS, length);
        continue;
      }
      yield window.result();
      length = Math.min(length * MAX_WINDOW_GROWTH, windowLengthFor(window.events, end - start));
      start = end;
    }
  }
  return { kind: 'changes', until, serverTime, settling, windows: windows() };
}

/**
 * How many events are at or after `until`, from the first page (newest first, so they lead it):
 * when the page holds nothing older and has more, one more page after it, and no further.
 */
async function countSettling(api: StripePort, first: EventPage, until: number): Promise<number> {
  const settling = first.items.filter((event) => event.created >= until).length;
  const last = first.items.at(-1);
  if (!first.hasMore || !last || last.created < until) return settling;
  try {
    const next = await api.listCustomerEvents({ created: { gte: until }, startingAfter: last.id });
    return settling + next.items.length;
  } catch (error) {
    // The page cursor was purged meanwhile: the first page's count is still a lower bound.
    if (error instanceof StaleCursorError) return settling;
    throw error;
  }
}

/** From a page of events (newest first): a window length that holds about EVENTS_PER_WINDOW. */
function windowLength(items: CustomerEvent[], fallback: number): number {
  const newest = items[0];
  const oldest = items.at(-1);
  if (!newest || !oldest) return fallback;
  return windowLengthFor(items.length, newest.created - oldest.created + 1);
}

function windowLengthFor(events: number, seconds: number): number {
  const perSecond = Math.max(events, 1) / Math.max(seconds, 1);
  return Math.max(MIN_WINDOW_SECONDS, Math.floor(EVENTS_PER_WINDOW / perSecond));
}

/** Pages a window may take before it is judged too dense and read shorter (a few times the aim). */
const MAX_PAGES_PER_WINDOW = 30;

/**
 * Reads every page of events created in the collector's window into it, unless the window turns
 * out far denser than judged (and can still be shortened).
 */
async function readWindow(
  api: StripePort,
  window: WindowCollector,
): Promise<{ kind: 'read' } | { kind: 'too_dense'; events: number; seconds: number }> {
  const [start, end] = window.bounds;
  let upTo = end - 1;
  let startingAfter: string | undefined;
  for (;;) {
    let page: EventPage;
    try {
      page = await api.listCustomerEvents({ created: { gte: start, lte: upTo }, startingAfter });
    } catch (error) {
      // The event the page cursor named was purged meanwhile: restart at its second (absorbing
      // an event twice changes nothing).
      if (!(error instanceof StaleCursorError) || startingAfter === undefined) throw error;
      startingAfter = undefined;
      continue;
    }
    window.add(page);
    if (!page.hasMore) return { kind: 'read' };
    const last = page.items.at(-1);
    if (!last) {
      // Nothing on the page to continue after: ending the window here would skip its older
      // events. Fail; the next run continues from the last checkpoint.
      throw new TransientError(
        'Stripe answered a page of events that has more after it but no usable entry to continue from; stopping so that no event is skipped. The next run continues from the last checkpoint.',
      );
    }
    if (window.pages >= MAX_PAGES_PER_WINDOW && end - start > MIN_WINDOW_SECONDS) {
      return { kind: 'too_dense', events: window.events, seconds: end - last.created };
    }
    startingAfter = last.id;
    upTo = last.created;
  }
}

/** Collapses the events of one window as its pages arrive: memory holds customers, not events. */
class WindowCollector {
  private readonly byId = new Map<string, CustomerChange>();
  pages = 0;
  /** Events of the window seen so far (its density). */
  events = 0;
  private malformed = 0;
  private alreadyProcessed = 0;
  /** Ids absorbed so far: a page re-read after a stale cursor absorbs nothing twice. */
  private readonly absorbed = new Set<string>();
  /** Per customer, the latest second of an event of it processed before (by a run or a webhook). */
  private readonly processedAt = new Map<string, number>();

  constructor(
    readonly bounds: [from: number, until: number],
    private readonly pinnedVersion: string,
    private readonly selection: Selection,
    private readonly seen: ProcessedEvents,
  ) {}

  add(page: EventPage): this {
    const [from, until] = this.bounds;
    this.pages++;
    this.malformed += page.malformed;
    for (const event of page.items) {
      if (event.created >= until || event.created < from) continue;
      this.events++;
      if (this.absorbed.has(event.id)) continue;
      this.absorbed.add(event.id);
      if (this.seen.has(event)) {
        this.alreadyProcessed++;
        const customerId = changedCustomerId(event);
        if (customerId !== undefined) {
          this.processedAt.set(
            customerId,
            Math.max(this.processedAt.get(customerId) ?? 0, event.created),
          );
        }
        continue;
      }
      const observed = observe(event, this.pinnedVersion, this.selection);
      if (observed === 'malformed') this.malformed++;
      else if (observed !== 'irrelevant') absorb(this.byId, event, observed, this.pinnedVersion);
    }
    return this;
  }

  result(): ChangeWindow {
    // A change whose latest second also holds an event processed before: which of that second's
    // states is the latest is unknown, and what was written for the other one carries the same
    // version. The customer is re-fetched, as for two new events of one second.
    for (const change of this.byId.values()) {
      if (this.processedAt.get(change.id) === change.lastEventAt) change.latest = undefined;
    }
    const changes = [...this.byId.values()].sort(
      (a, b) => a.firstEventAt - b.firstEventAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    const [from, until] = this.bounds;
    return {
      from,
      until,
      changes,
      pages: this.pages,
      malformed: this.malformed,
      alreadyProcessed: this.alreadyProcessed,
    };
  }
}

/**
 * What one event says about a customer, whatever kind of event it is:
 * - `payload`: the customer after the event (for a deletion: just before it), when the event
 *   carries one that can stand for a fresh retrieve;
 * - `selected`: whether a state of the customer it shows satisfied the selection, or may have;
 * - `before`: whether the customer as it was before the event satisfied the selection, or may
 *   have; undefined when the event cannot change whether it does (so the states around it say).
 */
interface Observation {
  customerId: string;
  payload: StripeCustomer | undefined;
  selected: boolean;
  before: boolean | undefined;
  created: boolean;
  deleted: boolean;
}

/** Time of the event that decided a change's `selectedBefore` (the oldest one that could). */
const judgedAt = new WeakMap<CustomerChange, number>();

function absorb(
  byId: Map<string, CustomerChange>,
  event: CustomerEvent,
  observed: Observation,
  pinnedVersion: string,
): void {
  const processed = { id: event.id, created: event.created };
  const known = byId.get(observed.customerId);
  if (known) {
    known.events.push(processed);
    // Stripe lists newest first, but leaves the order within one second undocumented: nothing
    // here may depend on which of two same-second events comes first.
    known.everSelected ||= observed.selected;
    known.createdInWindow ||= observed.created;
    known.deleted ||= observed.deleted;
    // The state before the window is the one before its oldest event that could change whether
    // the customer is selected; events of that same second come in no documented order, so any
    // of them may be the first.
    if (observed.before !== undefined) {
      const at = judgedAt.get(known) ?? Infinity;
      if (event.created < at) known.selectedBefore = observed.before;
      else if (event.created === at) known.selectedBefore ||= observed.before;
      judgedAt.set(known, Math.min(at, event.created));
    }
    known.firstEventAt = Math.min(known.firstEventAt, event.created);
    // Which payload is the latest is unknown when events share the latest second: re-fetch.
    if (event.created >= known.lastEventAt || known.deleted) known.latest = undefined;
    known.lastEventAt = Math.max(known.lastEventAt, event.created);
    return;
  }
  const keepPayload = event.apiVersion === pinnedVersion && byId.size < MAX_KEPT_PAYLOADS;
  const change: CustomerChange = {
    id: observed.customerId,
    firstEventAt: event.created,
    lastEventAt: event.created,
    events: [processed],
    deleted: observed.deleted,
    createdInWindow: observed.created,
    latest: !observed.deleted && keepPayload ? observed.payload : undefined,
    everSelected: observed.selected,
    // Nothing in the window could change whether it is selected: as it is now.
    selectedBefore: observed.before ?? true,
  };
  if (observed.before !== undefined) judgedAt.set(change, event.created);
  byId.set(observed.customerId, change);
}

/** What a customer.created/updated/deleted event says. */
function observeCustomerEvent(
  event: CustomerEvent,
  customer: StripeCustomer,
  pinnedVersion: string,
  selection: Selection,
): Observation {
  // The state after this event (for a deletion: just before it), and the state before an update.
  // A payload of another API version may name or shape fields differently: it is only judged
  // when it holds every field the filter reads; otherwise the customer may have been selected.
  const judgeable =
    event.apiVersion === pinnedVersion ||
    (selection.fieldsRead !== undefined &&
      [...selection.fieldsRead].every((field) => field in customer));
  // Before a creation the customer did not exist; a deletion's payload is the customer just
  // before it; an update's is after it, with the old values in previous_attributes.
  const before =
    event.type !== 'customer.created' &&
    (!judgeable ||
      selection.matches(
        event.type === 'customer.updated'
          ? applyPrevious(customer, event.previousAttributes)
          : customer,
      ));
  return {
    customerId: customer.id,
    payload: customer,
    selected: !judgeable || selection.matches(customer) || before,
    before,
    created: event.type === 'customer.created',
    deleted: event.type === 'customer.deleted',
  };
}

/**
 * What an event of another object says about a customer: that its `fields` may have changed,
 * with no customer payload (it is read again). Whether it was selected before cannot be judged
 * when the filter reads one of those fields: it may have been. When the filter reads none of
 * them, the event changed nothing about the selection: the states around it decide.
 */
function observeRelatedChange(
  customerId: string,
  fields: readonly string[],
  selection: Selection,
): Observation {
  const filterReads =
    selection.fieldsRead === undefined || fields.some((field) => selection.fieldsRead?.has(field));
  return {
    customerId,
    payload: undefined,
    selected: filterReads,
    before: filterReads ? true : undefined,
    created: false,
    deleted: false,
  };
}

/**
 * Customer fields that change through other objects, and the event that does come then. Stripe
 * documents `customer.updated` for "any property of a customer", but not that it accompanies
 * these paths (see docs/guarantees.md for the sources), so each is read from its own event and
 * the customer is retrieved again:
 * - `discount`: a coupon attached, switched or removed (`customer.discount.*`; one with
 *   `subscription` set is a subscription's discount, which leaves the customer's alone);
 * - `default_source`: the first source becomes it, deleting it moves or clears it
 *   (`customer.source.created` / `.deleted`);
 * - `invoice_settings.default_payment_method`: detaching that payment method clears it
 *   (`payment_method.detached`, whose customer is in `previous_attributes`).
 */
function relatedCustomer(
  event: CustomerEvent,
): { customerId: string; fields: readonly string[] } | 'irrelevant' | 'malformed' {
  const object = isPlainObject(event.object) ? event.object : undefined;
  if (!object) return 'malformed';
  const customerOf = (value: unknown) =>
    typeof value === 'string' && value.startsWith('cus_') ? value : undefined;
  switch (event.type) {
    case 'customer.discount.created':
    case 'customer.discount.updated':
    case 'customer.discount.deleted': {
      if (object.subscription) return 'irrelevant';
      const customerId = customerOf(object.customer);
      return customerId ? { customerId, fields: ['discount'] } : 'malformed';
    }
    case 'customer.source.created':
    case 'customer.source.deleted': {
      const customerId = customerOf(object.customer);
      return customerId ? { customerId, fields: ['default_source'] } : 'malformed';
    }
    case 'payment_method.detached': {
      const customerId = customerOf(event.previousAttributes?.customer);
      return customerId ? { customerId, fields: ['invoice_settings'] } : 'irrelevant';
    }
    default:
      return 'malformed';
  }
}

/** The customer an event changes, if it names one. */
function changedCustomerId(event: CustomerEvent): string | undefined {
  if ((CUSTOMER_OBJECT_EVENT_TYPES as readonly string[]).includes(event.type)) {
    const id = (event.object as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  }
  const related = relatedCustomer(event);
  return typeof related === 'string' ? undefined : related.customerId;
}

/**
 * What an event says about a customer, or why it is left out: `malformed` (no customer to key),
 * `irrelevant` (it changes no customer field).
 */
function observe(
  event: CustomerEvent,
  pinnedVersion: string,
  selection: Selection,
): Observation | 'irrelevant' | 'malformed' {
  if ((CUSTOMER_OBJECT_EVENT_TYPES as readonly string[]).includes(event.type)) {
    return isWellFormedCustomer(event.object)
      ? observeCustomerEvent(event, event.object, pinnedVersion, selection)
      : 'malformed';
  }
  const related = relatedCustomer(event);
  if (typeof related === 'string') return related;
  return observeRelatedChange(related.customerId, related.fields, selection);
}

/**
 * The customer as it was before an update: Stripe lists the changed fields' old values in
 * `previous_attributes` (for hashes such as metadata, only the changed keys; a key that did not
 * exist before is given as an empty string or null). Stripe stores no empty strings on a
 * customer (an update with `''` unsets the field), so `''` stands for "unset" everywhere.
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
      before[field] = { ...current, ...unsetEmpty(oldValue) };
    } else {
      before[field] = oldValue === '' ? null : oldValue;
    }
  }
  return before as StripeCustomer;
}

function unsetEmpty(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, value === '' ? null : value]),
  );
}
