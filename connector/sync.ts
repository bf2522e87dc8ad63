/**
 * The engine's one loop: runs configured pipelines and yields what they produce, in order. Every
 * shell (the Airbyte CLI, the n8n nodes, the standalone tool) consumes it with `for await` and
 * stops it with `break`; transformations are closed however the loop ends. A feature lands here
 * once and every shell gets it.
 */
import { eventsPermissionAdvice, probeEvents } from './access';
import type { ConnectorConfig, PipelineConfig } from './config/config';
import { ConfigError, ConnectorError, errorMessage } from './errors';
import { closePipeline, openPipeline } from './open-pipeline';
import type { PipelineDefinition, SyncMode } from './pipeline/definition';
import {
  runPipeline,
  type EmittedRecord,
  type LogTopic,
  type PipelineSummary,
} from './pipeline/run';
import type { SkippedCustomer } from './pipeline/shape';
import { isStateOf, parsePipelineState, type PipelineState } from './pipeline/state';
import { StripeApi } from './stripe/api';
import type { RequestStats, StripePort } from './stripe/port';

export type { SyncMode };

/** One pipeline to run, and how. */
export interface PipelineRequest {
  /** The pipeline's (stream's) name. */
  name: string;
  /** Default: the pipeline's own `incremental` switch. Airbyte passes its catalog's sync mode. */
  syncMode?: SyncMode;
  /** The state its last checkpoint held, as saved (validated here). */
  state?: unknown;
  /** Stop once this many records are out (previews, n8n's Limit). */
  limit?: number;
  /**
   * Replaces the pipeline's fingerprint: a shell that knows the definition as written (n8n, before
   * its expressions are resolved) ties saved states to that instead.
   */
  fingerprint?: string;
}

export interface SyncOptions {
  /** Which pipelines, in this order. Default: every enabled pipeline, by its own switch. */
  pipelines?: PipelineRequest[];
  /** The Stripe port to read through. Default: the official SDK with the config's connection. */
  stripe?: StripePort;
  /**
   * An incremental pipeline whose key may not read events: `fail` (default) stops before anything
   * is read, with a config error naming the permission; `full_refresh` runs it as a full refresh
   * and says so in its `pipeline_started` event (the standalone tool then compares with the
   * warehouse).
   */
  whenEventsUnreadable?: 'fail' | 'full_refresh';
  /**
   * After a pipeline's full import, read the changes made in Stripe while it ran from the event
   * log (`catch_up_*` events), so the destination ends the run equal to Stripe. Only where events
   * are readable, and not for filters with relative dates: time alone moves customers across
   * those, which a full import handles and changes do not. Default: off (Airbyte and n8n read
   * those changes with their next run).
   */
  catchUp?: boolean;
}

export type { SkippedCustomer };

export type { LogTopic };

export type SyncEvent =
  | {
      kind: 'pipeline_started';
      pipeline: string;
      syncMode: SyncMode;
      /** Set when the pipeline runs in another mode than asked, and why. */
      downgraded?: { from: SyncMode; reason: string };
    }
  | { kind: 'records'; pipeline: string; items: EmittedRecord[] }
  /** Customers skipped since the last event: before the checkpoint that covers them. */
  | { kind: 'skipped'; pipeline: string; customers: SkippedCustomer[] }
  /** Every record of the pipeline so far is covered by `state`: save it, resume from it. */
  | { kind: 'checkpoint'; pipeline: string; state: PipelineState; recordsSinceLast: number }
  | {
      kind: 'log';
      pipeline?: string;
      level: 'INFO' | 'WARN';
      /** States what happened, in the product's words; names no platform's buttons. */
      message: string;
      /** Set when the shell should add its own advice (its commands, its buttons) to the message. */
      topic?: LogTopic;
    }
  | { kind: 'pipeline_finished'; pipeline: string; summary: PipelineSummary }
  /** The pipeline stopped; the others still run. Its last checkpoint is where a rerun continues. */
  | { kind: 'pipeline_failed'; pipeline: string; error: ConnectorError }
  /**
   * With `catchUp`, after a full import's `pipeline_finished`: the changes made meanwhile follow
   * (records, skips, checkpoints, logs), then `catch_up_finished`, or `catch_up_failed` (the
   * import stays done; the next run reads them).
   */
  | { kind: 'catch_up_started'; pipeline: string }
  | { kind: 'catch_up_finished'; pipeline: string; summary: PipelineSummary }
  | { kind: 'catch_up_failed'; pipeline: string; error: ConnectorError }
  /** The last event of a sync that ran to its end: what it cost. */
  | { kind: 'sync_finished'; stats: RequestStats };

