import { CronJob } from 'cron';
import {
  connect,
  errorMessage,
  redactSecrets,
  type PipelineConfig,
  type StripePort,
} from '../../connector';
import { withEnabledOverrides, type StandaloneConfig } from '../config-file';
import type { WriterProgress } from '../sync/pipeline-writer';
import { describeStatus, type PipelineReport } from '../sync/report';
import { runSync } from '../sync/run';
import type { RunRecord, Warehouse } from '../warehouse';
import { summarizeFilter } from './filter-summary';
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
  schedule?: string;
  /** Unix milliseconds; only for an enabled, scheduled pipeline. */
  nextRun?: number;
  running?: { startedAt: number; trigger: RunRecord['trigger']; progress: WriterProgress };
  lastRuns: RunRecord[];
}

export type RunNowOutcome = 'started' | 'already_running' | 'disabled' | 'unknown' | 'stopping';

const RUNS_SHOWN = 5;

interface Running {
  done: Promise<void>;
  startedAt: number;
  trigger: RunRecord['trigger'];
  progress: WriterProgress;
}

/**
 * Runs pipelines on their schedules and on demand, in one process: never two runs of one
 * pipeline at once (a tick that finds it running is skipped), a failed run is logged and the next
 * tick tries again, and `stop` ends runs under way at their next checkpoint. Different pipelines
 * may run at the same time; they share one Stripe client, so one rate limit.
 */
export class Scheduler {
  private readonly jobs = new Map<string, CronJob>();
  private readonly schedules = new Map<string, Schedule>();
  private readonly running = new Map<string, Running>();
  private overrides = new Map<string, boolean>();
  private stopping = false;
  private readonly stripe: StripePort;

  constructor(
    private readonly loaded: StandaloneConfig,
    private readonly warehouse: Warehouse,
    private readonly options: { softDelete: boolean; timeZone: string; log: Logger },
  ) {
    // Every schedule is read before anything starts: a bad one names its pipeline and nothing runs.
    for (const pipeline of loaded.config.pipelines) {
      const schedule = parseSchedule(pipeline, options.timeZone);
      if (schedule) this.schedules.set(pipeline.name, schedule);
    }
    const secrets = [loaded.config.connection.apiKey];
    this.stripe = connect(loaded.config, (message) =>
      options.log('WARN', undefined, redactSecrets(message, secrets)),
    );
  }

  get timeZone(): string {
    return this.options.timeZone;
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
    for (const [name, schedule] of this.schedules) {
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
      this.jobs.set(name, job);
    }
  }

  private pipelines(): PipelineConfig[] {
    return this.loaded.config.pipelines;
  }

  private isEnabled(pipeline: PipelineConfig): boolean {
    return this.overrides.get(pipeline.name) ?? pipeline.enabled;
  }

  private tick(name: string): void {
    const pipeline = this.pipelines().find((p) => p.name === name);
    if (!pipeline || this.stopping || !this.isEnabled(pipeline)) return;
    if (this.running.has(name)) {
      this.options.log(
        'WARN',
        name,
        'its previous run is still going: skipped this scheduled run.',
      );
      return;
    }
    this.launch(pipeline, 'schedule');
  }

  runNow(name: string): RunNowOutcome {
    const pipeline = this.pipelines().find((p) => p.name === name);
    if (!pipeline) return 'unknown';
    if (this.stopping) return 'stopping';
    if (!this.isEnabled(pipeline)) return 'disabled';
    if (this.running.has(name)) return 'already_running';
    this.launch(pipeline, 'run_now');
    return 'started';
  }

  /** Sets the switch and keeps it in the warehouse. A run under way finishes. */
  async setEnabled(name: string, enabled: boolean): Promise<boolean> {
    if (!this.pipelines().some((p) => p.name === name)) return false;
    await this.warehouse.bookkeeping.setEnabled(name, enabled);
    this.overrides.set(name, enabled);
    this.options.log(
      'INFO',
      name,
      enabled ? 'enabled.' : 'disabled: it will not run until enabled again.',
    );
    return true;
  }

