import {
  CONNECTION_SPECIFICATION,
  ConnectorError,
  SkipTally,
  checkConnection,
  connect,
  describeStreams,
  errorMessage,
  parseConfig,
  probeAccess,
  syncPipelines,
  type ConnectorConfig,
  type FailureKind,
  type LogTopic,
} from '../connector';
import { parseConfiguredCatalog, parseInputState, toAirbyteStream } from './catalog';
import { EXIT, exitCodeFor } from './exit-codes';
import { readJsonFile } from './files';
import type { FailureType } from './messages';
import type { MessageWriter } from './output';

const FAILURE_TYPES: Record<FailureKind, FailureType> = {
  config: 'config_error',
  // The user's code or data must change: for whoever retries, the same as a config error.
  data: 'config_error',
  transient: 'transient_error',
  system: 'system_error',
};

/** What an Airbyte user does about what the engine's topical log lines state. */
const ADVICE: Record<LogTopic, string> = {
  definition_changed:
    'To drop those rows from the destination, refresh the stream in Airbyte ("Refresh and remove records").',
  cursor_expired:
    'To drop those rows from the destination, refresh the stream in Airbyte ("Refresh and remove records").',
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

/**
 * The catalog reflects the key: where it may not read events, streams offer full_refresh only and
 * say why. A key that cannot be used at all fails discover with its reason.
 */
export async function discoverCommand(out: MessageWriter, configPath: string): Promise<number> {
  const config = await loadConfig(out, configPath);
  const access = await probeAccess(connect(config));
  await out.write({
    type: 'CATALOG',
    catalog: { streams: describeStreams(config, access).map(toAirbyteStream) },
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
 * Reads every configured stream in turn through the engine's one loop. A stream that fails is
 * reported (INCOMPLETE and a TRACE ERROR) and the others still run; the exit code is non-zero if
 * any failed. SIGTERM stops the read at its next checkpoint.
 */
export async function readCommand(out: MessageWriter, options: ReadOptions): Promise<number> {
  const config = await loadConfig(out, options.configPath);
  const catalog = parseConfiguredCatalog(await readJsonFile(options.catalogPath, '--catalog'));
  const states = options.statePath
    ? parseInputState(await readJsonFile(options.statePath, '--state'))
    : new Map();
  const sync = syncPipelines(config, {
    pipelines: catalog.streams.map((configured) => ({
      name: configured.stream.name,
      syncMode: configured.sync_mode,
      state: states.get(configured.stream.name),
    })),
  });
  const failures: FailureKind[] = [];
  const running = new Set<string>();
  const skips = new Map<string, SkipTally>();
  for await (const event of sync) {
    switch (event.kind) {
      case 'pipeline_started':
        await out.streamStatus({ name: event.pipeline }, 'STARTED');
        if (event.downgraded) {
          await out.log('WARN', `Stream "${event.pipeline}": ${event.downgraded.reason}`);
        }
        break;
      case 'records': {
        if (!running.has(event.pipeline)) {
          running.add(event.pipeline);
          await out.streamStatus({ name: event.pipeline }, 'RUNNING');
        }
        const emittedAt = Date.now();
        for (const item of event.items) await out.record(event.pipeline, item.record, emittedAt);
        break;
      }
      case 'skipped': {
        const tally = skips.get(event.pipeline) ?? new SkipTally();
        skips.set(event.pipeline, tally);
        for (const customer of tally.add(event.customers)) {
          await out.log(
            'WARN',
            `Stream "${event.pipeline}": skipped customer ${customer.id}: ${customer.reason ?? 'no reason given'}`,
          );
        }
        break;
      }
      case 'checkpoint':
        await out.checkpoint({
          type: 'STREAM',
          stream: { stream_descriptor: { name: event.pipeline }, stream_state: event.state },
          sourceStats: { recordCount: event.recordsSinceLast },
        });
        if (options.stopRequested()) {
          await out.streamStatus({ name: event.pipeline }, 'INCOMPLETE');
          await out.error(
            'The read was stopped (SIGTERM) after its last checkpoint; the next run continues from there.',
            'transient_error',
          );
          return EXIT.stopped;
        }
        break;
      case 'log':
        await out.log(
          event.level,
          event.topic ? `${event.message} ${ADVICE[event.topic]}` : event.message,
        );
        break;
      case 'pipeline_finished':
        await reportSkips(out, event.pipeline, skips.get(event.pipeline));
        if (event.summary.settlingEvents > 0) {
          await out.log(
            'INFO',
            `Stream "${event.pipeline}": ${event.summary.settlingEvents} change(s) made in the last ${config.reading.settleSeconds} s (events_settle_seconds) come with the next read.`,
          );
        }
        await out.streamStatus({ name: event.pipeline }, 'COMPLETE');
        break;
      case 'pipeline_failed':
        await reportSkips(out, event.pipeline, skips.get(event.pipeline));
        failures.push(event.error.kind);
        await out.streamStatus({ name: event.pipeline }, 'INCOMPLETE');
        await traceError(out, event.error, {
          prefix: `Stream "${event.pipeline}": `,
          stream: { name: event.pipeline },
        });
        break;
      case 'sync_finished':
        await out.log(
          'INFO',
          `Read finished: ${event.stats.requests} request(s) to Stripe, ${event.stats.retries} retried, ${event.stats.rateLimited} answered 429.`,
        );
        break;
    }
  }
  return exitCodeFor(failures);
}

/** The closing lines of a stream's skips: what was not listed one by one, and the total. */
async function reportSkips(
  out: MessageWriter,
  stream: string,
  tally: SkipTally | undefined,
): Promise<void> {
  if (!tally || tally.afterErrors === 0) return;
  if (tally.unlisted > 0) {
    await out.log(
      'WARN',
      `Stream "${stream}": ${tally.unlisted} more customer(s) skipped after errors, not listed one by one.`,
    );
  }
  await out.log(
    'WARN',
    `Stream "${stream}": ${tally.afterErrors} skipped after errors (on_error: skip).`,
  );
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
