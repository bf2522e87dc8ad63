import { LISTED_SKIPS, SkipTally, type SkippedCustomer } from '../../connector';

/**
 * Words the customers a pipeline skipped after errors (`on_error: skip`) in the standalone's
 * words: one WARN line each for the first few (the engine's SkipTally decides how many, as for
 * every shell), then one line with how many more. Customers the transformation skipped on
 * purpose (it returned null) are not warnings; the summary counts them.
 */
export class SkipWarnings {
  private readonly tally = new SkipTally();

  /** The lines to print now, for customers skipped since the last call. */
  lines(customers: SkippedCustomer[]): string[] {
    return this.tally
      .add(customers)
      .map(
        (customer) =>
          `skipped customer ${customer.id}${customer.account ? ` of account ${customer.account}` : ''}${customer.reason ? `: ${customer.reason}` : ''} (on_error: skip; its row from earlier runs is kept).`,
      );
  }

  /** The line for those not printed one by one, once the run is over. */
  closing(): string | undefined {
    const hidden = this.tally.unlisted;
    if (hidden === 0) return undefined;
    return `and ${hidden} more customer(s) skipped after errors, not listed one by one (the first ${LISTED_SKIPS} are above; the summary counts them all).`;
  }
}
