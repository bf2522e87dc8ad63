import { CronJob } from 'cron';
import {
  connect,
  errorMessage,
  isoFromSeconds,
  redactSecrets,
  type ConnectorConfig,
  type PipelineConfig,
  type StripeApi,
} from '../../connector';
import { withEnabledOverrides, type StandaloneConfig } from '../config-file';
import { redactPassword } from '../destination';
import { documentPipelines, writtenFilter } from '../pipeline-draft';
import type { WriterProgress } from '../sync/pipeline-writer';
import { describeMode } from '../sync/pipeline-run';
import { describeStatus, hasSucceeded, type PipelineReport } from '../sync/report';
import { runSync } from '../sync/run';
import type { RunLogLine, RunRecord, RunTrigger, Warehouse, WebhookStatus } from '../warehouse';
import { summarizeFilter } from './filter-summary';
import { PipelineGate } from './pipeline-gate';
import { expectsFullImport, isStale, schedulePeriod } from './freshness';
import { parseSchedule, type Schedule } from './schedule';

export type Level = 'INFO' | 'WARN' | 'ERROR';
export type Logger = (level: Level, pipeline: string | undefined, message: string) => void;

/** What the pipelines page and the JSON API show for a pipeline. */
export interface PipelineView {
  name: string;
  description?: string;
  table: string;
  incremental: boolean;
  filter: string;
  enabled: boolean;
  /** Where `enabled` comes from: the config, or the page's switch (kept in the warehouse). */
  enabledBy: 'config' | 'page';
  /** The config's own `enabled`, which applies again when the page's switch is reset. */
  configEnabled: boolean;
  schedule?: string;
  /** Unix milliseconds; only for an enabled, scheduled pipeline. */
  nextRun?: number;
  running?: {
    startedAt: number;
    trigger: RunTrigger;
    progress: WriterProgress;
    /** Cancel was asked: it stops at its next checkpoint. */
    cancelling: boolean;
  };
  /** Rows in its table; undefined before its first run created it. */
  rows?: number;
  /** When it last succeeded (unix milliseconds). */
  lastSuccess?: number;
  /** Its last success is older than twice its schedule's period. */
  stale: boolean;
  lastRuns: RunRecord[];
  /** When serve takes webhook deliveries (an incremental pipeline): what they did to it. */
  webhooks?: WebhookStatus;
  /**
   * When serve takes webhook deliveries: its last run that read the event log (an incremental
   * run that succeeded), and what it wrote, which is what deliveries had missed.
   */
  lastReconcile?: { at: number; written: number; deleted: number };
}

export type RunNowOutcome = 'started' | 'already_running' | 'disabled' | 'unknown' | 'stopping';
export type CancelOutcome = 'cancelling' | 'not_running' | 'unknown';

/** A run that ended, for alerts and metrics. */
export interface FinishedRun {
  pipeline: string;
  runId: string | undefined;
  trigger: RunTrigger;
  report: PipelineReport;
  /** It succeeded after its previous run failed, or after it went stale. */
  recovered: boolean;
}

export interface SchedulerHooks {
  runFinished?(run: FinishedRun): void;
  /** A pipeline just went stale (`stale` true) or came back (`stale` false, after a success). */
  staleChanged?(pipeline: string, stale: boolean, lastSuccess: number | undefined): void;
}

const RUNS_SHOWN = 5;
/** Log lines a live run keeps in memory for the page. */
const LIVE_LOG_LINES = 500;
const STALE_CHECK_MS = 30_000;

interface Running {
  done: Promise<void>;
  startedAt: number;
  trigger: RunTrigger;
  progress: WriterProgress;
  cancelRequested: boolean;
  runId?: string;
  log: RunLogLine[];
}

/** The config as serve runs it: validated, with its schedules read and its filters summarized. */
interface Plan {
  loaded: StandaloneConfig;
  schedules: Map<string, Schedule>;
  summaries: Map<string, string>;
}

/**
 * Runs pipelines on their schedules and on demand, in one process: never two runs of one
 * pipeline at once (a tick that finds it running is skipped), a failed run is logged and the next
 * tick tries again, and `stop` ends runs under way at their next checkpoint. Different pipelines
 * may run at the same time; they share one Stripe client, so one rate limit. A new config
 * (`apply`) re-plans the schedules at once; runs under way finish with the config they began with.
 */