/** The pipelines a sync runs when the shell names none: every enabled one, by its own switch. */
export function defaultRequests(config: ConnectorConfig): PipelineRequest[] {
  return config.pipelines
    .filter((pipeline) => pipeline.enabled)
    .map((pipeline) => ({ name: pipeline.name }));
}

/** A Stripe port for the config's connection whose rate-limit slowdowns are reported as logs. */
export function connect(
  config: ConnectorConfig,
  onLog: (message: string) => void = () => {},
): StripeApi {
  return new StripeApi(config.connection, (slowdown) =>
    onLog(
      `Stripe answered 429 (rate limit) on ${slowdown.endpoint}: slowing it down to ${slowdown.pace.toFixed(1)} requests/s; the pace recovers gradually.`,
    ),
  );
}

export async function* syncPipelines(
  config: ConnectorConfig,
  options: SyncOptions = {},
): AsyncGenerator<SyncEvent, void> {
  // What the config holds that is ignored, before anything runs: every shell shows it.
  for (const warning of config.warnings) yield warn(undefined, warning);
  const pending: SyncEvent[] = [];
  const stripe =
    options.stripe ?? connect(config, (message) => pending.push(warn(undefined, message)));
  const requests = options.pipelines ?? defaultRequests(config);
  const planned: Array<{ request: PipelineRequest; pipeline: PipelineConfig; syncMode: SyncMode }> =
    [];
  for (const request of requests) {
    const pipeline = config.pipelines.find((candidate) => candidate.name === request.name);
    if (!pipeline || !pipeline.enabled) {
      const enabled = config.pipelines.filter((p) => p.enabled).map((p) => p.name);
      yield warn(
        undefined,
        `Pipeline "${request.name}" is ${pipeline ? 'disabled in the config' : 'not in the config'} (enabled pipelines: ${enabled.join(', ') || 'none'}); skipping it. The pipelines to run were chosen from another version of the config: choose them again.`,
      );
      continue;
    }
    const syncMode = request.syncMode ?? (pipeline.incremental ? 'incremental' : 'full_refresh');
    planned.push({ request, pipeline, syncMode });
  }

  // An incremental pipeline needs events: find out before anything is read, not a day later. A
  // pipeline already past its full import reads events first anyway, so only a first run (or a
  // shell that can fall back) pays the one-request probe.
  let eventsUnreadable: string | undefined;
  /** Whether the key may read events, once a probe found out (catch-ups need them). */
  let eventsReadable: boolean | undefined;
  const incremental = planned.filter((plan) => plan.syncMode === 'incremental');
  const mustProbe =
    options.whenEventsUnreadable === 'full_refresh'
      ? incremental.length > 0
      : incremental.some((plan) => !isPastFullImport(plan.request.state, fingerprintsOf(plan)));
  if (mustProbe) {
    const events = await probeEvents(stripe);
    eventsReadable = events.readable;
    if (!events.readable) {
      eventsUnreadable = eventsPermissionAdvice();
      if (options.whenEventsUnreadable !== 'full_refresh') {
        const names = incremental.map((plan) => `"${plan.pipeline.name}"`);
        throw new ConfigError(
          `Incremental sync was asked for ${names.join(', ')}, but the API key may not read events (HTTP 403, invalid_request_error). ${eventsUnreadable} ` +
            'Or sync these streams in full refresh mode.',
          { origin: 'stripe', httpStatus: 403 },
        );
      }
    }
  }

  for (const plan of planned) {
    const { request, pipeline } = plan;
    const name = pipeline.name;
    let syncMode = plan.syncMode;
    if (syncMode === 'incremental' && eventsUnreadable) {
      syncMode = 'full_refresh';
      yield {
        kind: 'pipeline_started',
        pipeline: name,
        syncMode,
        downgraded: { from: 'incremental', reason: eventsUnreadable },
      };
    } else {
      yield { kind: 'pipeline_started', pipeline: name, syncMode };
    }
    try {
      const state = parsePipelineState(request.state, name);
      const definition = await openPipeline(config, pipeline);
      const phase = { definition, stripe, config, pending, fingerprints: fingerprintsOf(plan) };
      try {
        const imported = yield* runPhase(phase, {
          syncMode,
          state,
          ...(request.limit !== undefined ? { limit: request.limit } : {}),
        });
        yield { kind: 'pipeline_finished', pipeline: name, summary: imported.summary };
        const from = imported.lastState;
        if (
          options.catchUp &&
          imported.summary.mode === 'full_import' &&
          from?.phase === 'incremental' &&
          !pipeline.filter.relativeDates &&
          !eventsUnreadable &&
          request.limit === undefined
        ) {
          const readable = async () => (eventsReadable ??= (await probeEvents(stripe)).readable);
          yield* catchUp(phase, name, from, readable);
        }
      } finally {
        await closePipeline(definition);
      }
    } catch (error) {
      yield* pending.splice(0);
      yield { kind: 'pipeline_failed', pipeline: name, error: asConnectorError(error) };
    }
  }
  yield* pending.splice(0);
  const { stats } = stripe;
  yield {
    kind: 'sync_finished',
    stats: { requests: stats.requests, retries: stats.retries, rateLimited: stats.rateLimited },
  };
}

