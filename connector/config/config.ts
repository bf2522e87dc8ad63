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
import { ACCOUNT_FIELD } from '../stripe/customer-schema';
import { parseShard, type AccountShard } from '../accounts/shard';

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
  /**
   * The config reads connected accounts (`connected_accounts`): records carry `stripe_account_id`
   * and are keyed by it and their customer's id.
   */
  perAccount: boolean;
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

/** Which accounts a config reads with `connected_accounts` (the Connect platform's key). */
export interface AccountSelection {
  /** `all`: every account `GET /v1/accounts` lists when the run starts; or these ids. */
  connected: 'all' | readonly string[];
  /** Also the key's own (platform) account, as the account `PLATFORM_ACCOUNT`. */
  includePlatform: boolean;
  /** What becomes of the rows of an account no longer read. */
  onRemoved: 'keep' | 'delete';
  /** Only the accounts of this shard (`account_shard`). */
  shard?: AccountShard;
  /** Accounts read at the same time. */
  concurrency: number;
}

export interface ConnectorConfig {
  connection: StripeConnection;
  /** Set when the config reads connected accounts; absent: one account, as before. */
  accounts?: AccountSelection;
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
  const { config, warnings } = validateConfigJson(withAccountList(defaulted ?? raw));
  const accounts = accountSelection(config);
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
    if (!accounts && compiledFilter.fieldsRead.has(ACCOUNT_FIELD)) {
      throw new ConfigError({
        at: filterFieldPath(source, at)([...at, 'filter']),
        problem: words`reads ${ACCOUNT_FIELD}, which only records of connected accounts carry`,
        fix: words`set ${field(['connected_accounts'])} to read connected accounts, or take the condition out`,
      });
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
      perAccount: accounts !== undefined,
      ...definitionFingerprints(filter, transformation, model.rows, config.start_date),
    };
  });
  if (accounts) refuseAccountColumn(compiledModel, model.rows, pipelines, names);
  return {
    ...(accounts ? { accounts } : {}),
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

/**
 * `connected_accounts` may be written as the one word `"all"` (the JSON shape the docs show);
 * the specification types it as a list (Airbyte's form draws a list), where `all` is one entry.
 * An empty list is no list: Airbyte's form saves one for a field left alone.
 */
function withAccountList(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const { connected_accounts: accounts } = raw as { connected_accounts?: unknown };
  if (typeof accounts === 'string') return { ...raw, connected_accounts: [accounts] };
  if (Array.isArray(accounts) && accounts.length === 0) {
    const rest: Record<string, unknown> = { ...raw };
    delete rest.connected_accounts;
    return rest;
  }
  return raw;
}

/** The accounts a config reads with `connected_accounts`, checked; undefined without it. */
function accountSelection(config: RawConfig): AccountSelection | undefined {
  const listed = config.connected_accounts;
  const needsAccounts = (name: string, set: boolean) => {
    if (!set || listed) return;
    throw new ConfigError({
      at: [name],
      problem: words`applies to connected accounts only, and ${field(['connected_accounts'])} is empty`,
      fix: words`set ${field(['connected_accounts'])} (a list of acct_... ids, or "all"), or take ${field([name])} out`,
    });
  };
  needsAccounts('include_platform_account', config.include_platform_account === true);
  needsAccounts('on_account_removed', config.on_account_removed === 'delete');
  needsAccounts('account_shard', config.account_shard !== undefined);
  if (!listed) return undefined;
  if (config.account_id !== undefined) {
    throw new ConfigError({
      at: ['connected_accounts'],
      problem: words`cannot go with ${field(['account_id'])}: that reads one connected account, this reads several`,
      fix: words`list that account in ${field(['connected_accounts'])} and take ${field(['account_id'])} out, or empty ${field(['connected_accounts'])} to read just the one`,
    });
  }
  const seen = new Map<string, number>();
  listed.forEach((entry, index) => {
    if (entry === 'all' && listed.length > 1) {
      throw new ConfigError({
        at: ['connected_accounts', index],
        problem: '"all" stands alone: it already means every connected account',
        fix: 'keep either "all" or the list of acct_... ids',
      });
    }
    const first = seen.get(entry);
    if (first !== undefined) {
      throw new ConfigError({
        at: ['connected_accounts', index],
        problem: words`${entry} is listed twice (also at ${field(['connected_accounts', first])})`,
        fix: 'list each account once',
      });
    }
    seen.set(entry, index);
  });
  const shard = config.account_shard === undefined ? undefined : parseShard(config.account_shard);
  return {
    connected: listed[0] === 'all' ? 'all' : [...listed],
    includePlatform: config.include_platform_account,
    onRemoved: config.on_account_removed,
    ...(shard ? { shard } : {}),
    concurrency: config.account_concurrency,
  };
}

/**
 * With connected accounts every record carries `stripe_account_id`, filled by the engine: a
 * Customer Model property of that name would be overwritten, so it is refused where a pipeline
 * fills the model.
 */
function refuseAccountColumn(
  model: CustomerModel | undefined,
  rows: unknown[] | undefined,
  pipelines: PipelineConfig[],
  names: NameLookup,
): void {
  if (!model || !pipelines.some((pipeline) => pipeline.transformation)) return;
  const index = model.names.indexOf(ACCOUNT_FIELD);
  if (index < 0 || !rows) return;
  throw new ConfigError(
    {
      at: ['customer_model', index, 'name'],
      problem: words`${ACCOUNT_FIELD} is the engine's with connected accounts: every record carries the account it comes from there`,
      fix: 'rename the property; a mapping can still copy stripe_account_id into it',
    },
    { names },
  );
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
