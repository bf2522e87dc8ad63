/**
 * Runs the engine's one loop in process against a scripted Stripe, and keeps a destination that
 * applies records by id (upsert; delete on `_ab_cdc_deleted_at`), as a warehouse does.
 */
import {
  parseConfig,
  syncPipelines,
  type ConnectorError,
  type EmittedRecord,
  type PipelineState,
  type SingleAccountState,
  type PipelineSummary,
  type SkippedCustomer,
  type SyncEvent,
  type SyncMode,
} from '../../connector';
import type { ScriptedStripe } from '../support/scripted-stripe';

export interface EngineRun {
  items: EmittedRecord[];
  /** Every checkpoint, in order (the scripted port reads one account: its state). */
  states: SingleAccountState[];
  logs: string[];
  skipped: SkippedCustomer[];
  summary?: PipelineSummary;
  failure?: ConnectorError;
  /** Every event, in order. */
  events: SyncEvent[];
}

export const TEST_KEY = 'sk_test_scripted';

export function configWith(extra: Record<string, unknown> = {}) {
  return parseConfig({ api_key: TEST_KEY, ...extra });
}

/** One run of the pipeline `customers` (or `name`), stopped after `stopAfterCheckpoints` if set. */
export async function runEngine(
  stripe: ScriptedStripe,
  config: ReturnType<typeof configWith>,
  options: {
    state?: PipelineState;
    syncMode?: SyncMode;
    name?: string;
    stopAfterCheckpoints?: number;
  } = {},
): Promise<EngineRun> {
  const run: EngineRun = { items: [], states: [], logs: [], skipped: [], events: [] };
  const sync = syncPipelines(config, {
    stripe,
    pipelines: [
      {
        name: options.name ?? 'customers',
        syncMode: options.syncMode ?? 'incremental',
        state: options.state,
      },
    ],
  });
  for await (const event of sync) {
    run.events.push(event);
    if (event.kind === 'records') run.items.push(...event.items);
    else if (event.kind === 'skipped') run.skipped.push(...event.customers);
    else if (event.kind === 'pipeline_finished') run.summary = event.summary;
    else if (event.kind === 'checkpoint') {
      run.states.push(event.state as SingleAccountState);
      if (run.states.length === options.stopAfterCheckpoints) break;
    } else if (event.kind === 'log') run.logs.push(`${event.level} ${event.message}`);
    else if (event.kind === 'pipeline_failed') run.failure = event.error;
  }
  return run;
}

/** A destination that applies records by primary key, in the order they come. */
export class ByIdDestination {
  readonly rows = new Map<string, Record<string, unknown>>();

  constructor(private readonly key = 'id') {}

  apply(items: EmittedRecord[]): this {
    for (const { record } of items) {
      const id = String(record[this.key]);
      if (record._ab_cdc_deleted_at) this.rows.delete(id);
      else this.rows.set(id, record);
    }
    return this;
  }

  ids(): string[] {
    return [...this.rows.keys()].sort();
  }
}

export function idsOf(customers: Array<Record<string, unknown>>): string[] {
  return customers.map((customer) => String(customer.id)).sort();
}
