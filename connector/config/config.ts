import { createHash } from 'node:crypto';
import { ConfigError } from '../errors';
import {
  compileFilter,
  parseTimeValue,
  restrictToCreatedFrom,
  type CompiledFilter,
} from '../filter';
import { compileCustomerModel, type CustomerModel } from '../model';
import type { StripeConnection } from '../stripe/api';
import type { OnError } from '../pipeline/definition';
import { canonicalFilter, filterFieldPath } from './filter-shape';
import { pipelineKey } from './pipeline-key';
import { canonicalTransformation, writtenByForm } from './form-shape';
import { canonicalModel, modelFieldPath } from './model-shape';
import type { RawConfig, RawPipeline } from './raw-config';
import { CONNECTION_SPECIFICATION } from './specification';
import { validateConfigJson } from './validate-json';
import { didYouMean } from '../model';
import { configPathText, field, namesIn, words, type ConfigPath, type NameLookup } from '../words';

/** One pipeline as configured: compiled where compiling is cheap, raw where it needs a sandbox. */
export interface PipelineConfig {
  name: string;
  description?: string;
  enabled: boolean;
  incremental: boolean;
  filter: CompiledFilter;
  /** Raw transformation spec; loaded (and syntax-checked) by openPipeline. */
  transformation?: unknown;
  onError: OnError;
  /** Where this pipeline sits in the config (`["pipelines", 2]`): its problems are placed there. */
  at: ConfigPath;
  /** The same as text (`pipelines[2] ("eu_pro")`), for messages. */
  where: string;
  /**
   * Identifies what the pipeline emits: its filter, transformation, `start_date` and, when it has
   * a transformation, the Customer Model's columns. When it changes, saved states no longer
   * apply and the pipeline imports everything again.
   */
  fingerprint: string;
  /**
   * The fingerprints earlier versions wrote for this same definition (they covered the whole
   * Customer Model, for every pipeline): a state saved under one of them is current.
   */
  formerFingerprints: string[];
  /**
   * When the standalone tool runs it: an interval (5m, 15m, 30m, 1h, 2h, 3h, 6h, 8h, 12h, 24h) or a
   * cron expression, as written. Airbyte and n8n schedule runs themselves and ignore it.
   */
  schedule?: string;
}

/** Which Stripe endpoints a full import reads customers through. */
export type FullImportEndpoints = NonNullable<RawConfig['full_import_endpoints']>;

/** How pipelines read Stripe: the same for every pipeline of a config. */
export interface ReadSettings {
  /** Incremental runs re-read this much before the cursor, for extra safety (lookback_window_days). */
  lookbackSeconds: number;
  /** Events younger than this are left for the next run. */
  settleSeconds: number;
  /**
   * Every incremental run re-reads this much of the event log before its cursor and processes the
   * events it had not seen there: Stripe lists some events late (events_overlap_seconds).
   */
  overlapSeconds: number;
  /** How far behind writes the Search API may be: change tracking after a search starts this early. */
  searchLagSeconds: number;
  /** Full imports: pages read at once. */
  concurrency: number;
  /** Push filter conditions down to the Search API during full imports. */
  useSearchApi: boolean;
  fullImportEndpoints: FullImportEndpoints;
  /** list_and_search: created-ranges older than this may be read through Search. */
  searchHorizonSeconds: number;
}

export interface ConnectorConfig {
  connection: StripeConnection;
  startDate?: number;
  reading: ReadSettings;
  model?: CustomerModel;
  /** Every configured pipeline, disabled ones included (shells decide what to offer). */
  pipelines: PipelineConfig[];
  /**
   * What the config holds that the connector ignores (unknown fields), each in a sentence:
   * `syncPipelines` yields them as warnings first and `checkConnection` mentions them.
   */
  warnings: string[];
}

/** The pipeline used when the config names none: every customer, as Stripe returns it. */
export const DEFAULT_PIPELINE_NAME = 'customers';