export class Scheduler {
  private readonly jobs = new Map<string, { job: CronJob; cron: string }>();
  private readonly running = new Map<string, Running>();
  private overrides = new Map<string, boolean>();
  private lastSuccess = new Map<string, number>();
  private firstRun = new Map<string, number>();
  private readonly staleNow = new Set<string>();
  /** The pipelines whose last run failed (or was interrupted). */
  private readonly failing = new Set<string>();
  private stopping = false;
  private plan: Plan;
  private stripe: StripeApi;
  private stripeConnection: string;
  /** Requests of the Stripe clients replaced by a new config, so the totals keep counting. */
  private retiredStripe: Array<StripeApi['stats']> = [];
  private staleTimer: NodeJS.Timeout | undefined;
  private readonly unwatch: () => void;
  /** One writer per pipeline: runs, and the batches that apply webhook deliveries. */
  readonly gate = new PipelineGate();
  private appliedConfig: { key: string; config: ConnectorConfig; version: string } | undefined;

  constructor(
    loaded: StandaloneConfig,
    private readonly warehouse: Warehouse,
    private readonly options: {
      softDelete: boolean;
      timeZone: string;
      log: Logger;
      hooks?: SchedulerHooks;
      /** How often staleness is checked (default 30 s). */
      staleCheckMs?: number;
    },
  ) {
    // Every schedule is read before anything starts: a bad one names its pipeline and nothing runs.
    this.plan = planOf(loaded, options.timeZone);
    this.stripe = this.connectStripe(loaded);
    this.stripeConnection = JSON.stringify(loaded.config.connection);
    // The runs table gives each run its id as it starts: the run's log lines are kept under it.
    this.unwatch = warehouse.bookkeeping.watchRuns((run) => {
      const entry = this.running.get(run.pipeline);
      if (entry && entry.runId === undefined) entry.runId = run.runId;
    });
  }

  private connectStripe(loaded: StandaloneConfig): StripeApi {
    const secrets = [loaded.config.connection.apiKey];
    return connect(loaded.config, (message) =>
      this.options.log('WARN', undefined, redactSecrets(message, secrets)),
    );
  }

  get timeZone(): string {
    return this.options.timeZone;
  }

  get config(): StandaloneConfig {
    return this.plan.loaded;
  }

  /** Every Stripe request of this server so far, by endpoint (for /metrics). */
  stripeStats(): Array<StripeApi['stats']> {
    return [...this.retiredStripe, this.stripe.stats];
  }

  /**
   * The config as runs use it now (the page's switches applied), and a key that changes with
   * it: what webhook deliveries are applied with.
   */
  runningConfig(): { config: ConnectorConfig; version: string } {
    const overrides = JSON.stringify([...this.overrides].sort());
    const key = `${this.plan.loaded.version} ${overrides}`;
    if (this.appliedConfig?.key !== key) {
      this.appliedConfig = {
        key,
        config: withEnabledOverrides(this.plan.loaded.config, this.overrides),
        version: key,
      };
    }
    return { config: this.appliedConfig.config, version: this.appliedConfig.version };
  }

  /** The Stripe client previews read through: the same rate limit as the runs. */
  get stripePort(): StripeApi {
    return this.stripe;
  }

  async start(): Promise<void> {
    this.overrides = await this.warehouse.bookkeeping.enabledOverrides();
    // Runs a dead process left `running` are over; those of a live process (another serve or
    // sync on the same database, holding the pipeline's lock) are left alone.
    const busy = await this.warehouse.releaseAbandonedRuns(this.pipelines().map((p) => p.name));
    for (const name of busy) {
      this.options.log(
        'WARN',
        name,
        'another process is running it on the same database right now (another serve or a sync): its run is left alone, and a run here that finds it still busy is skipped.',
      );
    }
    await this.readFreshness();
    this.planJobs();
    this.staleTimer = setInterval(
      () => void this.checkStale(),
      this.options.staleCheckMs ?? STALE_CHECK_MS,
    );
    this.staleTimer.unref();
  }

