/**
 * Late-listed events. Stripe's `GET /v1/events` is reported to be eventually consistent (not
 * documented; Estuary reads with a 1-minute lag, singer's tap-stripe re-reads a 5-minute
 * lookback, Sequin wrote up the same problem): an event can show up in the list some time after
 * its `created` second. The emulator draws, once per event and deterministically from the seed
 * and the event id, whether the event is late (with probability `share`) and how late (uniform in
 * (0, max] seconds). A late event is left out of the list until the emulator clock reaches
 * `created + delay`; then it appears in its place (same id, same `created`, same position).
 * Because the draws are fixed, changing `share` or `max` at runtime re-decides which events are
 * still hidden, consistently.
 *
 * Where Stripe is silent, the emulator assumes the worst plausible behaviour:
 * - retrieving a hidden event by id (`GET /v1/events/:id`) works: its id may be known from a
 *   webhook, and Stripe tells webhook consumers to retrieve the event to verify it;
 * - a hidden event is no list cursor: `starting_after` / `ending_before` on it answer 400
 *   `resource_missing`, as for an unknown id (the list index does not know it yet).
 */
import { mixSeed, Rng } from './prng.js';

export interface EventDraws {
  /** Uniform in [0, 1): the event is late when this is below the share. */
  late: number;
  /** Uniform in [0, 1): its delay is `max * (1 - delay)`, so in (0, max]. */
  delay: number;
}

export class EventDelays {
  private readonly rng = new Rng(0);

  constructor(private readonly seed: number) {}

  draw(eventId: string): EventDraws {
    this.rng.reseed(mixSeed(this.seed, hash(eventId)));
    return { late: this.rng.next(), delay: this.rng.next() };
  }
}

/** Unix seconds (fractional) from which an event is listed. */
export function listedFrom(
  created: number,
  draws: EventDraws,
  share: number,
  maxSeconds: number,
): number {
  if (share <= 0 || maxSeconds <= 0 || draws.late >= share) return created;
  return created + maxSeconds * (1 - draws.delay);
}

/** FNV-1a over the id's characters. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}
