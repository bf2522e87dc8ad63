import { MissingPermissionError } from './stripe/errors';
import type { StripePort } from './stripe/port';

/** Where a restricted key's Events permission is switched on, in Stripe's Dashboard words. */
export const EVENTS_PERMISSION_STEPS =
  'Dashboard > Developers > API keys > (your restricted key) > Edit, set "Events" (under "All core resources") to Read, and save';

/** What the configured key may do. Customers must be readable, or nothing works at all. */
export interface StripeAccess {
  /** Whether GET /v1/events works: incremental imports need it. */
  events: { readable: true } | { readable: false; reason: string };
  /** Stripe's clock at the probe (unix seconds). */
  serverTime: number;
}

/**
 * Finds out what the key can do with two cheap requests (one customer, one event). A key that
 * cannot read customers, a bad key, an unreachable API or a wrong `account_id` throws: no sync
 * mode works without them. A key that only lacks Events: Read is usable for full imports.
 */
export async function probeAccess(stripe: StripePort): Promise<StripeAccess> {
  const { serverTime } = await stripe.listCustomers({ limit: 1 });
  return { events: await probeEvents(stripe, serverTime), serverTime };
}

/** Whether the key may read events, with one request for one recent event. */
export async function probeEvents(
  stripe: StripePort,
  now = Math.floor(Date.now() / 1000),
): Promise<StripeAccess['events']> {
  try {
    await stripe.listCustomerEvents({ created: { gte: now - 60 }, limit: 1 });
    return { readable: true };
  } catch (error) {
    // Only a missing Events permission: a refused account (also a 403) is `account_id`'s problem.
    if (error instanceof MissingPermissionError && error.resource === 'events') {
      return { readable: false, reason: error.message };
    }
    throw error;
  }
}

/** Why a pipeline cannot be incremental with this key, and how to make it so. */
export function eventsPermissionAdvice(): string {
  return (
    'This API key may not read events, so only full imports are possible: incremental imports ' +
    'read changes from Stripe\'s event log and need the "Events: Read" ' +
    `permission. To enable them: ${EVENTS_PERMISSION_STEPS}.`
  );
}
