/**
 * How the code transformers (JavaScript, Python) drive their sandbox: one batch at a time; a
 * batch that stops on one customer (a timeout, a crash) goes on after it on a fresh sandbox; and
 * code that times out on customer after customer stops the pipeline within seconds.
 */
import { DataError } from '../errors';
import { field, words } from '../words';
import type { TransformationPlace, TransformOutcome, Transformer } from './types';

type Customers = ReadonlyArray<Record<string, unknown>>;
type ErrorOutcome = Extract<TransformOutcome, { kind: 'error' }>;

/**
 * One run of a batch in the sandbox: every outcome, or the customer it stopped on. A sandbox
 * stops a batch at a customer that timed out (the time limit interrupts the whole run) or broke
 * it (a crash, memory exhausted); it is replaced before the next attempt.
 */
export type BatchAttempt =
  | { kind: 'done'; outcomes: TransformOutcome[] }
  | {
      kind: 'stopped';
      /** The customer it stopped on, or -1 when the sandbox could not say which. */
      index: number;
      failure: ErrorOutcome;
      /** The outcomes of the customers before it, when the sandbox kept them. */
      before?: TransformOutcome[];
    };

/**
 * A Transformer over `runBatch` that queues batches: a sandbox runs one batch at once, and a
 * batch that fails must not stop the ones queued after it. `close` waits for the queue, then
 * `release`s the sandbox; batches given after that are refused.
 */
export function oneBatchAtATime(
  language: string,
  runBatch: (customers: Customers) => Promise<TransformOutcome[]>,
  release: () => void | Promise<void>,
): Transformer {
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    transformBatch(customers) {
      if (closed) return Promise.reject(new Error(`the ${language} transformer is closed`));
      if (customers.length === 0) return Promise.resolve([]);
      const result = queue.then(() => runBatch(customers));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      closed = true;
      await queue;
      await release();
    },
  };
}

/**
 * Transforms `customers` through `attempt`, in their order: when a batch stops on a customer,
 * that customer gets the failure and the batch goes on after it (the customers before it are
 * run again if the sandbox lost their outcomes); when the sandbox cannot say on which customer
 * it stopped, each customer runs alone to find the one responsible. Every outcome passes
 * through `streak` in customer order, which may stop the whole run.
 */
export async function transformInOrder(
  customers: Customers,
  attempt: (customers: Customers) => Promise<BatchAttempt>,
  streak: TimeoutStreak,
): Promise<TransformOutcome[]> {
  if (customers.length === 0) return [];
  const result = await attempt(customers);
  if (result.kind === 'done') {
    streak.observe(customers, result.outcomes);
    return result.outcomes;
  }
  const { index, failure } = result;
  if (index < 0 || index >= customers.length) {
    if (customers.length === 1) {
      streak.observe(customers, [failure]);
      return [failure];
    }
    const outcomes: TransformOutcome[] = [];
    for (const customer of customers) {
      outcomes.push(...(await transformInOrder([customer], attempt, streak)));
    }
    return outcomes;
  }
  const head = customers.slice(0, index);
  let before: TransformOutcome[];
  if (result.before && result.before.length === index) {
    before = result.before;
    streak.observe(head, before);
  } else {
    before = await transformInOrder(head, attempt, streak);
  }
  streak.observe(customers.slice(index, index + 1), [failure]);
  const after = await transformInOrder(customers.slice(index + 1), attempt, streak);
  return [...before, failure, ...after];
}

/** Customers in a row whose transformation timed out before the pipeline stops. */
export const STUCK_AFTER_TIMEOUTS = 3;

/**
 * Counts the customers in a row whose transformation timed out. Code that hangs (an endless
 * loop, a sleep, a wait that never ends) times out on every customer, and with `on_error: skip`
 * that would cost `timeout_ms` per customer, hours for a large account: at
 * STUCK_AFTER_TIMEOUTS in a row the pipeline stops instead, whatever `on_error` says. Any other
 * outcome (a record, a skip, another error) breaks the row.
 */
export class TimeoutStreak {
  private ids: string[] = [];

  /** `place`: where the transformation is in the config, e.g. `["pipelines", 0, "transformation"]`. */
  constructor(
    private readonly timeoutMs: number,
    private readonly place: TransformationPlace,
  ) {}

  /** Notes the outcomes of `customers`, in order; throws a DataError when the row is complete. */
  observe(customers: Customers, outcomes: readonly TransformOutcome[]): void {
    outcomes.forEach((outcome, index) => {
      if (outcome.kind !== 'error' || !outcome.timedOut) {
        this.ids = [];
        return;
      }
      this.ids.push(String(customers[index]?.id));
      if (this.ids.length >= STUCK_AFTER_TIMEOUTS) {
        const stuck = this.stuck();
        this.ids = [];
        throw stuck;
      }
    });
  }

  private stuck(): DataError {
    const { at, names } = this.place;
    const timeout = field([...at, 'timeout_ms']);
    return new DataError(
      {
        at: [...at, 'source'],
        problem: words`transform() ran longer than ${timeout} (${this.timeoutMs} ms) for ${this.ids.length} customers in a row (${this.ids.join(', ')}): the code looks stuck (an endless loop, a long sleep or a wait that never ends), so the pipeline stopped at once, whatever ${field([...at.slice(0, -1), 'on_error'])} says`,
        fix: words`fix the code, or raise ${timeout} if one customer really needs that long; the next run continues from the last checkpoint`,
      },
      names ? { names } : {},
    );
  }
}
