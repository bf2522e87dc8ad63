/**
 * `javascript` transformations, run in QuickJS compiled to WebAssembly (quickjs-emscripten): a
 * separate JavaScript engine with its own heap, so user code has no way to reach Node's objects
 * (no process, require, import of host modules, timers, file system or network: the context is
 * created with QuickJS' plain intrinsics only and no host functions are installed in it).
 *
 * The source must define `transform(customer)` (a function declaration, or `const transform =
 * (c) => ...`), or evaluate to a function (a bare arrow function or function expression). It
 * returns a plain object (the raw record), or `null` to skip the customer; `undefined`, arrays,
 * Promises and other values are errors.
 *
 * Limits: each customer has `timeout_ms` (default 1000) of run time, enforced by QuickJS'
 * interrupt handler (uncatchable for user code). Memory: QuickJS' heap limit is
 * `memory_limit_mb` (default 128) and, because that limit does not see every allocation, each
 * sandbox is a QuickJS WebAssembly instance of its own whose memory cannot grow past
 * `memory_limit_mb` + 16 MB. QuickJS' stack is limited to 256 KB (about 1,300 nested calls) so
 * runaway recursion ends as a "stack overflow" error inside the sandbox. A customer that times
 * out or runs out of memory gets an error; the sandbox is then replaced (a new instance, the
 * source evaluated again) and the batch continues with the next customer. Timeouts on
 * STUCK_AFTER_TIMEOUTS customers in a row stop the pipeline (see sandbox-batches.ts).
 *
 * Customers go in as one JSON string per batch and results come back as one JSON string: one
 * sandbox crossing per batch, no host call per customer.
 */
import { parseBatchOutput } from './code-results';
import { QuickJsSandbox, isSandboxFailure } from './javascript/sandbox';
import {
  type BatchAttempt,
  TimeoutStreak,
  oneBatchAtATime,
  transformInOrder,
} from './sandbox-batches';
import type { CodeLimits, TransformationPlace, Transformer } from './types';

export async function createJavaScriptTransformer(
  source: string,
  limits: CodeLimits,
  place: TransformationPlace,
): Promise<Transformer> {
  let sandbox: QuickJsSandbox | undefined = await QuickJsSandbox.create(source, limits, place);

  /** Drops the current sandbox (without freeing: it may be inconsistent) and loads a new one. */
  const replace = async (): Promise<QuickJsSandbox> => {
    sandbox = await QuickJsSandbox.create(source, limits, place);
    return sandbox;
  };

  /**
   * Runs `customers` in one crossing; a batch that dies on one customer (timeout, memory) is
   * stopped there and the sandbox replaced.
   */
  const attempt = async (
    customers: ReadonlyArray<Record<string, unknown>>,
  ): Promise<BatchAttempt> => {
    const current = sandbox ?? (await replace());
    let output: string;
    try {
      output = current.run(JSON.stringify(customers), customers.length);
    } catch (error) {
      if (!isSandboxFailure(error)) throw error;
      await replace();
      return {
        kind: 'stopped',
        // At the batch's length: it failed after every transform returned (e.g. the joined
        // output was too large), on a customer it cannot name.
        index: error.index < customers.length ? error.index : -1,
        failure: {
          kind: 'error',
          message: error.message,
          ...(error.timedOut ? { timedOut: true as const } : {}),
        },
      };
    }
    const outcomes = parseBatchOutput(output, customers.length);
    if (!outcomes) {
      await replace();
      return {
        kind: 'stopped',
        index: -1,
        failure: { kind: 'error', message: 'the sandbox returned an unexpected result' },
      };
    }
    if (
      outcomes.some((o) => o.kind === 'error' && /out of memory|stack overflow/i.test(o.message))
    ) {
      await replace();
    }
    return { kind: 'done', outcomes };
  };

  const streak = new TimeoutStreak(limits.timeoutMs, place);
  return oneBatchAtATime(
    'JavaScript',
    (customers) => transformInOrder(customers, attempt, streak),
    () => {
      sandbox?.dispose();
      sandbox = undefined;
    },
  );
}
