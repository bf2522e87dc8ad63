import type { StripeCustomer } from './customer-schema';

/**
 * Whether Stripe's customers list holds this customer, and so whether a full import can import
 * it. Stripe documents that the list leaves out customers attached to a test clock (a sandbox's
 * simulated time) unless asked for that clock, while their events are listed like any other's.
 * Incremental runs leave them out too, so that full imports and incremental runs agree on what a
 * pipeline holds. A customer's test clock is set when it is created and never changes, so such a
 * customer is never selected, by either kind of run.
 */
export function isListedByStripe(customer: StripeCustomer): boolean {
  return customer.test_clock === null || customer.test_clock === undefined;
}
