/**
 * Customers rendered in an older Stripe API version, from Stripe's API changelog. Stripe renders
 * an event's payload (`data.object` and `previous_attributes`) in the account's default API
 * version at the time of the event, and a request's response in the request's `Stripe-Version`
 * (the SDK pins one), so the same customer can have different shapes in an event and in a
 * retrieve. Three real breaking changes are modelled:
 *
 * - 2019-10-17 "Renames account_balance to balance on Customer object": before it, the field is
 *   `account_balance` (and `balance` is absent; also in `previous_attributes`).
 * - 2019-12-03 "Removes deprecated tax information fields from the Customer object": before it,
 *   customers carry `tax_info` and `tax_info_verification` (null here: no tax info is modelled).
 * - 2020-08-27 "Customer sources / subscriptions / tax IDs are no longer auto-expanded": before
 *   it, customers include `sources`, `subscriptions` and `tax_ids` lists (empty here).
 *
 * Additive changes (new fields) reach every version at Stripe, so they are not version-gated.
 * Older changes (e.g. 2018-08-23's `business_vat_id` -> `tax_info`) are not modelled.
 */
import type { Customer } from './model.js';

const BALANCE_RENAMED = '2019-10-17';
const TAX_INFO_REMOVED = '2019-12-03';
const LISTS_NOT_EXPANDED = '2020-08-27';

/** Whether `version` (e.g. `2019-09-09`, `2026-10-28.endive`) predates `date`. */
export function isBefore(version: string, date: string): boolean {
  return version.slice(0, 10) < date;
}

/** Whether any modelled change applies: cheap fast path for the SDK's (current) version. */
export function isLegacy(version: string): boolean {
  return isBefore(version, LISTS_NOT_EXPANDED);
}

/** A customer (or any other object, unchanged) in `version`'s shape. */
export function renderObject<T extends object>(object: T, version: string): object {
  if (!isLegacy(version) || !isCustomer(object)) return object;
  return renderCustomer(object, version);
}

function isCustomer(object: object): object is Customer {
  return (object as { object?: unknown }).object === 'customer' && !('deleted' in object);
}

function renderCustomer(c: Customer, version: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const renamed = isBefore(version, BALANCE_RENAMED);
  for (const [key, value] of Object.entries(c)) {
    if (key === 'balance' && renamed) out.account_balance = value;
    else out[key] = value;
  }
  if (isBefore(version, TAX_INFO_REMOVED)) {
    out.tax_info = null;
    out.tax_info_verification = null;
  }
  if (isBefore(version, LISTS_NOT_EXPANDED)) {
    for (const list of ['sources', 'subscriptions', 'tax_ids']) {
      out[list] = {
        object: 'list',
        data: [],
        has_more: false,
        total_count: 0,
        url: `/v1/customers/${c.id}/${list}`,
      };
    }
  }
  return out;
}

/** `previous_attributes` of a customer in `version`: renamed fields carry their old names. */
export function renderPreviousAttributes(
  previous: Record<string, unknown>,
  version: string,
): Record<string, unknown> {
  if (!('balance' in previous) || !isBefore(version, BALANCE_RENAMED)) return previous;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(previous)) {
    out[key === 'balance' ? 'account_balance' : key] = value;
  }
  return out;
}
