import {
  describeStreams,
  errorMessage,
  WebhookApplier,
  type ConnectorConfig,
  type PipelineConfig,
  type StripePort,
  type WebhookOutcome,
} from '../../connector';
import type { PipelineGate } from '../serve/pipeline-gate';
import type { Logger } from '../serve/scheduler';
import { isTransient } from '../warehouse/retry';
import {
  rowEncoder,
  tableLayout,
  type PendingDelivery,
  type PipelineTableSession,
  type StoredState,
  type Warehouse,
  type WebhookInbox,
} from '../warehouse';

export interface ApplierOptions {
  warehouse: Warehouse;
  inbox: WebhookInbox;
  gate: PipelineGate;
  /** The config serve runs now (the page's switches applied), and a key that changes with it. */
  current(): { config: ConnectorConfig; version: string };
  /** The Stripe port runs use: retrieves share their rate budget. */
  stripe(): StripePort;
  softDelete: boolean;
  log: Logger;
  /**
   * The least time between two batches. DuckDB: the warehouse file is opened for each batch and
   * closed after it, so other processes can read it in between.
   */
  minGapMs: number;
}

/** Deliveries taken per batch. */
const BATCH = 1_000;
/** While deliveries wait (a pipeline busy with a run), how often they are tried again. */
const RETRY_MS = 1_000;
/**
 * Deliveries that waited this long for a pipeline busy with a run are left to that pipeline's
 * next run (which reads them from the event log): the inbox never fills up behind a long import.
 */
const OWED_MAX_MS = 10 * 60 * 1000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;
/** A pipeline's summary of applied deliveries is logged at most this often. */
const LOG_EVERY_MS = 60 * 1000;

interface Opened {
  pipeline: PipelineConfig;
  session: PipelineTableSession;
  stored: StoredState;
  release: () => void;
  encode: ReturnType<typeof rowEncoder>;
}

interface Tally {
  events: number;
  written: number;
  deleted: number;
  repeats: number;
  older: number;
  since: number;
  loggedOnce: boolean;
}

/**
 * Applies the inbox's deliveries to the pipelines' tables in short batches, through the engine:
 * each pipeline's rows, the versions of the customers concerned and its state (listing the events
 * as processed) in one transaction. A pipeline busy with a run (here or in another process) gets
 * its deliveries in a later batch; the others are not held up. A delivery leaves the inbox once
 * every pipeline has it, or was told its next run covers it.
 */
export class DeliveryApplier {
  private engine: { applier: WebhookApplier; version: string } | undefined;
  /** Per pending delivery, the pipelines that have it already (this process's memory). */
  private readonly doneFor = new Map<string, Set<string>>();
  private readonly tallies = new Map<string, Tally>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastPass = 0;
  private lastPrune = Date.now();

  constructor(private readonly options: ApplierOptions) {}

  /** Applies what a previous process left in the inbox, then whatever comes. */
  start(): void {
    this.soon(0);
  }

  /** A delivery was recorded. */
  notify(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.soon(Math.max(0, this.lastPass + this.options.minGapMs - Date.now()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.engine?.applier.close();
    this.engine = undefined;
  }

  private soon(ms: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass()
        .catch((error: unknown) =>
          this.options.log(
            'WARN',
            undefined,
            `could not apply webhook deliveries now (${errorMessage(error)}); they stay in the inbox and are tried again.`,
          ),
        )
        .then(() => {
          this.running = undefined;
          this.lastPass = Date.now();
          if (this.again) {
            this.again = false;
            this.soon(this.options.minGapMs);
          }
        });
    }, ms);
  }