/**
 * Validates a raw config (JSON from Airbyte's form or API, or assembled by the n8n node) against
 * the connection specification, which also fills in its defaults, and compiles what can be
 * compiled without a sandbox: filters and the Customer Model. The form's shape and the JSON
 * shape of earlier versions both work (see form-shape.ts). Every mistake becomes a ConfigError
 * placed at the field it is about, with the fix, before any request is made.
 */
export function parseConfig(raw: unknown, now: Date = new Date()): ConnectorConfig {
  const defaulted = withDefaultPipeline(raw);
  const names = namesIn(defaulted ?? raw);
  try {
    return parseValidated(raw, defaulted, names, now);
  } catch (error) {
    throw error instanceof ConfigError ? error.named(names) : error;
  }
}

function parseValidated(
  raw: unknown,
  defaulted: Record<string, unknown> | undefined,
  names: NameLookup,
  now: Date,
): ConnectorConfig {
  const { config, warnings } = validateConfigJson(defaulted ?? raw);
  const unknownKeys = (config.pipelines ?? []).flatMap(unknownPipelineKeys);
  if (unknownKeys.length > 0) throw new ConfigError({ at: ['pipelines'], issues: unknownKeys });
  const inReadmeOrder = writtenByForm(raw);
  const model = canonicalModel(config.customer_model, inReadmeOrder, names);
  warnings.push(...model.warnings);
  let compiledModel: CustomerModel | undefined;
  try {
    compiledModel = model.rows ? compileCustomerModel(model.rows) : undefined;
  } catch (error) {
    throw error instanceof ConfigError ? error.moved(modelFieldPath(model)) : error;
  }
  const rawPipelines = config.pipelines ?? [];
  const startDate = config.start_date ? parseStartDate(config.start_date, now) : undefined;
  // Keyed as destinations key them: "Customers" and "customers" would land in one table.
  const seen = new Map<string, number>();
  const pipelines = rawPipelines.map((pipeline, index): PipelineConfig => {
    const at: ConfigPath = ['pipelines', index];
    const where = defaulted ? 'the default pipeline' : configPathText(at, names);
    const key = pipelineKey(pipeline.name);
    const previous = seen.get(key);
    if (previous !== undefined) {
      const first = rawPipelines[previous]?.name ?? pipeline.name;
      const other = field(['pipelines', previous]);
      throw new ConfigError({
        at: [...at, 'name'],
        problem:
          first === pipeline.name
            ? words`"${pipeline.name}" is already used by ${other}`
            : words`"${pipeline.name}" clashes with ${other}, which differs only in upper/lower case`,
        fix: 'rename one of them: every pipeline needs its own name, whatever its case (it names the stream and the destination table)',
      });
    }
    seen.set(key, index);
    const { filter, source, warning } = canonicalFilter(pipeline, at, names);
    if (warning) warnings.push(warning);
    const transformation = canonicalTransformation(pipeline.transformation, inReadmeOrder);
    let compiledFilter: CompiledFilter;
    try {
      compiledFilter = compileFilter(filter, { at: [...at, 'filter'], now });
    } catch (error) {
      throw error instanceof ConfigError ? error.moved(filterFieldPath(source, at)) : error;
    }
    return {
      name: pipeline.name,
      description: pipeline.description,
      enabled: pipeline.enabled,
      incremental: pipeline.incremental,
      filter: restrictToCreatedFrom(compiledFilter, startDate),
      transformation,
      onError: pipeline.on_error,
      ...(pipeline.schedule ? { schedule: pipeline.schedule } : {}),
      at,
      where,
      ...definitionFingerprints(filter, transformation, model.rows, config.start_date),
    };
  });
  return {
    connection: {
      apiKey: config.api_key,
      accountId: config.account_id,
      apiBaseUrl: config.api_base_url,
      requestsPerSecond: config.requests_per_second,
      maxShareOfRateLimits: config.max_share_of_rate_limits,
      requestTimeoutMs: config.request_timeout_seconds * 1000,
      maxAttempts: config.max_attempts,
    },
    startDate,
    reading: {
      lookbackSeconds: config.lookback_window_days * 86_400,
      settleSeconds: config.events_settle_seconds,
      overlapSeconds: config.events_overlap_seconds,
      searchLagSeconds: config.search_lag_seconds,
      concurrency: config.concurrency,
      useSearchApi: config.use_search_api,
      // No default in the spec: it depends on the key (a sandbox's 25 requests/s leave nothing
      // for a second endpoint).
      fullImportEndpoints:
        config.full_import_endpoints ?? (isLiveKey(config.api_key) ? 'list_and_search' : 'list'),
      searchHorizonSeconds: config.search_horizon_hours * 3600,
    },
    model: compiledModel,
    pipelines,
    warnings,
  };
}

