import type { StripeCustomer } from '../stripe/customer-schema';
import type { Selection } from '../stripe/customer-changes';
import { isListedByStripe } from '../stripe/listed-customers';
import type { PipelineDefinition } from './definition';

/**
 * The customers a pipeline imports: those its filter matches among the customers Stripe's list
 * holds. Every path that decides (full imports, the event log, webhook deliveries) asks this, so
 * they agree on what a pipeline holds.
 */
export function pipelineSelection(pipeline: PipelineDefinition): Selection {
  const { selector } = pipeline;
  return {
    matches: (customer: StripeCustomer) => isListedByStripe(customer) && selector.matches(customer),
    fieldsRead: selector.fieldsRead,
  };
}