/** What a phase of one pipeline's run (its run proper, then its catch-up) works with. */
interface Phase {
  definition: PipelineDefinition;
  stripe: StripePort;
  config: ConnectorConfig;
  /** Warnings raised meanwhile (rate limits), yielded between the phase's own events. */
  pending: SyncEvent[];
  fingerprints: { fingerprint: string; formerFingerprints: readonly string[] };
}

/**
 * Runs the pipeline once, yielding its events as sync events; returns its summary and the last
 * state it checkpointed.
 */
async function* runPhase(
  phase: Phase,
  how: { syncMode: SyncMode; state: PipelineState | undefined; limit?: number },
): AsyncGenerator<SyncEvent, { summary: PipelineSummary; lastState?: PipelineState }> {
  const name = phase.definition.name;
  const run = runPipeline(phase.definition, {
    api: phase.stripe,
    ...how,
    ...phase.fingerprints,
    settings: phase.config.reading,
  });
  let recordsSinceLast = 0;
  let lastState: PipelineState | undefined;
  for (let step = await run.next(); ; step = await run.next()) {
    yield* phase.pending.splice(0);
    if (step.done) return { summary: step.value, ...(lastState ? { lastState } : {}) };
    const event = step.value;
    if (event.kind === 'records') {
      recordsSinceLast += event.items.length;
      yield { kind: 'records', pipeline: name, items: event.items };
    } else if (event.kind === 'checkpoint') {
      lastState = event.state;
      const records = recordsSinceLast;
      recordsSinceLast = 0;
      yield { kind: 'checkpoint', pipeline: name, state: event.state, recordsSinceLast: records };
    } else if (event.kind === 'skipped') {
      yield { kind: 'skipped', pipeline: name, customers: event.customers };
    } else {
      yield { ...event, pipeline: name };
    }
  }
}

/**
 * After a full import: the changes made in Stripe while it ran (or between the runs of a resumed
 * import), read from the event log from where the import's state starts, so the destination
 * ends the run equal to Stripe. A failure here leaves the import done: the next run reads them.
 */
async function* catchUp(
  phase: Phase,
  name: string,
  from: PipelineState,
  eventsReadable: () => Promise<boolean>,
): AsyncGenerator<SyncEvent> {
  let readable: boolean;
  try {
    readable = await eventsReadable();
  } catch (error) {
    yield { kind: 'catch_up_started', pipeline: name };
    yield { kind: 'catch_up_failed', pipeline: name, error: asConnectorError(error) };
    return;
  }
  // A key that may not read events has nothing to catch up with: its next run compares again.
  if (!readable) return;
  yield { kind: 'catch_up_started', pipeline: name };
  try {
    const caught = yield* runPhase(phase, { syncMode: 'incremental', state: from });
    yield { kind: 'catch_up_finished', pipeline: name, summary: caught.summary };
  } catch (error) {
    yield* phase.pending.splice(0);
    yield { kind: 'catch_up_failed', pipeline: name, error: asConnectorError(error) };
  }
}

/**
 * The fingerprint saved states must carry: the shell's own when it gives one (it then owns what
 * earlier versions wrote), else the pipeline's or a former one of it.
 */
function fingerprintsOf(plan: { request: PipelineRequest; pipeline: PipelineConfig }): {
  fingerprint: string;
  formerFingerprints: readonly string[];
} {
  return plan.request.fingerprint !== undefined
    ? { fingerprint: plan.request.fingerprint, formerFingerprints: [] }
    : {
        fingerprint: plan.pipeline.fingerprint,
        formerFingerprints: plan.pipeline.formerFingerprints,
      };
}

/** A saved state, of the pipeline as now defined, whose next run reads events first. */
function isPastFullImport(
  state: unknown,
  { fingerprint, formerFingerprints }: ReturnType<typeof fingerprintsOf>,
): boolean {
  const saved = state as { phase?: unknown; fingerprint?: unknown } | null | undefined;
  return saved?.phase === 'incremental' && isStateOf(saved, fingerprint, formerFingerprints);
}

function warn(pipeline: string | undefined, message: string): SyncEvent {
  return { kind: 'log', ...(pipeline ? { pipeline } : {}), level: 'WARN', message };
}

/** Anything that is not already an engine error is a bug of ours: a system error. */
export function asConnectorError(error: unknown): ConnectorError {
  return error instanceof ConnectorError
    ? error
    : new ConnectorError('system', errorMessage(error), { cause: error });
}
