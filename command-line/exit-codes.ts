import { ConnectorError, type FailureKind } from '../connector';
import { unworded } from './worded-failure';

/**
 * Exit statuses of every command (the Airbyte ones, `sync` and `serve`), for an orchestrator
 * deciding whether to retry:
 * - 0: done;
 * - 1: a pipeline failed on a customer's data or on its code, or on a bug of ours (`data`,
 *   `system`): a rerun fails the same way until something changes;
 * - 2: the command line or the config is wrong (`config`): fix it, then rerun;
 * - 3: something was away or busy (Stripe or the warehouse unreachable, a lock held, a connection
 *   lost: `transient`): safe to retry as it is; nothing was lost;
 * - 143: stopped by SIGTERM at a checkpoint (128 + 15, as a shell reports it).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, transient: 3, stopped: 143 } as const;

const BY_KIND: Record<FailureKind, number> = {
  config: EXIT.usage,
  data: EXIT.failed,
  system: EXIT.failed,
  transient: EXIT.transient,
};

/** Anything that is not an engine error is a bug of ours: `system`. */
export function failureKindOf(failure: unknown): FailureKind {
  const error = unworded(failure);
  return error instanceof ConnectorError ? error.kind : 'system';
}

/**
 * The exit status for failures of these kinds (none: 0). When several pipelines failed for
 * different reasons, the one a retry will not fix wins (2, then 1), so an orchestrator never
 * retries in a loop what needs a person.
 */
export function exitCodeFor(kinds: Iterable<FailureKind>): number {
  const codes = new Set([...kinds].map((kind) => BY_KIND[kind]));
  for (const code of [EXIT.usage, EXIT.failed, EXIT.transient]) if (codes.has(code)) return code;
  return EXIT.ok;
}
