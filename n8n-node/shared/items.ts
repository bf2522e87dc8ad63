/**
 * n8n items in n8n's shape. The engine's records carry what warehouses need to dedupe and delete
 * (the cursor in unix seconds, a deleted flag, Airbyte's `_ab_cdc_deleted_at`); an n8n item
 * carries instead what a workflow branches on: how the customer changed, when (ISO 8601, like
 * the model's dates), and whether it is gone. Prefixed with `_stripe_`, which the Customer Model
 * reserves, so they never clash with the user's own fields.
 */
import type { INodeExecutionData } from 'n8n-workflow';
import { CDC_DELETED_AT, type EmittedRecord, type RecordLayout } from './engine';

/** listed (an import), created, updated, or deleted (in Stripe, or no longer matching). */
export const CHANGE_FIELD = '_stripe_change';

/**
 * When the change happened (the Stripe event's time); for a listed customer, the time the
 * import's reading is as of.
 */
export const CHANGED_AT_FIELD = '_stripe_changed_at';

/** true when the change is a deletion: deleted in Stripe, or no longer matching the filter. */
export const DELETED_FIELD = '_stripe_deleted';

/** Unix seconds → 2024-01-31T10:00:00Z, the form the Customer Model gives datetimes. */
function isoSeconds(seconds: unknown): string | null {
  return typeof seconds === 'number' && Number.isFinite(seconds)
    ? new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
    : null;
}

/** The engine's record as an n8n item paired to input item `item`. */
export function toItem(
  emitted: EmittedRecord,
  layout: RecordLayout,
  item: number,
): INodeExecutionData {
  const fields = { ...emitted.record };
  const observedAt = fields[layout.cursorField];
  const deleted = fields[layout.deletedFlag] === true;
  delete fields[layout.cursorField];
  delete fields[layout.deletedFlag];
  delete fields[CDC_DELETED_AT];
  return {
    json: {
      ...fields,
      [CHANGE_FIELD]: emitted.change,
      [CHANGED_AT_FIELD]: isoSeconds(observedAt),
      [DELETED_FIELD]: deleted,
    },
    pairedItem: { item },
  };
}
