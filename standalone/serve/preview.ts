import {
  describeStreams,
  errorMessage,
  syncPipelines,
  type ConnectorConfig,
  type StripePort,
  type SyncEvent,
} from '../../connector';
import { rowEncoder, tableLayout, type TableLayout } from '../warehouse';

export const PREVIEW_ROWS = 20;
export const PREVIEW_TIMEOUT_MS = 20_000;

/** What a preview shows: the table's columns and the first rows as the warehouse would get them. */
export interface Preview {
  table: string;
  columns: string[];
  rows: Array<Array<string | number | boolean | null>>;
  /** Customers read and left out by the filter, skipped by the code, or failed. */
  filteredOut: number;
  skipped: Array<{ id: string; reason: string }>;
  /** Set when it stopped before finding PREVIEW_ROWS rows: why. */
  stoppedEarly?: string;
  /** The run failed: the engine's message. */
  error?: string;
  seconds: number;
}

/**
 * Runs one pipeline as configured on a sample: the first PREVIEW_ROWS customers it would import
 * (a full read, no saved state), each encoded as its table's row. Nothing is written anywhere.
 * Bounded in time: past `timeoutMs` it stops with what it found (a filter that matches few
 * customers may read many pages before finding any).
 */
export async function previewPipeline(
  config: ConnectorConfig,
  name: string,
  options: { stripe: StripePort; allowsNul: boolean; timeoutMs?: number },
): Promise<Preview> {
  const started = Date.now();
  // A disabled pipeline is previewed too: the preview is how one decides to enable it.
  const runnable = withEnabled(config, name);
  const layout = pipelineLayout(runnable, name);
  const encode = rowEncoder(layout, { allowsNul: options.allowsNul });
  const alterations = { misfits: 0, replacedCharacters: 0 };
  const preview: Preview = {
    table: layout.table,
    columns: layout.columns.map((column) => column.name),
    rows: [],
    filteredOut: 0,
    skipped: [],
    seconds: 0,
  };
  const events = syncPipelines(runnable, {
    pipelines: [{ name, syncMode: 'full_refresh', limit: PREVIEW_ROWS }],
    stripe: options.stripe,
  });
  const deadline = started + (options.timeoutMs ?? PREVIEW_TIMEOUT_MS);
  try {
    for (;;) {
      const step = await beforeDeadline(events.next(), deadline);
      if (step === 'timeout') {
        preview.stoppedEarly = `stopped after ${Math.round((deadline - started) / 1000)} s with ${preview.rows.length} row(s): the filter may match few customers among the first ones read.`;
        break;
      }
      if (step.done) break;
      collect(step.value, preview, (record) => encode(record, alterations).cells);
      if (preview.rows.length >= PREVIEW_ROWS) break;
    }
  } catch (error) {
    preview.error = errorMessage(error);
  } finally {
    // Closes the transformation's sandbox; a read still waiting on Stripe ends on its own.
    void events.return(undefined).catch(() => {});
  }
  preview.seconds = (Date.now() - started) / 1000;
  return preview;
}

/** The config with pipeline `name` enabled (disabled pipelines have no stream). */
function withEnabled(config: ConnectorConfig, name: string): ConnectorConfig {
  return {
    ...config,
    pipelines: config.pipelines.map((pipeline) =>
      pipeline.name === name ? { ...pipeline, enabled: true } : pipeline,
    ),
  };
}

/** A pipeline's table as `sync` lays it out, enabled or not. */
export function pipelineLayout(config: ConnectorConfig, name: string): TableLayout {
  const runnable = withEnabled(config, name);
  const stream = describeStreams(runnable).find((candidate) => candidate.name === name);
  if (!stream) throw new Error(`No pipeline "${name}" in the config.`);
  const mapped = stream.layout.primaryKey !== 'id';
  return tableLayout(stream, mapped ? runnable.model : undefined);
}

function collect(
  event: SyncEvent,
  preview: Preview,
  cells: (record: Record<string, unknown>) => Preview['rows'][number],
): void {
  switch (event.kind) {
    case 'records':
      for (const item of event.items) {
        if (preview.rows.length < PREVIEW_ROWS) preview.rows.push(cells(item.record));
      }
      break;
    case 'skipped':
      for (const customer of event.customers) {
        if (preview.skipped.length < PREVIEW_ROWS) {
          preview.skipped.push({
            id: customer.id,
            reason: customer.reason ?? 'the transformation returned null (skipped on purpose)',
          });
        }
      }
      break;
    case 'pipeline_finished':
      preview.filteredOut = event.summary.filteredOut;
      break;
    case 'pipeline_failed':
      preview.error = event.error.message;
      break;
    default:
      break;
  }
}

function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
