import type { StripeCustomer } from '../stripe/customer-schema';
import { isoFromSeconds } from '../util/unix-time';

/**
 * Bookkeeping fields every record carries, so warehouses can dedupe and delete:
 * - pass-through streams keep Stripe's `id` as primary key and add `updated`, `is_deleted`,
 *   `_ab_cdc_deleted_at`;
 * - mapped streams (a Customer Model) add `_stripe_id`, `_stripe_updated`, `_stripe_is_deleted`
 *   and `_ab_cdc_deleted_at`, prefixed so they cannot clash with the user's own properties.
 * `updated`/`_stripe_updated` is the cursor: the time (unix seconds) the record's state was
 * observed: the event's time for changes, the page's server time for listed customers.
 */
export interface RecordLayout {
  primaryKey: string;
  cursorField: string;
  deletedFlag: string;
}

export const PASSTHROUGH_LAYOUT: RecordLayout = {
  primaryKey: 'id',
  cursorField: 'updated',
  deletedFlag: 'is_deleted',
};

export const MAPPED_LAYOUT: RecordLayout = {
  primaryKey: '_stripe_id',
  cursorField: '_stripe_updated',
  deletedFlag: '_stripe_is_deleted',
};

export const CDC_DELETED_AT = '_ab_cdc_deleted_at';

export type OutputRecord = Record<string, unknown>;

/**
 * Adds the bookkeeping fields to a record. `fields` is taken over (not copied): it is either a
 * customer freshly parsed for this run or a transformation's fresh output, and copying every
 * record would cost more than the rest of the per-record work.
 */
export function liveRecord(
  layout: RecordLayout,
  customer: StripeCustomer,
  fields: OutputRecord,
  observedAt: number,
): OutputRecord {
  fields[layout.primaryKey] = customer.id;
  fields[layout.cursorField] = observedAt;
  fields[layout.deletedFlag] = false;
  fields[CDC_DELETED_AT] = null;
  return fields;
}

/** A customer deleted in Stripe, or one that no longer matches the pipeline's filter. */
export function deletionRecord(layout: RecordLayout, id: string, deletedAt: number): OutputRecord {
  const base: OutputRecord =
    layout === PASSTHROUGH_LAYOUT ? { object: 'customer', deleted: true } : {};
  return {
    ...base,
    [layout.primaryKey]: id,
    [layout.cursorField]: deletedAt,
    [layout.deletedFlag]: true,
    [CDC_DELETED_AT]: isoFromSeconds(deletedAt),
  };
}