  /**
   * Runs the config from now on: schedules added, changed or removed at once, a new Stripe
   * client when the connection changed. Throws (changing nothing) when a schedule cannot be read.
   */
  apply(loaded: StandaloneConfig): void {
    const plan = planOf(loaded, this.options.timeZone);
    this.plan = plan;
    const connection = JSON.stringify(loaded.config.connection);
    if (connection !== this.stripeConnection) {
      this.retiredStripe.push(this.stripe.stats);
      this.stripe = this.connectStripe(loaded);
      this.stripeConnection = connection;
    }
    if (!this.stopping) this.planJobs();
  }

  /** Starts, replaces and stops cron jobs so that they match the plan's schedules. */
  private planJobs(): void {
    for (const [name, { job, cron }] of this.jobs) {
      if (this.plan.schedules.get(name)?.cron !== cron) {
        void job.stop();
        this.jobs.delete(name);
      }
    }
    for (const [name, schedule] of this.plan.schedules) {
      if (this.jobs.has(name)) continue;
      const job = CronJob.from({
        cronTime: schedule.cron,
        timeZone: this.options.timeZone,
        start: true,
        onTick: () => this.tick(name),
        errorHandler: (error) =>
          this.options.log(
            'ERROR',
            name,
            `the scheduled run could not start: ${errorMessage(error)}`,
          ),
      });
      this.jobs.set(name, { job, cron: schedule.cron });
    }
  }

  private pipelines(): PipelineConfig[] {
    return this.plan.loaded.config.pipelines;
  }

  private pipeline(name: string): PipelineConfig | undefined {
    return this.pipelines().find((p) => p.name === name);
  }

  private isEnabled(pipeline: PipelineConfig): boolean {
    return this.overrides.get(pipeline.name) ?? pipeline.enabled;
  }

  private tick(name: string): void {
    const pipeline = this.pipeline(name);
    if (!pipeline || this.stopping || !this.isEnabled(pipeline)) return;
    if (this.running.has(name)) {
      this.options.log(
        'WARN',
        name,
        'its previous run is still going: skipped this scheduled run.',
      );
      return;
    }
    this.launch(pipeline, 'schedule', false);
  }

  /** Starts a run now (`rebuild`: its table and state dropped first, so it imports everything). */
  runNow(name: string, trigger: 'run_now' | 'api', rebuild = false): RunNowOutcome {
    const pipeline = this.pipeline(name);
    if (!pipeline) return 'unknown';
    if (this.stopping) return 'stopping';
    if (!this.isEnabled(pipeline)) return 'disabled';
    if (this.running.has(name)) return 'already_running';
    this.launch(pipeline, trigger, rebuild);
    return 'started';
  }

