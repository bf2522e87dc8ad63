import type { StripePort } from '../stripe/port';
import { SeenEvents } from './seen-events';

/** How many pages of events a new cursor's overlap is read for, at most. */
const MAX_PAGES = 5;

/**
 * The events of the overlap before a new cursor (`[cursor - overlap, cursor)`), as seen when the
 * cursor is set: what they changed is already in what the run lists, so the first incremental
 * run skips them instead of emitting those customers again. Events listed later than this read
 * (late-listed) are not among them and are processed then: a repeat of a customer, never a loss.
 * Beyond MAX_PAGES the rest are processed again too, for the same reason.
 */
export async function eventsAlreadyReflected(
  api: StripePort,
  cursor: number,
  overlapSeconds: number,
): Promise<SeenEvents> {
  const seen = new SeenEvents();
  if (overlapSeconds <= 0) return seen;
  let startingAfter: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const events = await api.listCustomerEvents({
      created: { gte: cursor - overlapSeconds, lt: cursor },
      ...(startingAfter ? { startingAfter } : {}),
    });
    for (const event of events.items) seen.add(event);
    startingAfter = events.items.at(-1)?.id;
    if (!events.hasMore || !startingAfter) break;
  }
  return seen;
}
