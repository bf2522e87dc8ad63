import { checkConnection } from '../connector/check';
import { parseConfig, type ConnectorConfig } from '../connector/config/config';
import { CONNECTION_SPECIFICATION } from '../connector/config/validate-json';
import { ConnectorError, errorMessage, type FailureKind } from '../connector/errors';
import { closePipeline, openPipeline } from '../connector/open-pipeline';
import { runPipeline, type PipelineSummary } from '../connector/pipeline/run';
import { parsePipelineState } from '../connector/pipeline/state';
import { StripeApi } from '../connector/stripe/api';
import { describeStreams } from '../connector/streams';
import { parseConfiguredCatalog, parseInputState, toAirbyteStream } from './catalog';
import { readJsonFile } from './files';
import type { FailureType } from './messages';
import type { MessageWriter } from './output';

const FAILURE_TYPES: Record<FailureKind, FailureType> = {
  config: 'config_error',
  transient: 'transient_error',
  system: 'system_error',
};

export const PROTOCOL_VERSION = '0.3.2';

export async function specCommand(out: MessageWriter): Promise<number> {
  await out.write({
    type: 'SPEC',
    spec: {
      documentationUrl: 'https://github.com/source-stripe-customers/source-stripe-customers#readme',
      connectionSpecification: CONNECTION_SPECIFICATION,
      supportsIncremental: true,
      protocol_version: PROTOCOL_VERSION,
    },
  });
  return 0;
}

/** A bad key or config is a FAILED status (exit 0), as the platform expects from check. */
export async function checkCommand(out: MessageWriter, configPath: string): Promise<number> {
  let result: { ok: boolean; message: string };
  try {
    const config = await loadConfig(out, configPath);
    result = await checkConnection(config);
  } catch (error) {
    result = { ok: false, message: errorMessage(error) };
  }
  await out.write({
    type: 'CONNECTION_STATUS',
    connectionStatus: { status: result.ok ? 'SUCCEEDED' : 'FAILED', message: result.message },
  });
  return 0;
}

export async function discoverCommand(out: MessageWriter, configPath: string): Promise<number> {
  const config = parseConfig(await readJsonFile(configPath, '--config'));
  await out.write({
    type: 'CATALOG',
    catalog: { streams: describeStreams(config).map(toAirbyteStream) },
  });
  return 0;
}

async function loadConfig(out: MessageWriter, path: string): Promise<ConnectorConfig> {
  const raw = await readJsonFile(path, '--config');
  const apiKey = (raw as { api_key?: unknown } | null)?.api_key;
  if (typeof apiKey === 'string') out.addSecret(apiKey);
  return parseConfig(raw);
}

export interface ReadOptions {
  configPath: string;
  catalogPath: string;
  statePath?: string;
  /** Set when SIGTERM arrives: the read stops at its next checkpoint. */
  stopRequested: () => boolean;
}

/**
 * Reads every configured stream in turn. A stream that fails is reported (INCOMPLETE and a TRACE
 * ERROR) and the others still run; the exit code is non-zero if any failed.
 */
export async function readCommand(out: MessageWriter, options: ReadOptions): Promise<number> {
  const config = await loadConfig(out, options.configPath);
  const catalog = parseConfiguredCatalog(await readJsonFile(options.catalogPath, '--catalog'));
  const states = options.statePath
    ? parseInputState(await readJsonFile(options.statePath, '--state'))
    : new Map();
  const available = new Map(describeStreams(config).map((stream) => [stream.name, stream]));
  const api = new StripeApi(config.connection, (pace) => {
    void out.log(
      'WARN',
      `Stripe answered 429 (rate limit): slowing down to ${pace.toFixed(1)} requests/s; the pace recovers gradually.`,
    );
  });
  let failures = 0;
  for (const configured of catalog.streams) {
    const name = configured.stream.name;
    if (!available.has(name)) {
      await out.log(
        'WARN',
        `Stream "${name}" is in the catalog but not among the enabled pipelines (${[...available.keys()].join(', ')}); skipping it. Run discover again.`,
      );
      continue;
    }
    const outcome = await readStream(
      out,
      config,
      api,
      name,
      configured.sync_mode,
      states.get(name),
      options.stopRequested,
    );
    if (outcome === 'failed') failures++;
    if (outcome === 'stopped') {
      await out.error(
        'The read was stopped (SIGTERM) after its last checkpoint; the next run continues from there.',
        'transient_error',
      );
      return 143;
    }
  }
  await out.log(
    'INFO',
    `Read finished: ${api.stats.requests} request(s) to Stripe, ${api.stats.retries} retried, ${api.stats.rateLimited} answered 429.`,
  );
  return failures > 0 ? 1 : 0;
}

async function readStream(
  out: MessageWriter,
  config: ConnectorConfig,
  api: StripeApi,
  name: string,
  syncMode: 'full_refresh' | 'incremental',
  stateBlob: unknown,
  stopRequested: () => boolean,
): Promise<'complete' | 'failed' | 'stopped'> {
  const stream = { name };
  await out.streamStatus(stream, 'STARTED');
  const pipelineConfig = config.pipelines.find((pipeline) => pipeline.name === name);
  let sinceCheckpoint = 0;
  let running = false;
  try {
    if (!pipelineConfig) throw new ConnectorError('system', `No pipeline named "${name}".`);
    const state = parsePipelineState(stateBlob, name);
    const pipeline = await openPipeline(config, pipelineConfig);
    try {
      const run = runPipeline(pipeline, {
        api,
        syncMode,
        state,
        fingerprint: pipelineConfig.fingerprint,
        lookbackSeconds: config.lookbackSeconds,
        settleSeconds: config.settleSeconds,
        concurrency: config.concurrency,
        useSearchApi: config.useSearchApi,
      });
      let step = await run.next();
      for (; !step.done; step = await run.next()) {
        const event = step.value;
        if (event.kind === 'records') {
          if (!running) {
            running = true;
            await out.streamStatus(stream, 'RUNNING');
          }
          const emittedAt = Date.now();
          for (const item of event.items) await out.record(name, item.record, emittedAt);
          sinceCheckpoint += event.items.length;
        } else if (event.kind === 'checkpoint') {
          await out.checkpoint({
            type: 'STREAM',
            stream: { stream_descriptor: stream, stream_state: event.state },
            sourceStats: { recordCount: sinceCheckpoint },
          });
          sinceCheckpoint = 0;
          if (stopRequested()) {
            await run.return(undefined as unknown as PipelineSummary);
            await out.streamStatus(stream, 'INCOMPLETE');
            return 'stopped';
          }
        } else {
          await out.log(event.level, event.message);
        }
      }
    } finally {
      await closePipeline(pipeline);
    }
    await out.streamStatus(stream, 'COMPLETE');
    return 'complete';
  } catch (error) {
    await out.streamStatus(stream, 'INCOMPLETE');
    await traceError(out, error, { prefix: `Stream "${name}": `, stream });
    return 'failed';
  }
}

function failureTypeOf(error: unknown): FailureType {
  return FAILURE_TYPES[error instanceof ConnectorError ? error.kind : 'system'];
}

/** Reports a failure as a TRACE ERROR; only system errors (our bugs) carry their stack. */
export function traceError(
  out: MessageWriter,
  error: unknown,
  context: { prefix?: string; stream?: { name: string } } = {},
): Promise<void> {
  const failureType = failureTypeOf(error);
  return out.error(`${context.prefix ?? ''}${errorMessage(error)}`, failureType, {
    stream: context.stream,
    internal: failureType === 'system_error' && error instanceof Error ? error.stack : undefined,
  });
}