  private launch(pipeline: PipelineConfig, trigger: RunRecord['trigger']): void {
    const name = pipeline.name;
    const entry: Running = {
      startedAt: Date.now(),
      trigger,
      progress: { received: 0, inserted: 0, updated: 0, deleted: 0, staged: 0 },
      done: Promise.resolve(),
    };
    this.running.set(name, entry);
    this.options.log(
      'INFO',
      name,
      trigger === 'schedule' ? 'scheduled run started.' : 'run started (run now).',
    );
    entry.done = this.execute(pipeline, trigger, entry)
      .catch((error: unknown) =>
        this.options.log('ERROR', name, `the run failed: ${errorMessage(error)}`),
      )
      .finally(() => this.running.delete(name));
  }

  private async execute(
    pipeline: PipelineConfig,
    trigger: RunRecord['trigger'],
    entry: Running,
  ): Promise<void> {
    const { log } = this.options;
    const report = await runSync({
      config: withEnabledOverrides(this.loaded.config, this.overrides),
      warehouse: this.warehouse,
      pipelines: [pipeline.name],
      softDelete: this.options.softDelete,
      trigger,
      stopRequested: () => this.stopping,
      stripe: this.stripe,
      observer: {
        progress: (_name, progress) => (entry.progress = { ...progress }),
        // Errors are said once, by the run's outcome below.
        log: (name, level, message) => {
          if (level === 'WARN') log(level, name ?? pipeline.name, message);
        },
      },
    });
    const outcome = report.pipelines.find((p) => p.pipeline === pipeline.name);
    if (outcome)
      log(outcome.status === 'failed' ? 'ERROR' : 'INFO', pipeline.name, describeOutcome(outcome));
    else if (report.error) log('ERROR', pipeline.name, `the run failed: ${report.error}`);
    for (const note of outcome?.notes ?? []) log('INFO', pipeline.name, note);
  }

  async views(): Promise<PipelineView[]> {
    const runs = await this.warehouse.bookkeeping.recentRuns(RUNS_SHOWN);
    const { config, filters } = this.loaded;
    return this.pipelines().map((pipeline): PipelineView => {
      const enabled = this.isEnabled(pipeline);
      const schedule = this.schedules.get(pipeline.name);
      const job = this.jobs.get(pipeline.name);
      const running = this.running.get(pipeline.name);
      const startDate =
        config.startDate === undefined
          ? ''
          : ` (created on or after ${new Date(config.startDate * 1000).toISOString().slice(0, 10)})`;
      return {
        name: pipeline.name,
        ...(pipeline.description ? { description: pipeline.description } : {}),
        table: pipeline.name.toLowerCase(),
        incremental: pipeline.incremental,
        filter: summarizeFilter(filters.get(pipeline.name)) + startDate,
        enabled,
        enabledBy: this.overrides.has(pipeline.name) ? 'page' : 'config',
        ...(schedule ? { schedule: schedule.label } : {}),
        ...(enabled && job && !this.stopping ? { nextRun: job.nextDate().toMillis() } : {}),
        ...(running
          ? {
              running: {
                startedAt: running.startedAt,
                trigger: running.trigger,
                progress: running.progress,
              },
            }
          : {}),
        lastRuns: runs.get(pipeline.name) ?? [],
      };
    });
  }

  /** Stops the schedules, lets runs under way reach their next checkpoint, and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const job of this.jobs.values()) await job.stop();
    const under = [...this.running.values()];
    if (under.length > 0) {
      this.options.log(
        'INFO',
        undefined,
        `stopping: ${under.length} run(s) stop at their next checkpoint.`,
      );
    }
    await Promise.all(under.map((entry) => entry.done));
  }
}

function describeOutcome(report: PipelineReport): string {
  const counts = `${report.read} read, ${report.inserted + report.updated} written, ${report.deleted} deleted, ${report.filteredOut} filtered out, ${report.errors} error(s), ${report.seconds.toFixed(1)} s`;
  if (report.status === 'not_run') return 'did not run: the server is stopping.';
  if (report.status === 'failed')
    return `the run failed (${counts}): ${report.error ?? 'unknown error'}`;
  const slow = report.slowPath ? ' (slow path: the key may not read events)' : '';
  return `run ${describeStatus(report.status)}${slow}: ${counts}.`;
}
