import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  ConfigError,
  parseConfig,
  type ConnectorConfig,
  type PipelineConfig,
  type Wording,
} from '../connector';
import { readJsonFile } from '../command-line/json-file';
import { WordedFailure } from '../command-line/worded-failure';
import { parseAlerts, type AlertsConfig } from './alerts-config';
import { configFileWording } from './config-words';
import { parseWebhookSecret } from './webhooks/secret';

/** The config as the standalone tool uses it: parsed by the engine, plus what only it reads. */
export interface StandaloneConfig {
  config: ConnectorConfig;
  /** Where run failures, recoveries and stale pipelines are announced (`alerts`), if anywhere. */
  alerts?: AlertsConfig;
  /**
   * The signing secret of the Stripe webhook endpoint `serve` takes deliveries for
   * (`webhook_secret`, or `STRIPE_WEBHOOK_SECRET`); without it, serve takes none.
   */
  webhookSecret?: string;
  /**
   * The file's JSON as written (its `api_key`, its `alerts`, fields the tool does not know):
   * what the pipelines page edits, and writes back with everything it did not edit kept.
   */
  document: Record<string, unknown>;
  /** A hash of the file's bytes: the version a form was read at. */
  version: string;
  /** How the tool names the file's fields in messages (config paths with the entries' names). */
  wording: Wording;
}

/** The fields only the standalone tool reads, taken out before the engine sees the config. */
const STANDALONE_FIELDS = ['alerts', 'webhook_secret'] as const;

/**
 * Reads the config file. The API key may stay out of it: without `api_key`, `STRIPE_API_KEY`
 * from the environment is used (handy with Docker secrets and CI variables).
 */
export async function loadConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StandaloneConfig> {
  const { document, version } = await readConfigDocument(path);
  return parseStandaloneConfig(document, version, { path, env });
}

/** The file's JSON object and the hash of its bytes. */
export async function readConfigDocument(
  path: string,
): Promise<{ document: Record<string, unknown>; version: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    // The same words as every other command's for a file that cannot be read.
    await readJsonFile(path, '--config');
    throw new ConfigError(`Cannot read the --config file "${path}".`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    // Its message says where, without quoting the text (which may hold the API key).
    await readJsonFile(path, '--config');
    throw new ConfigError(`The --config file "${path}" is not valid JSON.`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`The --config file "${path}" must hold a JSON object.`);
  }
  return { document: raw as Record<string, unknown>, version: versionOf(bytes) };
}

export function versionOf(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/**
 * Validates a config document as `sync` and `serve` use it: the standalone fields (`alerts`) by
 * the tool, everything else by the engine's own `parseConfig` (the same messages as `check`).
 */
export function parseStandaloneConfig(
  document: Record<string, unknown>,
  version: string,
  where: { path: string; env?: NodeJS.ProcessEnv },
): StandaloneConfig {
  const env = where.env ?? process.env;
  const engine: Record<string, unknown> = { ...document };
  for (const field of STANDALONE_FIELDS) delete engine[field];
  if (engine.api_key === undefined && env.STRIPE_API_KEY) {
    engine.api_key = env.STRIPE_API_KEY;
  } else if (engine.api_key === undefined) {
    throw new ConfigError(
      `The --config file "${where.path}" has no "api_key", and STRIPE_API_KEY is not set: put your Stripe secret or restricted key (sk_…, rk_…) in one of them.`,
    );
  }
  const alerts = parseAlerts(document.alerts);
  const webhookSecret = parseWebhookSecret(document.webhook_secret, env.STRIPE_WEBHOOK_SECRET);
  const wording = configFileWording(engine);
  let config: ConnectorConfig;
  try {
    config = parseConfig(engine);
  } catch (error) {
    throw new WordedFailure(error, wording);
  }
  return {
    config,
    ...(alerts ? { alerts } : {}),
    ...(webhookSecret ? { webhookSecret } : {}),
    document,
    version,
    wording,
  };
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
