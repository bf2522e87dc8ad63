import { applyPrevious, type Selection } from '../stripe/customer-changes';
import { isWellFormedCustomer, type StripeCustomer } from '../stripe/customer-schema';
import type { DeliveredCustomerEvent } from './event';

/** The delivered events of one customer that a pipeline has not processed yet, and what to do. */
export interface DeliveredChange {
  customerId: string;
  events: DeliveredCustomerEvent[];
  /** The latest event's time: the version what is written for the customer carries. */
  version: number;
  /** A `customer.deleted` is among them: final, whatever else came (ids are never reused). */
  deleted: boolean;
  /**
   * How the customer's current state is known: the latest event's payload, or a fresh retrieve
   * when the payload cannot stand for it (see `resolve`).
   */
  source: 'payload' | 'retrieve';
  /** The payload, when `source` is `payload`. */
  latest: StripeCustomer | undefined;
  /** Some state these events show (before or after each) matched the filter, or may have. */
  everSelected: boolean;
  /**
   * The customer as it was before the oldest of these events matched the filter, or may have:
   * false when that event created it. One selected now that was not is new to the pipeline.
   */
  selectedBefore: boolean;
}

/**
 * Groups a pipeline's new events by customer and decides, against the version the destination
 * holds for each customer (`held`: its row's cursor, or the latest change applied to it), what
 * each customer's events come to:
 * - all older than what is held: nothing (`older`), since a newer state is already written;
 * - a deletion among them: a deletion, final;
 * - otherwise the latest event's payload, unless it cannot be trusted to be the latest state:
 *   two events of the customer in its second (Stripe's order within a second is undocumented,
 *   and so is the order of deliveries), the destination holding that same second already (a
 *   change of that second was applied before), a payload of another API version, or one too
 *   damaged to use. Then the customer is retrieved, as it is now.
 */
export function resolve(
  events: DeliveredCustomerEvent[],
  held: ReadonlyMap<string, number>,
  pinnedVersion: string,
  selection: Selection,
): { changes: DeliveredChange[]; older: DeliveredCustomerEvent[] } {
  const byCustomer = new Map<string, DeliveredCustomerEvent[]>();
  for (const event of events) {
    const list = byCustomer.get(event.object.id) ?? [];
    list.push(event);
    byCustomer.set(event.object.id, list);
  }
  const changes: DeliveredChange[] = [];
  const older: DeliveredCustomerEvent[] = [];
  for (const [customerId, list] of byCustomer) {
    const version = Math.max(...list.map((event) => event.created));
    const deleted = list.some((event) => event.type === 'customer.deleted');
    const heldVersion = held.get(customerId);
    if (!deleted && heldVersion !== undefined && version < heldVersion) {
      older.push(...list);
      continue;
    }
    const judged = list.map((event) => judge(event, pinnedVersion, selection));
    const oldest = Math.min(...list.map((event) => event.created));
    const newest = list.filter((event) => event.created === version);
    const only = newest.length === 1 ? newest[0] : undefined;
    const usable =
      only !== undefined &&
      heldVersion !== version &&
      only.apiVersion === pinnedVersion &&
      isWellFormedCustomer(only.object) &&
      only.object.id === customerId;
    changes.push({
      customerId,
      events: list,
      version,
      deleted,
      source: deleted || usable ? 'payload' : 'retrieve',
      latest: !deleted && usable ? only.object : undefined,
      everSelected: judged.some(({ before, after }) => before || after),
      // Stripe's order within a second is undocumented: any of the oldest second's events may
      // be the first.
      selectedBefore: judged.some(({ before }, index) => before && list[index]?.created === oldest),
    });
  }
  return { changes, older };
}

/**
 * Whether the customer matched the filter after this event (for a deletion: just before it), and
 * before it (a creation: no; an update: with its previous values). A payload of another API
 * version is judged only when it has every field the filter reads; otherwise it may have matched.
 */
function judge(
  event: DeliveredCustomerEvent,
  pinned: string,
  selection: Selection,
): { before: boolean; after: boolean } {
  const customer = event.object;
  const judgeable =
    event.apiVersion === pinned ||
    (selection.fieldsRead !== undefined &&
      [...selection.fieldsRead].every((field) => field in customer));
  if (!judgeable) return { before: event.type !== 'customer.created', after: true };
  const after = selection.matches(customer);
  if (event.type === 'customer.created') return { before: false, after };
  if (event.type === 'customer.deleted') return { before: after, after };
  return { before: selection.matches(applyPrevious(customer, event.previousAttributes)), after };
}