  /** One batch: returns once it is written (or left for later). */
  private async pass(): Promise<void> {
    const { inbox } = this.options;
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await inbox.prune();
    }
    const pending = await inbox.pending(BATCH);
    if (pending.length === 0) return;
    const { config, version } = this.options.current();
    const candidates = config.pipelines.filter((p) => p.enabled && p.incremental);
    const engine = await this.engineFor(config, version);
    const wanting = candidates.filter((pipeline) =>
      pending.some((delivery) => !this.doneFor.get(delivery.eventId)?.has(pipeline.name)),
    );
    const busy = new Set<string>();
    const opened = await this.open(config, wanting, busy);
    try {
      const requests = [...opened.values()].map((entry) => ({
        name: entry.pipeline.name,
        state: entry.stored.state,
        importUnderWay: entry.stored.staged !== undefined,
        heldVersions: (ids: string[]) => entry.session.table.heldVersions(ids),
      }));
      if (requests.length > 0) {
        for await (const outcome of engine.apply(
          pending.map((delivery) => delivery.event),
          requests,
        )) {
          const entry = opened.get(outcome.pipeline) as Opened;
          if (await this.write(entry, outcome, config, pending)) {
            for (const delivery of pending) this.markDone(delivery.eventId, outcome.pipeline);
          } else {
            busy.add(outcome.pipeline);
          }
        }
      }
    } finally {
      for (const entry of opened.values()) {
        await entry.session.close().catch(() => {});
        entry.release();
      }
    }
    await this.settle(pending, candidates, busy);
  }

  /** The engine's applier for this version of the config (a new one when it changed). */
  private async engineFor(config: ConnectorConfig, version: string): Promise<WebhookApplier> {
    if (this.engine?.version !== version) {
      await this.engine?.applier.close();
      this.engine = {
        applier: new WebhookApplier(config, { stripe: this.options.stripe() }),
        version,
      };
    }
    return this.engine.applier;
  }

  /** Each pipeline's table and state, when no run holds it; busy ones are named in `busy`. */
  private async open(
    config: ConnectorConfig,
    pipelines: PipelineConfig[],
    busy: Set<string>,
  ): Promise<Map<string, Opened>> {
    const { warehouse, gate, softDelete, log } = this.options;
    const streams = describeStreams(config);
    const opened = new Map<string, Opened>();
    for (const pipeline of pipelines) {
      const stream = streams.find((candidate) => candidate.name === pipeline.name);
      if (!stream) continue;
      const release = gate.tryAcquire(pipeline.name);
      if (!release) {
        busy.add(pipeline.name);
        continue;
      }
      let session: PipelineTableSession | undefined;
      try {
        const mapped = stream.layout.primaryKey !== 'id';
        const layout = tableLayout(stream, mapped ? config.model : undefined);
        session = await warehouse.openTable(layout, softDelete);
        if (!session) {
          release();
          busy.add(pipeline.name);
          continue;
        }
        await session.table.prepare();
        const stored = await session.table.loadState();
        const encode = rowEncoder(layout, { allowsNul: warehouse.allowsNul });
        opened.set(pipeline.name, { pipeline, session, stored, release, encode });
      } catch (error) {
        await session?.close().catch(() => {});
        release();
        if (isTransient(error)) {
          busy.add(pipeline.name);
        } else {
          // Its table cannot take the pipeline as defined: its next run says so, and fails.
          log(
            'WARN',
            pipeline.name,
            `webhook deliveries are left to its next run: ${errorMessage(error)}`,
          );
        }
      }
    }
    return opened;
  }

  /** Writes one pipeline's outcome; false when it is to be tried again in a later batch. */
  private async write(
    entry: Opened,
    outcome: WebhookOutcome,
    config: ConnectorConfig,
    pending: PendingDelivery[],
  ): Promise<boolean> {
    const { warehouse, log } = this.options;
    const name = entry.pipeline.name;
    if (outcome.kind === 'not_applied') return true;
    if (outcome.kind === 'failed') {
      if (outcome.error.kind === 'transient') return false;
      const message = `webhook deliveries could not be applied (${outcome.error.message}); its next run reads these changes from the event log.`;
      log('WARN', name, message);
      await warehouse.webhookStatus.noteProblem(name, message).catch(() => {});
      return true;
    }
    for (const left of outcome.leftToRun) {
      log(
        'WARN',
        name,
        `the delivered change of customer ${left.customerId} was not applied (${left.reason}); its next run reads it from the event log.`,
      );
    }
    if (outcome.applied.length === 0 && outcome.items.length === 0) {
      this.tally(name, outcome, { written: 0, deleted: 0 });
      return true;
    }
    try {
      const alterations = { misfits: 0, replacedCharacters: 0 };
      const rows = outcome.items.map((item) => entry.encode(item.record, alterations));
      const window = Math.max(config.reading.overlapSeconds, config.reading.lookbackSeconds);
      const counts = await entry.session.table.applyChanges(rows, outcome.state, {
        versions: outcome.versions,
        forgetBefore: outcome.state.events_cursor - window,
      });
      const applied = new Set(outcome.applied);
      const created = pending.filter((d) => applied.has(d.eventId)).map((d) => d.created);
      if (created.length > 0) {
        await warehouse.webhookStatus
          .noteApplied(name, created.length, Math.max(...created))
          .catch(() => {});
      }
      this.tally(name, outcome, {
        written: counts.inserted + counts.updated,
        deleted: counts.deleted,
      });
      return true;
    } catch (error) {
      if (isTransient(error)) return false;
      const message = `webhook deliveries could not be written (${errorMessage(error)}); its next run reads these changes from the event log.`;
      log('WARN', name, message);
      await warehouse.webhookStatus.noteProblem(name, message).catch(() => {});
      return true;
    }
  }

  private markDone(eventId: string, pipeline: string): void {
    let done = this.doneFor.get(eventId);
    if (!done) this.doneFor.set(eventId, (done = new Set()));
    done.add(pipeline);
  }

  /**
   * Deliveries every pipeline has (or was told its run covers) leave the inbox; those that waited
   * too long for a busy pipeline are left to its next run. Anything still waiting is tried again.
   */
  private async settle(
    pending: PendingDelivery[],
    candidates: PipelineConfig[],
    busy: Set<string>,
  ): Promise<void> {
    const now = Date.now();
    const finished: string[] = [];
    const gaveUp = new Set<string>();
    for (const delivery of pending) {
      const done = this.doneFor.get(delivery.eventId);
      const missing = candidates.filter((pipeline) => !done?.has(pipeline.name));
      if (missing.length === 0) {
        finished.push(delivery.eventId);
      } else if (now - delivery.receivedAt > OWED_MAX_MS) {
        for (const pipeline of missing) gaveUp.add(pipeline.name);
        finished.push(delivery.eventId);
      }
    }
    await this.options.inbox.markApplied(finished);
    for (const id of finished) this.doneFor.delete(id);
    for (const name of gaveUp) {
      this.options.log(
        'INFO',
        name,
        `webhook deliveries waited more than ${OWED_MAX_MS / 60_000} minutes for it (a run held it); its next run reads those changes from the event log.`,
      );
    }
    if (finished.length < pending.length || busy.size > 0 || pending.length === BATCH) {
      if (pending.length === BATCH && finished.length === pending.length) this.again = true;
      else this.soon(RETRY_MS);
    }
  }

  private tally(
    name: string,
    outcome: Extract<WebhookOutcome, { kind: 'applied' }>,
    counts: { written: number; deleted: number },
  ): void {
    const now = Date.now();
    let tally = this.tallies.get(name);
    if (!tally) {
      tally = {
        events: 0,
        written: 0,
        deleted: 0,
        repeats: 0,
        older: 0,
        since: now,
        loggedOnce: false,
      };
      this.tallies.set(name, tally);
    }
    tally.events += outcome.applied.length;
    tally.written += counts.written;
    tally.deleted += counts.deleted;
    tally.repeats += outcome.alreadyProcessed;
    tally.older += outcome.older;
    if (tally.loggedOnce && now - tally.since < LOG_EVERY_MS) return;
    if (tally.events === 0 && tally.repeats === 0) return;
    const seconds = Math.max(1, Math.round((now - tally.since) / 1000));
    this.options.log(
      'INFO',
      name,
      `webhooks: ${tally.events} delivered change(s) applied in the last ${seconds} s (${tally.written} row(s) written, ${tally.deleted} deleted; ${tally.older} older than the table's state); ${tally.repeats} repeated or already read by a run.`,
    );
    this.tallies.set(name, {
      events: 0,
      written: 0,
      deleted: 0,
      repeats: 0,
      older: 0,
      since: now,
      loggedOnce: true,
    });
  }
}
