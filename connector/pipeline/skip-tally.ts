import type { SkippedCustomer } from './shape';

/** Customers skipped after errors that a shell lists one by one per pipeline run. */
export const LISTED_SKIPS = 10;

/**
 * A pipeline run's skipped customers as a shell reports them: the first LISTED_SKIPS skipped
 * after errors one by one, the rest only counted, so a transformation that fails on every one
 * of a million customers costs a dozen log lines, not a million. Customers the transformation
 * skipped on purpose (it returned null) are only counted.
 */
export class SkipTally {
  afterErrors = 0;
  byTransformation = 0;

  /** Counts `customers`; returns those to list now (skipped after errors, within the cap). */
  add(customers: readonly SkippedCustomer[]): SkippedCustomer[] {
    const listed: SkippedCustomer[] = [];
    for (const customer of customers) {
      if (customer.cause === 'transformation') {
        this.byTransformation++;
        continue;
      }
      this.afterErrors++;
      if (this.afterErrors <= LISTED_SKIPS) listed.push(customer);
    }
    return listed;
  }

  /** Skipped after errors but not listed one by one. */
  get unlisted(): number {
    return Math.max(0, this.afterErrors - LISTED_SKIPS);
  }
}