const PIPELINE_KEYS = Object.keys(CONNECTION_SPECIFICATION.properties.pipelines.items.properties);

/**
 * Unknown pipeline keys are refused: a misspelt `filtr` would otherwise import every customer.
 * (The spec keeps `additionalProperties: true` for Airbyte, where a retired field must not make
 * saved configs invalid; a retired field then stays in the spec, hidden.)
 */
function unknownPipelineKeys(pipeline: RawPipeline, index: number) {
  return Object.keys(pipeline)
    .filter((key) => !PIPELINE_KEYS.includes(key))
    .map((key) => ({
      at: ['pipelines', index, key],
      problem: `not a known field${didYouMean(key, PIPELINE_KEYS) || ' (check its spelling)'}`,
    }));
}

/** The names of a parsed config's pipelines and model properties, for messages about them. */
export function configNames(config: ConnectorConfig): NameLookup {
  return namesIn({
    pipelines: config.pipelines.map((pipeline) => ({ name: pipeline.name })),
    customer_model: config.model?.properties,
  });
}

/**
 * A config without pipelines gets the default one before validation, so it gets the pipeline
 * defaults too. undefined when the config names its own pipelines (or is not an object at all).
 */
function withDefaultPipeline(raw: unknown): Record<string, unknown> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const { pipelines } = raw as { pipelines?: unknown };
  if (pipelines !== undefined && !(Array.isArray(pipelines) && pipelines.length === 0)) {
    return undefined;
  }
  return { ...raw, pipelines: [{ name: DEFAULT_PIPELINE_NAME }] };
}

/**
 * `start_date` already matches the spec's pattern (a UTC date or date-time); the filter's date
 * reader then refuses days the calendar lacks instead of rolling them over.
 */
function parseStartDate(value: string, now: Date): number {
  const parsed = parseTimeValue(value, now);
  if (!parsed.ok) {
    throw new ConfigError({
      at: ['start_date'],
      problem: 'not a real date',
      fix: 'write a UTC date like 2024-01-01 or a date-time like 2024-01-01T00:00:00Z',
    });
  }
  return Math.floor(parsed.range.start);
}

/** Live-mode keys: Stripe's limits are four times a sandbox's. */
export function isLiveKey(apiKey: string): boolean {
  return /^(sk|rk)_live_/.test(apiKey);
}

/**
 * Over the JSON shape: a pipeline written in the form's shape gets the fingerprint of the same
 * definition in the JSON shape, so its saved state survives the move. The Customer Model counts
 * only for a pipeline with a transformation (without one, Stripe's customer passes through and
 * the model shapes nothing), and only in what shapes records and columns: descriptions are left
 * out, every other change (a property added, removed, renamed or moved, a type, nullability,
 * precision) counts.
 */
function definitionFingerprints(
  filter: unknown,
  transformation: unknown,
  modelRows: unknown[] | undefined,
  startDate: string | undefined,
): Pick<PipelineConfig, 'fingerprint' | 'formerFingerprints'> {
  const columns = transformation && modelRows ? withoutDescriptions(modelRows) : null;
  const current = fingerprint([filter ?? null, transformation ?? null, columns, startDate ?? null]);
  // Earlier versions fingerprinted the whole model for every pipeline.
  const former = fingerprint([
    filter ?? null,
    transformation ?? null,
    modelRows ?? null,
    startDate ?? null,
  ]);
  return { fingerprint: current, formerFingerprints: former === current ? [] : [former] };
}

/** The model as written, without the descriptions of its properties and types (at any depth). */
function withoutDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'description')
      .map(([key, item]) => [key, withoutDescriptions(item)]),
  );
}

function fingerprint(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
