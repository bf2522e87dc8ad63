/**
 * How the code transformers (JavaScript, Python) drive their sandbox: one batch at a time, and
 * customer by customer once a batch has broken the sandbox.
 */
import type { TransformOutcome, Transformer } from './types';

type Customers = ReadonlyArray<Record<string, unknown>>;
type RunBatch = (customers: Customers) => Promise<TransformOutcome[]>;

/**
 * A Transformer over `runBatch` that queues batches: a sandbox runs one batch at once, and a
 * batch that fails must not stop the ones queued after it. `close` waits for the queue, then
 * `release`s the sandbox; batches given after that are refused.
 */
export function oneBatchAtATime(
  language: string,
  runBatch: RunBatch,
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
 * Runs each customer as a batch of its own: after the sandbox died under a batch without saying
 * on which customer, this finds the one responsible while the others still transform.
 */
export async function runEachAlone(
  customers: Customers,
  runBatch: RunBatch,
): Promise<TransformOutcome[]> {
  const outcomes: TransformOutcome[] = [];
  for (const customer of customers) outcomes.push(...(await runBatch([customer])));
  return outcomes;
}
