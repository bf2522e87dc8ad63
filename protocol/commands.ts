import {
  CONNECTION_SPECIFICATION,
  ConnectorError,
  SkipTally,
  checkConnection,
  configWording,
  connect,
  describeError,
  describeStreams,
  parseConfig,
  probeAccess,
  syncPipelines,
  type ConnectorConfig,
  type FailureKind,
  type LogTopic,
  type Wording,
} from '../connector';
import { parseConfiguredCatalog, parseInputState, toAirbyteStream } from './catalog';
import { EXIT, exitCodeFor, failureKindOf } from '../command-line/exit-codes';
import { readJsonFile } from '../command-line/json-file';
import { WordedFailure, unworded } from '../command-line/worded-failure';
import { formWording } from './form-words';
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

/**
 * A bad key or config is a FAILED status (exit 0), as the platform expects from check, saying
 * what is wrong in the form's words.
 */
export async function checkCommand(out: MessageWriter, configPath: string): Promise<number> {
  let status: { ok: boolean; message: string };
  let wording = configWording();
  try {
    const loaded = await loadConfig(out, configPath);
    wording = loaded.wording;
    const result = await checkConnection(loaded.config);
    const notes = loaded.config.warnings.map((warning) => ` ${warning}`).join('');
    status = result.ok
      ? result
      : { ok: false, message: `${describeError(result.error, wording)}${notes}` };
  } catch (error) {
    status = { ok: false, message: describeError(error, wording) };
  }
  await out.write({
    type: 'CONNECTION_STATUS',
    connectionStatus: { status: status.ok ? 'SUCCEEDED' : 'FAILED', message: status.message },
  });
  return 0;
}

/**
 * The catalog reflects the key: where it may not read events, streams offer full_refresh only and
 * say why. A key that cannot be used at all fails discover with its reason.
 */
export async function discoverCommand(out: MessageWriter, configPath: string): Promise<number> {
  const { config, wording } = await loadConfig(out, configPath);
  try {
    const access = await probeAccess(connect(config));
    await out.write({
      type: 'CATALOG',
      catalog: { streams: describeStreams(config, access).map(toAirbyteStream) },
    });
    return 0;
  } catch (error) {
    await traceError(out, error, { wording });
    return exitCodeFor([failureKindOf(error)]);
  }
}

/** The config file's config, as written and as parsed, and the form's words for it. */
async function loadConfig(
  out: MessageWriter,
  path: string,
): Promise<{ config: ConnectorConfig; raw: unknown; wording: Wording }> {
  const raw = await readJsonFile(path, '--config');
  const apiKey = (raw as { api_key?: unknown } | null)?.api_key;
  if (typeof apiKey === 'string') out.addSecret(apiKey);
  const wording = formWording(raw);
  try {
    return { config: parseConfig(raw), raw, wording };
  } catch (error) {
    throw new WordedFailure(error, wording);
  }
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
  const { config, raw, wording } = await loadConfig(out, options.configPath);
  /** A stream's errors in the form's words, without naming the stream's pipeline again. */
  const streamWording = (name: string): Wording => {
    const pipeline = config.pipelines.find((candidate) => candidate.name === name);
    return pipeline ? formWording(raw, pipeline.at) : wording;
  };
  // The catalog and the state are files of the platform's, not the form's: their errors stand as
  // they are (they name the flag and the file).
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
  try {
    return await readStreams(out, sync, { config, options, streamWording });
  } catch (error) {
    // Before any stream runs (the key, the account, events it may not read): the form's words.
    await traceError(out, error, { wording });
    return exitCodeFor([failureKindOf(error)]);
  }
}

/** Writes what the engine's loop yields as Airbyte messages; the exit status of the read. */
async function readStreams(
  out: MessageWriter,
  sync: ReturnType<typeof syncPipelines>,
  context: {
    config: ConnectorConfig;
    options: ReadOptions;
    streamWording: (name: string) => Wording;
  },
): Promise<number> {
  const { config, options, streamWording } = context;
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
          wording: streamWording(event.pipeline),
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

/**
 * Reports a failure as a TRACE ERROR, in the form's words (`wording`; a refused config carries
 * its own); only system errors (our bugs) carry their stack.
 */
export function traceError(
  out: MessageWriter,
  failure: unknown,
  context: { prefix?: string; stream?: { name: string }; wording?: Wording } = {},
): Promise<void> {
  const error = unworded(failure);
  const wording =
    failure instanceof WordedFailure ? failure.wording : (context.wording ?? configWording());
  const failureType = failureTypeOf(error);
  return out.error(`${context.prefix ?? ''}${describeError(error, wording)}`, failureType, {
    stream: context.stream,
    internal: failureType === 'system_error' && error instanceof Error ? error.stack : undefined,
  });
}
