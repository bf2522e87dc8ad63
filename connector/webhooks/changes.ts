import { applyPrevious, type Selection } from '../stripe/customer-changes';
import { isWellFormedCustomer, type StripeCustomer } from '../stripe/customer-schema';
import type { CustomerEvent } from '../stripe/port';

/** The delivered events of one customer that a pipeline has not processed yet, and what to do. */
export interface DeliveredChange {
  customerId: string;
  events: CustomerEvent[];
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
  events: CustomerEvent[],
  held: ReadonlyMap<string, number>,
  pinnedVersion: string,
  selection: Selection,
): { changes: DeliveredChange[]; older: CustomerEvent[] } {
  const byCustomer = new Map<string, CustomerEvent[]>();
  for (const event of events) {
    const list = byCustomer.get(event.object.id) ?? [];
    list.push(event);
    byCustomer.set(event.object.id, list);
  }
  const changes: DeliveredChange[] = [];
  const older: CustomerEvent[] = [];
  for (const [customerId, list] of byCustomer) {
    const version = Math.max(...list.map((event) => event.created));
    const deleted = list.some((event) => event.type === 'customer.deleted');
    const heldVersion = held.get(customerId);
    if (!deleted && heldVersion !== undefined && version < heldVersion) {
      older.push(...list);
      continue;
    }
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
      everSelected: list.some((event) => mayHaveMatched(event, pinnedVersion, selection)),
    });
  }
  return { changes, older };
}

/**
 * Whether the customer matched the filter after this event, or before it (an update's previous
 * values). A payload of another API version is judged only when it has every field the filter
 * reads; otherwise it may have matched.
 */
function mayHaveMatched(event: CustomerEvent, pinned: string, selection: Selection): boolean {
  const customer = event.object;
  const judgeable =
    event.apiVersion === pinned ||
    (selection.fieldsRead !== undefined &&
      [...selection.fieldsRead].every((field) => field in customer));
  return (
    !judgeable ||
    selection.matches(customer) ||
    (event.type === 'customer.updated' &&
      selection.matches(applyPrevious(customer, event.previousAttributes)))
  );
}