  /** Asks a run under way to stop at its next checkpoint (everything before it is kept). */
  cancel(name: string): CancelOutcome {
    if (!this.pipeline(name) && !this.running.has(name)) return 'unknown';
    const entry = this.running.get(name);
    if (!entry) return 'not_running';
    if (!entry.cancelRequested) {
      entry.cancelRequested = true;
      this.say(entry, 'INFO', name, 'cancel asked: the run stops at its next checkpoint.');
    }
    return 'cancelling';
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** Sets the switch and keeps it in the warehouse. A run under way finishes. */
  async setEnabled(name: string, enabled: boolean): Promise<boolean> {
    if (!this.pipeline(name)) return false;
    await this.warehouse.bookkeeping.setEnabled(name, enabled);
    this.overrides.set(name, enabled);
    this.options.log(
      'INFO',
      name,
      enabled ? 'enabled.' : 'disabled: it will not run until enabled again.',
    );
    return true;
  }

  /** Forgets the page's switch: the config's `enabled` applies again. */
  async followConfig(name: string): Promise<boolean> {
    const pipeline = this.pipeline(name);
    if (!pipeline) return false;
    await this.warehouse.bookkeeping.clearEnabled(name);
    this.overrides.delete(name);
    this.options.log(
      'INFO',
      name,
      `the page's switch was reset: the config's enabled (${pipeline.enabled}) applies.`,
    );
    return true;
  }

  private launch(pipeline: PipelineConfig, trigger: RunTrigger, rebuild: boolean): void {
    const name = pipeline.name;
    const entry: Running = {
      startedAt: Date.now(),
      trigger,
      progress: { received: 0, inserted: 0, updated: 0, deleted: 0, staged: 0 },
      cancelRequested: false,
      log: [],
      done: Promise.resolve(),
    };
    this.running.set(name, entry);
    const how = { schedule: 'scheduled run', run_now: 'run now', api: 'API', sync: 'sync' }[
      trigger
    ];
    this.say(
      entry,
      'INFO',
      name,
      rebuild
        ? `rebuild started (${how}): its table and state are dropped first.`
        : `run started (${how}).`,
    );
    entry.done = this.gate
      .acquire(name)
      .then((release) => this.execute(pipeline, trigger, entry, rebuild).finally(release))
      .catch((error: unknown) =>
        this.say(entry, 'ERROR', name, `the run failed: ${errorMessage(error)}`),
      )
      .then(() => this.keepRunLog(name, entry))
      .finally(() => this.running.delete(name));
  }

  /** Logs a line, and keeps it with the run for the page's history (secrets scrubbed). */
  private say(entry: Running, level: Level, pipeline: string, message: string): void {
    this.options.log(level, pipeline, message);
    this.keep(entry, level, message);
  }

  private keep(entry: Running, level: Level, message: string): void {
    if (entry.log.length >= LIVE_LOG_LINES) return;
    const secrets = [
      this.plan.loaded.config.connection.apiKey,
      ...this.warehouse.destination.secrets,
    ];
    const text = redactSecrets(redactPassword(message), secrets);
    entry.log.push({ at: Date.now(), level, message: text });
  }

  private async execute(
    pipeline: PipelineConfig,
    trigger: RunTrigger,
    entry: Running,
    rebuild: boolean,
  ): Promise<void> {
    const name = pipeline.name;
    // Only for the run's label: a warehouse that cannot be read now fails the run below, recorded.
    const fullImport = rebuild
      ? pipeline.incremental
      : await this.warehouse.bookkeeping.savedState(name).then(
          (saved) => expectsFullImport(pipeline, saved),
          () => false,
        );
    const report = await runSync({
      config: withEnabledOverrides(this.plan.loaded.config, this.overrides),
      warehouse: this.warehouse,
      pipelines: [name],
      softDelete: this.options.softDelete,
      trigger,
      ...(rebuild ? { rebuild: [name] } : {}),
      stopRequested: () => this.stopping || entry.cancelRequested,
      stripe: this.stripe,
      observer: {
        progress: (_name, progress) => (entry.progress = { ...progress }),
        log: (from, level, message) => {
          // Errors are said once, by the run's outcome below; INFO lines go to the run's log.
          if (level === 'WARN') this.say(entry, level, from ?? name, message);
          else if (level === 'INFO') this.keep(entry, level, message);
        },
      },
    });
    const outcome = report.pipelines.find((p) => p.pipeline === name);
    if (outcome) {
      // A run that failed before it finished says "incremental", or nothing; it was a full import.
      if (fullImport && (outcome.mode === undefined || outcome.mode === 'incremental')) {
        outcome.mode = 'full_import';
      }
      outcome.mode ??= pipeline.incremental ? 'incremental' : 'full_refresh';
      if (entry.cancelRequested && outcome.status === 'stopped') {
        outcome.notes.push('cancelled from the pipelines page; the next run continues from here.');
      }
      this.say(
        entry,
        outcome.status === 'failed' ? 'ERROR' : 'INFO',
        name,
        describeOutcome(outcome),
      );
      for (const note of outcome.notes) this.say(entry, 'INFO', name, note);
      if (entry.runId) {
        await this.warehouse.bookkeeping
          .completeRun(entry.runId, {
            inserted: outcome.inserted,
            updated: outcome.updated,
            skipped: outcome.skipped,
            ...(outcome.mode ? { mode: describeMode(outcome.mode) } : {}),
          })
          .catch((error: unknown) =>
            this.options.log(
              'WARN',
              name,
              `could not record the run's counts: ${errorMessage(error)}`,
            ),
          );
      }
      const recovered = this.noteOutcome(name, entry, outcome);
      this.options.hooks?.runFinished?.({
        pipeline: name,
        runId: entry.runId,
        trigger,
        report: outcome,
        recovered,
      });
    } else if (report.error) {
      this.say(entry, 'ERROR', name, `the run failed: ${report.error}`);
    }
  }

  private async keepRunLog(name: string, entry: Running): Promise<void> {
    if (!entry.runId) return;
    await this.warehouse.bookkeeping
      .appendRunLog(entry.runId, entry.log)
      .catch((error: unknown) =>
        this.options.log(
          'WARN',
          name,
          `could not keep the run's log lines: ${errorMessage(error)}`,
        ),
      );
  }

  /** Keeps what freshness and alerts need; returns whether the pipeline just recovered. */
  private noteOutcome(name: string, entry: Running, outcome: PipelineReport): boolean {
    if (!this.firstRun.has(name)) this.firstRun.set(name, entry.startedAt);
    if (outcome.status === 'failed') {
      this.failing.add(name);
      return false;
    }
    if (!hasSucceeded(outcome)) return false;
    this.lastSuccess.set(name, Date.now());
    const wasFailing = this.failing.delete(name);
    const wasStale = this.staleNow.delete(name);
    if (wasStale) this.options.hooks?.staleChanged?.(name, false, Date.now());
    return wasFailing || wasStale;
  }

  private async readFreshness(): Promise<void> {
    for (const [name, facts] of await this.warehouse.bookkeeping.freshness()) {
      this.firstRun.set(name, facts.firstRun);
      if (facts.lastSuccess !== undefined) this.lastSuccess.set(name, facts.lastSuccess);
    }
    // A pipeline whose last run failed before a restart still recovers with its next success.
    for (const [name, runs] of await this.warehouse.bookkeeping.recentRuns(1)) {
      const status = runs[0]?.status;
      if (status === 'failed' || status === 'interrupted') this.failing.add(name);
    }
  }

  /** Says which pipelines went stale since the last check. */
  private checkStale(now = Date.now()): void {
    for (const pipeline of this.pipelines()) {
      const stale = this.staleOf(pipeline, now);
      if (stale && !this.staleNow.has(pipeline.name)) {
        this.staleNow.add(pipeline.name);
        this.options.log(
          'WARN',
          pipeline.name,
          'stale: its last successful run is older than twice its schedule.',
        );
        this.options.hooks?.staleChanged?.(
          pipeline.name,
          true,
          this.lastSuccess.get(pipeline.name),
        );
      } else if (!stale) {
        this.staleNow.delete(pipeline.name);
      }
    }
  }

  private staleOf(pipeline: PipelineConfig, now: number): boolean {
    const job = this.jobs.get(pipeline.name)?.job;
    return isStale({
      enabled: this.isEnabled(pipeline),
      periodMs: job ? schedulePeriod(job) : undefined,
      lastSuccess: this.lastSuccess.get(pipeline.name),
      firstRun: this.firstRun.get(pipeline.name),
      now,
    });
  }

  /** When each pipeline last succeeded (unix milliseconds), for /metrics. */
  lastSuccesses(): ReadonlyMap<string, number> {
    return this.lastSuccess;
  }

  /** The log lines of a run under way, for the page. */
  liveLog(name: string): RunLogLine[] {
    return [...(this.running.get(name)?.log ?? [])];
  }

  async views(): Promise<PipelineView[]> {
    const bookkeeping = this.warehouse.bookkeeping;
    const pipelines = this.pipelines();
    const webhooksOn = this.plan.loaded.webhookSecret !== undefined;
    const [runs, rows, deliveries] = await Promise.all([
      bookkeeping.recentRuns(RUNS_SHOWN),
      bookkeeping.rowCounts(pipelines.map((pipeline) => pipeline.name.toLowerCase())),
      webhooksOn ? this.warehouse.webhookStatus.statuses() : undefined,
    ]);
    const { config } = this.plan.loaded;
    const now = Date.now();
    return pipelines.map((pipeline): PipelineView => {
      const enabled = this.isEnabled(pipeline);
      const schedule = this.plan.schedules.get(pipeline.name);
      const job = this.jobs.get(pipeline.name)?.job;
      const running = this.running.get(pipeline.name);
      const startDate =
        config.startDate === undefined
          ? ''
          : ` (created on or after ${isoFromSeconds(config.startDate).slice(0, 10)})`;
      const table = pipeline.name.toLowerCase();
      const lastSuccess = this.lastSuccess.get(pipeline.name);
      const count = rows.get(table);
      return {
        name: pipeline.name,
        ...(pipeline.description ? { description: pipeline.description } : {}),
        table,
        incremental: pipeline.incremental,
        filter: (this.plan.summaries.get(pipeline.name) ?? 'every customer') + startDate,
        enabled,
        enabledBy: this.overrides.has(pipeline.name) ? 'page' : 'config',
        configEnabled: pipeline.enabled,
        ...(schedule ? { schedule: schedule.label } : {}),
        ...(enabled && job && !this.stopping ? { nextRun: job.nextDate().toMillis() } : {}),
        ...(running
          ? {
              running: {
                startedAt: running.startedAt,
                trigger: running.trigger,
                progress: running.progress,
                cancelling: running.cancelRequested,
              },
            }
          : {}),
        ...(count === undefined ? {} : { rows: count }),
        ...(lastSuccess === undefined ? {} : { lastSuccess }),
        stale: this.staleOf(pipeline, now),
        lastRuns: runs.get(pipeline.name) ?? [],
        ...(deliveries && pipeline.incremental
          ? {
              webhooks: deliveries.get(pipeline.name) ?? { eventsApplied: 0 },
              ...reconcileOf(runs.get(pipeline.name) ?? []),
            }
          : {}),
      };
    });
  }

  /** Stops the schedules, lets runs under way reach their next checkpoint, and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.staleTimer);
    for (const { job } of this.jobs.values()) await job.stop();
    const under = [...this.running.values()];
    if (under.length > 0) {
      this.options.log(
        'INFO',
        undefined,
        `stopping: ${under.length} run(s) stop at their next checkpoint.`,
      );
    }
    await Promise.all(under.map((entry) => entry.done));
    this.unwatch();
  }
}

/** Throws, naming the pipeline, when a schedule of the config cannot be read. */
export function checkSchedules(loaded: StandaloneConfig, timeZone: string): void {
  planOf(loaded, timeZone);
}

function planOf(loaded: StandaloneConfig, timeZone: string): Plan {
  const schedules = new Map<string, Schedule>();
  for (const pipeline of loaded.config.pipelines) {
    const schedule = parseSchedule(pipeline, timeZone);
    if (schedule) schedules.set(pipeline.name, schedule);
  }
  // Summarized once per version of the config, from the filter as written (in any of its shapes).
  const summaries = new Map<string, string>();
  for (const raw of documentPipelines(loaded.document)) {
    summaries.set(String(raw.name), summarizeFilter(writtenFilter(raw)));
  }
  return { loaded, schedules, summaries };
}

/** The latest run that read the event log, among these (newest first). */
function reconcileOf(runs: RunRecord[]): Pick<PipelineView, 'lastReconcile'> {
  const run = runs.find(
    (candidate) =>
      candidate.mode === 'incremental' &&
      candidate.finishedAt !== undefined &&
      (candidate.status === 'succeeded' || candidate.status === 'succeeded_with_skips'),
  );
  return run
    ? {
        lastReconcile: {
          at: run.finishedAt as number,
          written: run.written ?? 0,
          deleted: run.deleted ?? 0,
        },
      }
    : {};
}

function describeOutcome(report: PipelineReport): string {
  const counts = `${report.read} read, ${report.inserted + report.updated} written, ${report.deleted} deleted, ${report.filteredOut} filtered out, ${report.errors} error(s), ${report.seconds.toFixed(1)} s`;
  if (report.status === 'not_run') return 'did not run: the server is stopping.';
  if (report.status === 'failed')
    return `the run failed (${counts}): ${report.error ?? 'unknown error'}`;
  const slow = report.slowPath ? ' (slow path: the key may not read events)' : '';
  return `run ${describeStatus(report.status)}${slow}: ${counts}.`;
}
