import type { StripePort } from '../stripe/port';
import type { PipelineState } from './state';

/**
 * A state that skips the existing customers: change tracking starts at Stripe's current time.
 * For "start from now" first polls (n8n trigger), where only future changes are wanted.
 */
export async function stateStartingNow(
  api: StripePort,
  fingerprint: string,
  settleSeconds: number,
): Promise<PipelineState> {
  const probe = await api.listCustomerEvents({ created: { gte: 0 }, limit: 1 });
  return {
    version: 1,
    phase: 'incremental',
    events_cursor: probe.serverTime - settleSeconds,
    fingerprint,
  };
}
