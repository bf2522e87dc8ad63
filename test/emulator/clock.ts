/**
 * The emulator's clock. It runs with real time from a chosen start and can be pushed forward
 * (never back, since Stripe's time never goes back), so tests can age events past the 30-day
 * retention or make "new" changes without waiting. The `Date` header is set from it, because the
 * connector reads server time from that header.
 */
export class Clock {
  private readonly startMs: number;
  private readonly startPerf: number;
  private offsetMs = 0;

  constructor(startSeconds?: number) {
    this.startMs = startSeconds !== undefined ? startSeconds * 1000 : Date.now();
    this.startPerf = performance.now();
  }

  nowMs(): number {
    return this.startMs + (performance.now() - this.startPerf) + this.offsetMs;
  }

  /** Unix seconds. */
  now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError('advance_seconds must be a non-negative number');
    }
    this.offsetMs += seconds * 1000;
  }
}
