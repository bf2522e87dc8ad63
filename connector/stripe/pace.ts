/**
 * A steady pace of requests that also holds in every one-second window, which is how Stripe
 * counts its limits.
 *
 * Requests are spaced in virtual time (the generic cell rate algorithm without a burst): each
 * books the next free slot, `1000 / perSecond` ms after the one before, computed from the slot
 * before and not from when a timer happened to fire. A token bucket that refills from wake-up
 * times (the `limiter` package this replaced) starts every wait late from the last one and rounds
 * waits up to whole milliseconds: its pace, measured over a minute, was 3–4% under the one asked
 * for, a page a second at Stripe's 25/s.
 *
 * Slots alone would let requests whose timers fired late (a busy event loop) go out back to back
 * and crowd a one-second window, so each request also waits, at the moment it would go out, until
 * the last `perSecond` requests sent span at least a second, and until most of a slot has passed
 * since the request before it: late requests catch up with their slots a little at a time, never
 * in a burst that a limiter counting arrivals would see as more than the pace.
 */
export class Pace {
  /** The first slot not booked yet (ms). */
  private nextSlotMs = Number.NEGATIVE_INFINITY;
  /** When the latest requests actually went out (ms), oldest first. */
  private readonly sent: number[] = [];

  /** `perSecond` may be changed at any time; what is booked from then on follows it. */
  constructor(public perSecond: number) {}

  /** Books the next free slot at `nowMs` or later; returns it. */
  book(nowMs: number): number {
    const slot = Math.max(nowMs, this.nextSlotMs);
    this.nextSlotMs = slot + 1000 / this.perSecond;
    return slot;
  }

  /**
   * How long a request must still wait at `nowMs`: for the last second to have room for it, and
   * for the shortest gap after the request before it.
   */
  sendWaitMs(nowMs: number): number {
    const perWindow = Math.max(1, Math.floor(this.perSecond));
    const oldest = this.sent[this.sent.length - perWindow];
    const previous = this.sent.at(-1);
    return Math.max(
      oldest === undefined ? 0 : oldest + 1000 - nowMs,
      previous === undefined ? 0 : previous + MIN_GAP_OF_SLOT * (1000 / this.perSecond) - nowMs,
    );
  }

  /** A request went out at `nowMs`. */
  recordSent(nowMs: number): void {
    this.sent.push(nowMs);
    // Only the last `perSecond` sends are ever looked at; trim now and then, not on every send.
    if (this.sent.length > 2 * MAX_KEPT) this.sent.splice(0, this.sent.length - MAX_KEPT);
  }
}

/** The shortest gap between two requests of a pace, as a share of its slot. */
const MIN_GAP_OF_SLOT = 0.8;
/** More sends than any pace looks back at (Stripe's largest limit is 100 requests/s). */
const MAX_KEPT = 128;

/**
 * Waits until a request may go out: a slot of each of its `booked` paces in turn (its own first,
 * then any it shares with others, whose slots are the scarce ones), no earlier than
 * `notBeforeMs`, with room in the last second of every pace it counts toward (those and
 * `alsoCountsToward`: the account's, the platform's).
 */
export async function waitForTurn(
  booked: readonly Pace[],
  alsoCountsToward: readonly Pace[],
  notBeforeMs: () => number,
): Promise<void> {
  for (const pace of booked) await sleepUntil(pace.book(Date.now()));
  const paces = [...booked, ...alsoCountsToward];
  for (;;) {
    const nowMs = Date.now();
    const waitMs = Math.max(notBeforeMs() - nowMs, ...paces.map((pace) => pace.sendWaitMs(nowMs)));
    if (waitMs <= 0) break;
    await sleepUntil(nowMs + waitMs);
  }
  const sentAt = Date.now();
  for (const pace of paces) pace.recordSent(sentAt);
}

async function sleepUntil(atMs: number): Promise<void> {
  const waitMs = atMs - Date.now();
  if (waitMs > 0) await sleep(waitMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
