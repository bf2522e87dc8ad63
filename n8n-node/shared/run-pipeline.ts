/**
 * Runs the engine's one pipeline for a node: the config JSON is parsed (every mistake is the
 * engine's ConfigError, told in the editor's words), the engine's one loop (syncPipelines) is
 * consumed with `for await` into n8n items, and the last checkpoint is kept as the cursor to
 * save. The nodes decide only which sync mode, which saved state and when to stop.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import type { NodeConfig } from './config-from-parameters';
import type { EditorWords } from './editor-words';
import {
  SkipTally,
  connect,
  layoutOf,
  parseConfig,
  parsePipelineState,
  stateStartingNow,
  syncPipelines,
  type ConnectorConfig,
  type EmittedRecord,
  type LogTopic,
  type PipelineConfig,
  type PipelineState,
  type PipelineSummary,
  type RecordLayout,
  type StripeApi,
} from './engine';
import { toItems } from './items';
import { eventsUnreadable, isEventsRefusal, type EventsNeededBy } from './permissions';

/**
 * Where the engine's log lines go. Its INFO lines (what a run did: "reading changes since…",
 * "full import done…") are routine for every poll and arrive as DEBUG; WARN stays WARN.
 */
export type LogFn = (level: 'DEBUG' | 'WARN', message: string) => void;

/** What the workflow's owner makes of the engine's topical log lines, in n8n's terms. */
const ADVICE: Record<LogTopic, string> = {
  definition_changed:
    'Items already sent for customers the new definition leaves out are not withdrawn: no deletion item comes for them.',
  cursor_expired:
    'No deletion item comes for customers deleted in the meantime; let the workflow poll at least every few weeks.',
};

/** Where a node keeps its cursor in the workflow's static data ('node' scope). */
export const STATE_KEY = 'pipelineState';

/**
 * A full import, or the changes since `state` (a first incremental run imports everything first).
 * An incremental run names the feature that reads the events, for the message when the key may
 * not.
 */
export type RunOptions = (
  { syncMode: 'full_refresh' } | { syncMode: 'incremental'; eventsNeededBy: EventsNeededBy }
) & {
  state?: PipelineState;
  /** Stop once this many records were emitted (a limit, a preview). */
  limit?: number;
  /** The execution was cancelled: stop at the next event. */
  signal?: AbortSignal;
  /**
   * Asked at every checkpoint with the number of items collected so far; a reason (text) stops
   * the run there: a poll's time budget, its item cap.
   */
  stopAtCheckpoint?: (progress: { items: number }) => string | undefined;
};

export interface RunResult {
  items: EmittedRecord[];
  /** The last checkpoint: every item up to it is covered. Undefined if none was reached. */
  state: PipelineState | undefined;
  /** Undefined when the run stopped early (limit, budget, cancellation). */
  summary: PipelineSummary | undefined;
  /** Why stopAtCheckpoint stopped the run, if it did. */
  stoppedAtCheckpoint?: string;
  /** Customers that got no item: skipped after errors, or by the code (it returned null). */
  skipped: { afterErrors: number; byTransformation: number };
}

/** One node execution's view of the engine: a parsed config with one pipeline. */
export class CustomerImport {
  readonly config: ConnectorConfig;

  readonly pipeline: PipelineConfig;

  readonly api: StripeApi;

  /** Which record fields are the engine's bookkeeping (items.ts turns them into n8n's). */
  readonly layout: RecordLayout;

  private readonly words: EditorWords;

  /** The engine's fingerprints of the resolved config (what older versions saved). */
  private readonly engineFingerprints: readonly string[];

  /**
   * `fingerprint` replaces the engine's (see definitionFingerprint): the shell knows which
   * parameters define the pipeline as written, before expressions are resolved.
   */
  constructor(
    node: NodeConfig,
    private readonly log: LogFn,
    fingerprint?: string,
  ) {
    this.words = node.words;
    try {
      this.config = parseConfig(node.json);
    } catch (error) {
      throw this.words.error(error);
    }
    const [pipeline] = this.config.pipelines;
    if (!pipeline) throw new Error('The engine returned no pipeline for the node.');
    this.engineFingerprints = [pipeline.fingerprint, ...pipeline.formerFingerprints];
    this.pipeline = { ...pipeline, fingerprint: fingerprint ?? pipeline.fingerprint };
    this.layout = layoutOf(pipeline);
    this.api = connect(this.config, (message) => log('WARN', message));
  }

