/**
 * `expand[]` as Stripe checks it: each endpoint offers the fields of its object that hold "an ID
 * or the object" (and the lists a customer includes only on request); on a list or a search
 * result they are named under `data.`. Anything else is refused with 400
 * `invalid_request_error`, in Stripe's words, before the object is even looked up (a bad expand
 * outranks a 404). `total_count` exists only on search results ("This field isn't included by
 * default. To include it in the response, expand the total_count field"): on an ordinary list
 * it is deprecated and refused like any other unknown property.
 *
 * The emulator performs the expansions it can (`total_count`; `data`, a no-op Stripe accepts)
 * and refuses the ones it does not model with a message saying so, rather than answering an
 * unexpanded ID as if it were the object.
 */
import { ApiError } from './errors.js';
import { arrayParam, type ParamValue } from './params.js';

/**
 * A customer's fields Stripe expands: IDs of other objects and the lists it includes only when
 * asked (Stripe's customer schema, `x-expansionResources` and the include-only lists).
 */
const CUSTOMER_EXPANDABLE = [
  'cash_balance',
  'default_source',
  'discount.customer',
  'discount.promotion_code',
  'invoice_credit_balance',
  'invoice_settings.default_payment_method',
  'sources',
  'subscriptions',
  'tax',
  'tax_ids',
  'test_clock',
] as const;

/** What an endpoint answers, for `expand[]`'s purposes. */
export type ExpandTarget =
  | 'customer'
  | 'customer_list'
  | 'customer_search'
  | 'event'
  | 'event_list'
  | 'source'
  | 'payment_method'
  | 'balance_transaction';

/** Expansions Stripe offers on each target, and the ones the emulator performs. */
const OFFERED: Record<ExpandTarget, { stripe: readonly string[]; emulated: readonly string[] }> = {
  customer: { stripe: CUSTOMER_EXPANDABLE, emulated: [] },
  customer_list: {
    stripe: ['data', ...CUSTOMER_EXPANDABLE.map((field) => `data.${field}`)],
    emulated: ['data'],
  },
  customer_search: {
    stripe: ['data', 'total_count', ...CUSTOMER_EXPANDABLE.map((field) => `data.${field}`)],
    emulated: ['data', 'total_count'],
  },
  // An event's `data.object` is a snapshot, not an ID: nothing of an event expands.
  event: { stripe: [], emulated: [] },
  event_list: { stripe: ['data'], emulated: ['data'] },
  source: { stripe: ['customer'], emulated: [] },
  payment_method: { stripe: ['customer'], emulated: [] },
  balance_transaction: { stripe: ['customer', 'credit_note', 'invoice'], emulated: [] },
};

function cannotExpand(message: string): ApiError {
  return new ApiError(400, { type: 'invalid_request_error', message });
}

/**
 * The `expand[]` values of a request to `target`, checked as Stripe checks them; returns them
 * (those the emulator performs) or throws Stripe's 400.
 */
export function expandParam(value: ParamValue | undefined, target: ExpandTarget): string[] {
  const wanted = arrayParam(value, 'expand') ?? [];
  const { stripe, emulated } = OFFERED[target];
  for (const path of wanted) {
    if (emulated.includes(path)) continue;
    if (stripe.includes(path)) {
      throw cannotExpand(`The Stripe emulator does not support expanding '${path}' (Stripe does).`);
    }
    const listed = target.endsWith('_list') || target === 'customer_search';
    throw cannotExpand(
      listed && stripe.includes(`data.${path}`)
        ? `This property cannot be expanded (${path}). You may want to try expanding 'data.${path}' instead.`
        : `This property cannot be expanded (${path}).`,
    );
  }
  return wanted;
}
