/**
 * n8n items in n8n's shape. The engine's records carry what warehouses need to dedupe and delete
 * (the cursor in unix seconds, a deleted flag, Airbyte's `_ab_cdc_deleted_at`); an n8n item
 * carries instead what a workflow branches on: how the customer changed for the workflow, what
 * Stripe's events said, when (ISO 8601, like the model's dates), and whether it is gone.
 * Prefixed with `_stripe_`, which the Customer Model reserves, so they never clash with the
 * user's own fields.
 */
import type { INodeExecutionData } from 'n8n-workflow';
import { CDC_DELETED_AT, isoFromSeconds, type EmittedRecord, type RecordLayout } from './engine';

/**
 * How the customer changed from the workflow's point of view: `listed` (an import), `created`
 * (new to the workflow: created in Stripe, or it started matching the filter), `updated`, or
 * `deleted` (deleted in Stripe, or it stopped matching the filter).
 */
export const CHANGE_FIELD = '_stripe_change';

/**
 * What Stripe's events say happened, by Stripe's event names: `customer.created`,
 * `customer.updated` (also for a customer that entered or left the filter, and for changes made
 * through its discount or sources), `customer.deleted`; null for a listed customer.
 */
export const STRIPE_EVENT_FIELD = '_stripe_event';

/**
 * When the change happened (the Stripe event's time); for a listed customer, the time the
 * import's reading is as of.
 */
export const CHANGED_AT_FIELD = '_stripe_changed_at';

/** true when the change is a deletion: deleted in Stripe, or no longer matching the filter. */
export const DELETED_FIELD = '_stripe_deleted';

/** Unix seconds as the engine writes instants (2024-01-31T10:00:00Z); null when not a time. */
const isoSeconds = (seconds: unknown): string | null =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? isoFromSeconds(seconds) : null;

/** The record's own fields, without the engine's bookkeeping. */
function ownFields(emitted: EmittedRecord, layout: RecordLayout): Record<string, unknown> {
  const fields = { ...emitted.record };
  delete fields[layout.cursorField];
  delete fields[layout.deletedFlag];
  delete fields[CDC_DELETED_AT];
  return fields;
}

/**
 * The engine's records as n8n items paired to input item `item`. A deletion has only the
 * customer's id; n8n's Table view shows a column that an item lacks as "undefined", so each
 * deletion gets every column of the other items (and of `columns`, the Customer Model's) as
 * null, in their order: every row of the output has the same columns. Stripe's own `deleted`
 * flag of a deleted customer is left out: `_stripe_deleted` says it for every item.
 */
export function toItems(
  records: readonly EmittedRecord[],
  layout: RecordLayout,
  item: number,
  columns: readonly string[] = [],
): INodeExecutionData[] {
  const fields = records.map((emitted) => ownFields(emitted, layout));
  const union = new Set(columns);
  records.forEach((emitted, index) => {
    if (emitted.change === 'deleted') return;
    for (const key of Object.keys(fields[index] as object)) union.add(key);
  });
  return records.map((emitted, index) => {
    const own = fields[index] as Record<string, unknown>;
    const deleted = emitted.record[layout.deletedFlag] === true;
    let shaped = own;
    if (deleted) {
      delete own.deleted;
      shaped = Object.fromEntries([...union].map((key) => [key, own[key] ?? null]));
      for (const [key, value] of Object.entries(own)) if (!(key in shaped)) shaped[key] = value;
    }
    return {
      json: {
        ...shaped,
        [CHANGE_FIELD]: emitted.change,
        [STRIPE_EVENT_FIELD]: emitted.stripeChange ? `customer.${emitted.stripeChange}` : null,
        [CHANGED_AT_FIELD]: isoSeconds(emitted.record[layout.cursorField]),
        [DELETED_FIELD]: deleted,
      },
      pairedItem: { item },
    };
  });
}
