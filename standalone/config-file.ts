import {
  ConfigError,
  parseConfig,
  type ConnectorConfig,
  type PipelineConfig,
  type Wording,
} from '../connector';
import { readJsonFile } from '../command-line/json-file';
import { WordedFailure } from '../command-line/worded-failure';
import { configFileWording } from './config-words';

/** The config as the standalone tool uses it: parsed by the engine, plus what only it reads. */
export interface StandaloneConfig {
  config: ConnectorConfig;
  /** Each pipeline's `filter` as written, for the pipelines page's summary. */
  filters: Map<string, unknown>;
  /** How the tool names the file's fields in messages (config paths with the entries' names). */
  wording: Wording;
}

/**
 * Reads the config file. The API key may stay out of it: without `api_key`, `STRIPE_API_KEY`
 * from the environment is used (handy with Docker secrets and CI variables).
 */
export async function loadConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StandaloneConfig> {
  const raw = await readJsonFile(path, '--config');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`The --config file "${path}" must hold a JSON object.`);
  }
  const object = raw as Record<string, unknown>;
  if (object.api_key === undefined && env.STRIPE_API_KEY) {
    object.api_key = env.STRIPE_API_KEY;
  } else if (object.api_key === undefined) {
    throw new ConfigError(
      `The --config file "${path}" has no "api_key", and STRIPE_API_KEY is not set: put your Stripe secret or restricted key (sk_…, rk_…) in one of them.`,
    );
  }
  const wording = configFileWording(object);
  let config: ConnectorConfig;
  try {
    config = parseConfig(object);
  } catch (error) {
    throw new WordedFailure(error, wording);
  }
  const written = Array.isArray(object.pipelines) ? (object.pipelines as unknown[]) : [];
  const filters = new Map<string, unknown>();
  for (const pipeline of written) {
    const { name, filter } = (pipeline ?? {}) as { name?: unknown; filter?: unknown };
    if (typeof name === 'string' && filter !== undefined) filters.set(name, filter);
  }
  return { config, filters, wording };
}

/**
 * The config with the pipelines page's switches applied: a switch set there wins over the
 * config's `enabled` until it is changed again (it is kept in the warehouse, so it survives
 * restarts and applies to `sync` too).
 */
export function withEnabledOverrides(
  config: ConnectorConfig,
  overrides: ReadonlyMap<string, boolean>,
): ConnectorConfig {
  return {
    ...config,
    pipelines: config.pipelines.map((pipeline): PipelineConfig => ({
      ...pipeline,
      enabled: overrides.get(pipeline.name) ?? pipeline.enabled,
    })),
  };
}
