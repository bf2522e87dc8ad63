import type { StripePort } from '../stripe/port';
import { eventsAlreadyReflected } from './overlap';
import { incrementalState, type SingleAccountState } from './state';

/**
 * A state that skips the existing customers: change tracking starts at Stripe's current time.
 * For "start from now" first polls (n8n trigger), where only future changes are wanted. The events
 * of the overlap before it are marked processed, so they are not reported as new changes.
 */
export async function stateStartingNow(
  api: StripePort,
  fingerprint: string,
  settleSeconds: number,
  overlapSeconds = 300,
): Promise<SingleAccountState> {
  const probe = await api.listCustomerEvents({ created: { gte: 0 }, limit: 1 });
  const cursor = probe.serverTime - settleSeconds;
  const seen = await eventsAlreadyReflected(api, cursor, overlapSeconds);
  return incrementalState(cursor, seen, overlapSeconds, fingerprint);
}