  /**
   * The cursor saved by an earlier run, if it is one this engine wrote. A broken one is reported
   * and ignored: the node then behaves as on its first run.
   */
  savedState(blob: unknown): PipelineState | undefined {
    if (blob === undefined || blob === null) return undefined;
    const parsed = (() => {
      try {
        return { state: parsePipelineState(blob, this.pipeline.name) };
      } catch (error) {
        return { problem: (error as Error).message };
      }
    })();
    if ('problem' in parsed) {
      this.log('WARN', `Ignoring the saved cursor: ${parsed.problem ?? ''}`);
      return undefined;
    }
    // A cursor saved under the engine's fingerprint of this very config (by an earlier version of
    // the nodes) belongs to the current definition: carry it over to the shell's fingerprint.
    const saved = parsed.state?.fingerprint;
    if (
      parsed.state &&
      saved !== undefined &&
      saved !== this.pipeline.fingerprint &&
      this.engineFingerprints.includes(saved)
    ) {
      return { ...parsed.state, fingerprint: this.pipeline.fingerprint };
    }
    return parsed.state;
  }

  /** Whether a saved state was written for the current filter, transformation and model. */
  isCurrent(state: PipelineState): boolean {
    return state.fingerprint === undefined || state.fingerprint === this.pipeline.fingerprint;
  }

  /**
   * A cursor at Stripe's current time: only changes from now on will be read. Reading Stripe's
   * clock from the event log is also what tells whether the key may read events: a key that may
   * not fails here, in the trigger's words.
   */
  async startingNow(): Promise<PipelineState> {
    try {
      return await stateStartingNow(
        this.api,
        this.pipeline.fingerprint,
        this.config.reading.settleSeconds,
        this.config.reading.overlapSeconds,
      );
    } catch (error) {
      if (isEventsRefusal(error)) throw eventsUnreadable('trigger', error);
      throw this.words.error(error);
    }
  }

  async run(options: RunOptions): Promise<RunResult> {
    const result: RunResult = {
      items: [],
      state: undefined,
      summary: undefined,
      skipped: { afterErrors: 0, byTransformation: 0 },
    };
    const skips = new SkipTally();
    const sync = syncPipelines(this.config, {
      stripe: this.api,
      pipelines: [
        {
          name: this.pipeline.name,
          syncMode: options.syncMode,
          state: options.state,
          fingerprint: this.pipeline.fingerprint,
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
        },
      ],
      // The engine finds out whether the key may read events before an incremental run reads
      // anything (one request) and says so in `pipeline_started`; a node cannot run without
      // them, so it stops there, in its own words.
      ...(options.syncMode === 'incremental'
        ? { whenEventsUnreadable: 'full_refresh' as const }
        : {}),
    });
    const neededBy = options.syncMode === 'incremental' ? options.eventsNeededBy : undefined;
    try {
      for await (const event of sync) {
        if (event.kind === 'pipeline_started' && event.downgraded && neededBy) {
          throw eventsUnreadable(neededBy);
        }
        if (event.kind === 'records') {
          result.items.push(...event.items);
        } else if (event.kind === 'skipped') {
          for (const customer of skips.add(event.customers)) {
            this.log('WARN', `skipped customer ${customer.id}: ${customer.reason ?? ''}`);
          }
        } else if (event.kind === 'checkpoint') {
          result.state = event.state;
          const reason = options.stopAtCheckpoint?.({ items: result.items.length });
          if (reason !== undefined) {
            result.stoppedAtCheckpoint = reason;
            break;
          }
        } else if (event.kind === 'log') {
          const message = event.topic ? `${event.message} ${ADVICE[event.topic]}` : event.message;
          this.log(event.level === 'WARN' ? 'WARN' : 'DEBUG', message);
        } else if (event.kind === 'pipeline_finished') {
          result.summary = event.summary;
        } else if (event.kind === 'pipeline_failed') {
          throw event.error;
        }
        if (options.signal?.aborted) break;
      }
    } catch (error) {
      // Events refused later (the permission was removed since): the same words.
      if (neededBy && isEventsRefusal(error)) throw eventsUnreadable(neededBy, error);
      throw this.words.error(error);
    } finally {
      result.skipped = { afterErrors: skips.afterErrors, byTransformation: skips.byTransformation };
      this.reportSkips(skips);
    }
    return result;
  }

  /** The closing lines of the run's skips, after the first ones listed one by one. */
  private reportSkips(skips: SkipTally): void {
    if (skips.afterErrors === 0) return;
    if (skips.unlisted > 0) {
      this.log(
        'WARN',
        `${skips.unlisted} more customer(s) skipped after errors, not listed one by one.`,
      );
    }
    this.log(
      'WARN',
      `${skips.afterErrors} customer(s) skipped after errors (On Transformation Error: Skip the Customer).`,
    );
  }

  /** Engine records as n8n items, paired to input item `item`; deletions with every column. */
  items(records: readonly EmittedRecord[], item: number): INodeExecutionData[] {
    const columns = this.pipeline.transformation ? (this.config.model?.names ?? []) : [];
    return toItems(records, this.layout, item, columns);
  }

  /** The state to keep in static data. */
  static toStaticData(state: PipelineState): IDataObject {
    return state as unknown as IDataObject;
  }
}
