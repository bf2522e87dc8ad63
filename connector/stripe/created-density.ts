/**
 * How densely customers were created along `created`, learned from what a full import has read
 * so far: every page, and every finished search chunk, says how many customers a stretch of
 * seconds held. The import cuts its slices with it, to a number of pages.
 *
 * Why a map and not one figure: customers are far denser in some periods than in others (years
 * of growth, a launch, a busy season). Sizing a search chunk from the density of the last chunk
 * read elsewhere gave chunks from a tenth to twelve times the pages asked for: many nearly empty
 * requests, and the odd chunk of a hundred pages read one after the other at the end of the run.
 *
 * The density is piecewise constant: each observation holds from halfway to the observation before
 * it to halfway to the one after it, and the first and last ones beyond. Before the first
 * observation nothing can be estimated (callers read one page first).
 */
interface Observation {
  /** The middle of the stretch observed. */
  at: number;
  /** Seconds of `created` per customer there. */
  secondsPerCustomer: number;
}

/** Observations kept; beyond it, every other one is dropped (the map gets coarser, not shorter). */
const MAX_OBSERVATIONS = 4096;

export class CreatedDensity {
  private observations: Observation[] = [];

  /** `customers` customers were created in [gte, lte] (inclusive seconds). */
  observe(gte: number, lte: number, customers: number): void {
    const seconds = lte - gte + 1;
    // An empty stretch is sparser than one customer in it; say half a customer.
    const observation = {
      at: (gte + lte) / 2,
      secondsPerCustomer: seconds / Math.max(customers, 0.5),
    };
    const index = this.firstAtOrAfter(observation.at);
    this.observations.splice(index, 0, observation);
    if (this.observations.length > MAX_OBSERVATIONS) {
      this.observations = this.observations.filter((_, i) => i % 2 === 0);
    }
  }

  get empty(): boolean {
    return this.observations.length === 0;
  }

  /** Estimated customers created in [gte, lte] (inclusive seconds). */
  customersIn(gte: number, lte: number): number {
    let customers = 0;
    for (const piece of this.piecesFrom(gte)) {
      const to = Math.min(piece.end, lte + 1);
      customers += (to - piece.from) / piece.secondsPerCustomer;
      if (to >= lte + 1) break;
    }
    return customers;
  }

  /**
   * The last second of the stretch that starts at `gte` and holds about `customers` customers
   * (at least `gte` itself).
   */
  endFor(gte: number, customers: number): number {
    let left = customers;
    for (const piece of this.piecesFrom(gte)) {
      const holds = (piece.end - piece.from) / piece.secondsPerCustomer;
      if (holds >= left) {
        return Math.max(gte, Math.floor(piece.from + left * piece.secondsPerCustomer) - 1);
      }
      left -= holds;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** The pieces of the density from second `from` on, the first one starting at `from`. */
  private *piecesFrom(
    from: number,
  ): Generator<{ from: number; end: number; secondsPerCustomer: number }> {
    const points = this.observations;
    if (points.length === 0) return;
    // The piece of observation i ends halfway to observation i + 1.
    const endOf = (i: number) => {
      const next = points[i + 1];
      return next ? ((points[i] as Observation).at + next.at) / 2 : Number.POSITIVE_INFINITY;
    };
    let i = Math.max(0, this.firstAtOrAfter(from) - 1);
    while (i < points.length - 1 && endOf(i) <= from) i++;
    let start = from;
    for (; i < points.length; i++) {
      const end = endOf(i);
      yield { from: start, end, secondsPerCustomer: (points[i] as Observation).secondsPerCustomer };
      start = end;
    }
  }

  /** Index of the first observation at `at` or later (binary search). */
  private firstAtOrAfter(at: number): number {
    let low = 0;
    let high = this.observations.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.observations[middle] as Observation).at < at) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
