/**
 * Dense accounts: customers created many per second (bulk imports, migrations) and events many per
 * second (bulk updates), beside the sparse accounts the emulator seeds by default, where a second
 * rarely holds more than one customer.
 *
 * Stripe's docs say nothing about how many customers or events can share one `created` second.
 * The emulator assumes the worst public integrations report: Stripe's own sync engine had to stop
 * assuming that a list cursor can drain a second (its pagination fix re-queries a busy second by
 * timestamp), and an import or a migration writes thousands of customers a second. So a bulk
 * import here puts up to `perSecond` customers (default 3,000) in each of its seconds, pausing now
 * and then (some seconds of an import stay empty), and a bulk update changes up to
 * `eventBurstMax` customers (default 2,000) in one second, each with its own `customer.updated`.
 */
import type { Rng } from './prng.js';

export interface DenseAccount {
  /** Share of the customers (0..1) created by bulk imports instead of one by one. */
  bulkImportShare: number;
  /** Customers of one bulk import: uniform from 2 to this (capped by what is left to seed). */
  bulkImportMax: number;
  /** Customers a bulk import writes in one of its seconds: uniform from 1 to this. */
  perSecond: number;
  /** Customers one bulk update changes in one second (their `customer.updated` events). */
  eventBurstMax: number;
}

/** `--dense`: the worst case above, for a test or a benchmark that wants it without tuning. */
export const DENSE_ACCOUNT: DenseAccount = {
  bulkImportShare: 0.5,
  bulkImportMax: 20_000,
  perSecond: 3_000,
  eventBurstMax: 2_000,
};

/** Within a bulk import, the share of its seconds that stay empty (the importer pausing). */
const PAUSED_SECONDS = 0.2;
/** Share of the customers that bulk updates change within the event retention. */
const BULK_UPDATED_SHARE = 0.05;

/** Throws a TypeError naming the field when a value is malformed. */
export function validateDense(dense: Partial<DenseAccount> | undefined): void {
  if (dense === undefined) return;
  const share = dense.bulkImportShare;
  if (share !== undefined && !(typeof share === 'number' && share >= 0 && share <= 1)) {
    throw new TypeError(
      `dense.bulkImportShare must be a number from 0 to 1, got ${JSON.stringify(share)}`,
    );
  }
  for (const name of ['bulkImportMax', 'perSecond', 'eventBurstMax'] as const) {
    const value = dense[name];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 1)) {
      throw new TypeError(
        `dense.${name} must be a whole number >= 1, got ${JSON.stringify(value)}`,
      );
    }
  }
}

/** The preset with the given fields changed. */
export function denseAccount(overrides: Partial<DenseAccount> = {}): DenseAccount {
  validateDense(overrides);
  return { ...DENSE_ACCOUNT, ...overrides };
}

/**
 * Creation times of `count` bulk-imported customers, oldest first: imports of 2 to
 * `bulkImportMax` customers each, starting at `startOf()` (a second drawn like a one-by-one
 * signup's), then writing 1 to `perSecond` customers a second with some seconds empty. Never later
 * than `latest`.
 */
export function bulkImportTimes(
  rng: Rng,
  count: number,
  dense: DenseAccount,
  startOf: () => number,
  latest: number,
): number[] {
  const times: number[] = [];
  while (times.length < count) {
    const size = Math.min(count - times.length, rng.int(2, Math.max(2, dense.bulkImportMax)));
    // An import that would run past `latest` starts early enough to end by then.
    const seconds = Math.ceil((size / ((dense.perSecond + 1) / 2)) * (1 + PAUSED_SECONDS)) + 1;
    let second = Math.min(startOf(), latest - seconds);
    for (let left = size; left > 0; second++) {
      if (rng.chance(PAUSED_SECONDS)) continue;
      const inSecond = Math.min(left, rng.int(1, dense.perSecond));
      for (let i = 0; i < inSecond; i++) times.push(Math.min(second, latest));
      left -= inSecond;
    }
  }
  return times.sort((a, b) => a - b);
}

/** How many customers bulk updates change in an account of `count` customers. */
export function bulkUpdatedCount(count: number): number {
  return Math.floor(count * BULK_UPDATED_SHARE);
}
