/**
 * What a key without "Events: Read" means for each part of the package, in its own words. The
 * engine decides whether a run can read events (one request, before an incremental run reads
 * anything) and says so in its answer (run-pipeline.ts); the nodes only say which of their
 * features needs the permission, and that the rest works.
 */
import { ConnectorError, EVENTS_PERMISSION_STEPS, MissingPermissionError } from './engine';

/** The feature that cannot run without the events. */
export type EventsNeededBy = 'onlyChanged' | 'trigger';

const HOW = `To enable it: ${EVENTS_PERMISSION_STEPS}.`;

export function eventsPermissionMissing(neededBy: EventsNeededBy): string {
  switch (neededBy) {
    case 'onlyChanged':
      return `"Only Changed Since Last Run" reads changes from Stripe’s event log and needs the "Events: Read" permission, which this API key lacks. Customers are readable: with "Only Changed Since Last Run" off, the node imports every matching customer. ${HOW}`;
    case 'trigger':
      return `The Stripe Customers Trigger reads changes from Stripe’s event log and needs the "Events: Read" permission, which this API key lacks. Customers are readable: the Stripe Customers node imports them (without "Only Changed Since Last Run"). ${HOW}`;
  }
}

/** The error `neededBy` fails with: a 403 config error, so n8n treats it as the credential's. */
export function eventsUnreadable(neededBy: EventsNeededBy, cause?: unknown): ConnectorError {
  return new ConnectorError('config', eventsPermissionMissing(neededBy), {
    origin: 'stripe',
    httpStatus: 403,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Whether the engine failed because the key may not read events (Stripe's 403 on them). */
export function isEventsRefusal(error: unknown): boolean {
  return error instanceof MissingPermissionError && error.resource === 'events';
}
