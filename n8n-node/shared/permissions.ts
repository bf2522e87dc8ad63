/**
 * What a key without "Events: Read" means for each part of the package, in its own words. The
 * engine refuses an incremental run with such a key before reading anything; the nodes find out
 * the same way (probeAccess) on their first run, so they can say which of their features needs
 * the permission, and that the rest works.
 */
import {
  ConnectorError,
  EVENTS_PERMISSION_STEPS,
  probeAccess,
  type StripeAccess,
  type StripePort,
} from './engine';

/** Who needs the events: the credential test (a note), or the feature that cannot run. */
export type EventsNeededBy = 'credential' | 'onlyChanged' | 'trigger';

const HOW = `To enable it: ${EVENTS_PERMISSION_STEPS}.`;

export function eventsPermissionMissing(neededBy: EventsNeededBy): string {
  switch (neededBy) {
    case 'credential':
      return `The Stripe Customers Trigger and "Only Changed Since Last Run" read changes from Stripe’s event log and also need the "Events: Read" permission, which this key lacks. ${HOW}`;
    case 'onlyChanged':
      return `"Only Changed Since Last Run" reads changes from Stripe’s event log and needs the "Events: Read" permission, which this API key lacks. Customers are readable: with "Only Changed Since Last Run" off, the node imports every matching customer. ${HOW}`;
    case 'trigger':
      return `The Stripe Customers Trigger reads changes from Stripe’s event log and needs the "Events: Read" permission, which this API key lacks. Customers are readable: the Stripe Customers node imports them (without "Only Changed Since Last Run"). ${HOW}`;
  }
}

/**
 * Reads one customer and one event. Throws what stops everything (a rejected key, no Customers:
 * Read, a wrong connected account) as the engine reports it, and a missing Events: Read as a 403
 * config error in `neededBy`'s words.
 */
export async function requireEvents(
  stripe: StripePort,
  neededBy: Exclude<EventsNeededBy, 'credential'>,
): Promise<StripeAccess> {
  const access = await probeAccess(stripe);
  if (!access.events.readable) {
    throw new ConnectorError('config', eventsPermissionMissing(neededBy), {
      origin: 'stripe',
      httpStatus: 403,
    });
  }
  return access;
}
