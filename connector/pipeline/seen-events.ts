import { createHash } from 'node:crypto';

/**
 * The events already processed near the cursor. Stripe lists some events late (its event list is
 * eventually consistent), so every incremental run re-reads an overlap before its cursor; the
 * events it processed there before are skipped, so a late event is processed once and nothing is
 * emitted twice for the same event.
 *
 * Saved in the state as `[second, keys]` pairs, where a key is 12 characters of the event id's
 * SHA-256 (72 bits: a new event mistaken for a seen one is a 1 in 10^17 chance per pair, against
 * 28-character ids that would make a busy account's state twice as large).
 */
export type SavedSeenEvents = Array<[second: number, keys: string[]]>;

/**
 * At most this many keys are kept. Beyond it (an account with more than this many customer
 * events within the overlap), the oldest are dropped: their events, if listed again in the next
 * overlap, are processed again. A repeat, never a loss.
 */
export const MAX_SEEN_EVENTS = 20_000;

export class SeenEvents {
  private readonly bySecond = new Map<number, Set<string>>();

  static from(saved: SavedSeenEvents | undefined): SeenEvents {
    const seen = new SeenEvents();
    for (const [second, keys] of saved ?? []) {
      for (const key of keys) seen.addKey(second, key);
    }
    return seen;
  }

  get size(): number {
    let size = 0;
    for (const keys of this.bySecond.values()) size += keys.size;
    return size;
  }

  has(event: { id: string; created: number }): boolean {
    return this.bySecond.get(event.created)?.has(keyOf(event.id)) ?? false;
  }

  add(event: { id: string; created: number }): void {
    this.addKey(event.created, keyOf(event.id));
  }

  /**
   * What a checkpoint at `cursor` keeps: the events of the overlap before it (the next run
   * re-reads those) and any later ones already processed (a run resumed from this checkpoint
   * reads them again), newest first up to MAX_SEEN_EVENTS.
   */
  saved(cursor: number, overlapSeconds: number): SavedSeenEvents {
    const from = cursor - overlapSeconds;
    const seconds = [...this.bySecond.keys()].filter((s) => s >= from).sort((a, b) => b - a);
    const saved: SavedSeenEvents = [];
    let kept = 0;
    for (const second of seconds) {
      const keys = [...(this.bySecond.get(second) ?? [])];
      const room = MAX_SEEN_EVENTS - kept;
      if (room <= 0) break;
      const taken = keys.slice(0, room).sort();
      saved.push([second, taken]);
      kept += taken.length;
    }
    return saved.reverse();
  }

  private addKey(second: number, key: string): void {
    let keys = this.bySecond.get(second);
    if (!keys) this.bySecond.set(second, (keys = new Set()));
    keys.add(key);
  }
}

function keyOf(eventId: string): string {
  return createHash('sha256').update(eventId).digest('base64url').slice(0, 12);
}

/** Whether a saved value has the shape `saved()` writes. */
export function isSavedSeenEvents(value: unknown): value is SavedSeenEvents {
  return (
    Array.isArray(value) &&
    value.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length === 2 &&
        Number.isInteger(entry[0]) &&
        Array.isArray(entry[1]) &&
        entry[1].every((key: unknown) => typeof key === 'string' && key.length > 0),
    )
  );
}
