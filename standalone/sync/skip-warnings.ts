import type { SkippedCustomer } from '../../connector';

/** WARN lines per pipeline run for customers skipped after errors: enough to see why, not a flood. */
export const SHOWN_SKIPS = 10;

/**
 * Words the customers a pipeline skipped after errors (`on_error: skip`): one WARN line each for
 * the first ten, then one line with how many more. Customers the transformation skipped on
 * purpose (it returned null) are not warnings; the summary counts them.
 */
export class SkipWarnings {
  private shown = 0;
  private hidden = 0;

  constructor(private readonly limit = SHOWN_SKIPS) {}

  /** The lines to print now, for customers skipped since the last call. */
  lines(customers: SkippedCustomer[]): string[] {
    const lines: string[] = [];
    for (const customer of customers) {
      if (customer.cause !== 'error') continue;
      if (this.shown < this.limit) {
        this.shown++;
        lines.push(
          `skipped customer ${customer.id}${customer.reason ? `: ${customer.reason}` : ''} (on_error: skip; its row from earlier runs is kept).`,
        );
      } else {
        this.hidden++;
      }
    }
    return lines;
  }

  /** The line for those not printed one by one, once the run is over. */
  closing(): string | undefined {
    if (this.hidden === 0) return undefined;
    return `and ${this.hidden} more customer(s) skipped after errors, not listed one by one (the first ${this.shown} are above; the summary counts them all).`;
  }
}
