import { backOff } from 'exponential-backoff';
import { ConnectorError } from '../../connector';

/** How long to keep trying work that failed for a transient reason (a connection, a lock). */
export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/**
 * For what a person waits on (the pipelines page, the start of a command): about a second and
 * a half, then the error is shown and the next run tries again.
 */
export const QUICK: RetryPolicy = { attempts: 4, firstDelayMs: 200, maxDelayMs: 800 };

/**
 * For a run's own record (its row in the runs table, marked failed after the connection it
 * wrote on was lost): about 20 s, long enough for a server restart or a failover.
 */
export const PATIENT: RetryPolicy = { attempts: 9, firstDelayMs: 250, maxDelayMs: 4_000 };

export function isTransient(error: unknown): boolean {
  return error instanceof ConnectorError && error.kind === 'transient';
}

/** Runs `work`, again after a growing pause while it fails transiently; other failures at once. */
export function retryTransient<T>(work: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  return backOff(work, {
    numOfAttempts: policy.attempts,
    startingDelay: policy.firstDelayMs,
    maxDelay: policy.maxDelayMs,
    timeMultiple: 2,
    retry: (error: unknown) => isTransient(error),
  });
}
