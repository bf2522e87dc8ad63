/**
 * How the trigger keeps its polls apart and short: one poll at a time per workflow and node, and
 * a time budget that ends before the next scheduled poll (and soon at activation, which n8n
 * awaits).
 */
import { toCronExpression, type TriggerTime } from 'n8n-workflow';
import { shortestIntervalMs } from './cron-interval';

/** Share of a poll's time budget after which it stops at its next checkpoint. */
export const BUDGET_SHARE = 0.6;

/** The activation poll's budget: n8n waits for it before the workflow is active. */
export const ACTIVATION_BUDGET_MS = 20_000;

/** "Fetch Test Event" looks for matching customers for at most this long. */
export const TEST_EVENT_BUDGET_MS = 20_000;

const MINUTE_MS = 60_000;

/**
 * Polls in progress in this process, by `workflowId:nodeId`. n8n starts a poll on every tick of
 * the schedule without waiting for the previous one; two polls of one trigger would read the same
 * cursor, emit the same customers, and the last to finish could move the cursor back.
 */
const pollsInProgress = new Set<string>();

/** Claims the trigger's poll slot; false when a poll of it is still running in this process. */
export function claimPoll(key: string): boolean {
  if (pollsInProgress.has(key)) return false;
  pollsInProgress.add(key);
  return true;
}

export function releasePoll(key: string): void {
  pollsInProgress.delete(key);
}

/**
 * n8n creates one poll context when it activates a workflow, runs the activation poll with it
 * and reuses it for every scheduled poll; getActivationMode() answers the same for all of them.
 * So the first poll seen on a context is its activation poll. (n8n's durable scheduler, when
 * enabled, makes a context per scheduled poll: those then get the activation budget too, which
 * only makes them shorter.)
 */
const polledContexts = new WeakSet<object>();

export function isFirstPollOf(context: object): boolean {
  if (polledContexts.has(context)) return false;
  polledContexts.add(context);
  return true;
}

/**
 * The shortest time between two polls of the node's Poll Times (all entries together), in ms,
 * from each entry's cron expression (n8n's own translation). A schedule that cannot be read
 * counts as every minute, n8n's shortest.
 */
export function shortestPollIntervalMs(pollTimes: unknown): number | undefined {
  const items = (pollTimes as { item?: unknown } | undefined)?.item;
  if (!Array.isArray(items) || items.length === 0) return undefined;
  let expressions: string[];
  try {
    expressions = items.map((item) => toCronExpression(item as TriggerTime));
  } catch {
    return MINUTE_MS;
  }
  return shortestIntervalMs(expressions) ?? MINUTE_MS;
}

export interface PollBudget {
  /** The poll stops at its first checkpoint after this many ms. */
  stopAfterMs: number;
  /** What limited the budget, for the log. */
  limitedBy: 'activation' | 'schedule' | 'n8n';
}

/**
 * The poll's time budget: n8n's (getPollBudgetMs), no longer than the time to the next scheduled
 * poll, and ACTIVATION_BUDGET_MS for the activation poll; the poll stops at the first checkpoint
 * after BUDGET_SHARE of it, leaving the rest for the page and the hand-off in flight.
 */
export function pollBudget(options: {
  n8nBudgetMs: number | undefined;
  intervalMs: number | undefined;
  activation: boolean;
}): PollBudget {
  const candidates: Array<[number, PollBudget['limitedBy']]> = [
    [options.n8nBudgetMs ?? Infinity, 'n8n'],
    [options.intervalMs ?? Infinity, 'schedule'],
    [options.activation ? ACTIVATION_BUDGET_MS : Infinity, 'activation'],
  ];
  const [budgetMs, limitedBy] = candidates.reduce((best, next) =>
    next[0] < best[0] ? next : best,
  );
  return {
    stopAfterMs: Number.isFinite(budgetMs) ? budgetMs * BUDGET_SHARE : Infinity,
    limitedBy,
  };
}
