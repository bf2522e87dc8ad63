import type { CronJob } from 'cron';
import type { PipelineConfig } from '../../connector';

/**
 * How often a scheduled pipeline runs, in milliseconds: the gap between its next two ticks (for
 * an irregular cron expression, such as weekdays only, the gap after the next tick).
 */
export function schedulePeriod(job: CronJob): number | undefined {
  const [first, second] = job.nextDates(2);
  if (!first || !second) return undefined;
  return second.toMillis() - first.toMillis();
}

/**
 * A scheduled, enabled pipeline is stale when its last success (or, before its first one, its
 * first run) is older than twice its schedule's period: at least one scheduled run in a row did
 * not bring it up to date. A pipeline that never ran is new, not stale.
 */
export function isStale(facts: {
  enabled: boolean;
  periodMs: number | undefined;
  lastSuccess: number | undefined;
  firstRun: number | undefined;
  now: number;
}): boolean {
  const since = facts.lastSuccess ?? facts.firstRun;
  if (!facts.enabled || facts.periodMs === undefined || since === undefined) return false;
  return facts.now - since > 2 * facts.periodMs;
}

/**
 * Whether the next run of an incremental pipeline imports everything: it has no saved state, a
 * full import is staged, or its state belongs to another definition. The engine decides the same
 * way; this says it before the run, so a run that fails early is not labelled incremental.
 */
export function expectsFullImport(
  pipeline: PipelineConfig,
  saved: { state?: unknown; staged: boolean },
): boolean {
  if (!pipeline.incremental) return false;
  if (saved.staged || saved.state === undefined) return true;
  const state = saved.state as { phase?: unknown; fingerprint?: unknown };
  if (state.phase !== 'incremental') return true;
  return (
    state.fingerprint !== undefined &&
    state.fingerprint !== pipeline.fingerprint &&
    !pipeline.formerFingerprints.includes(String(state.fingerprint))
  );
}

/** An age for people: `45 s`, `12 min`, `3.5 h`, `2.1 d`. */
export function describeAge(millis: number): string {
  const seconds = Math.max(0, Math.round(millis / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = seconds / 60;
  if (minutes < 90) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 36) return `${hours.toFixed(1)} h`;
  return `${(hours / 24).toFixed(1)} d`;
}
