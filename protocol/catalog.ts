import { ConfigError, keyFieldsOf, type StreamDescription } from '../connector';
import type { AirbyteStream, ConfiguredAirbyteCatalog, ConfiguredAirbyteStream } from './messages';

export function toAirbyteStream(stream: StreamDescription): AirbyteStream {
  return {
    name: stream.name,
    ...(stream.description ? { description: stream.description } : {}),
    json_schema: stream.jsonSchema,
    supported_sync_modes: stream.syncModes,
    source_defined_cursor: true,
    default_cursor_field: [stream.layout.cursorField],
    // With connected accounts: [["stripe_account_id"], ["id"]], a key of two fields.
    source_defined_primary_key: keyFieldsOf(stream.layout).map((field) => [field]),
    is_resumable: true,
  };
}

/** Checks the configured catalog's shape; unknown streams are reported by the caller. */
export function parseConfiguredCatalog(raw: unknown): ConfiguredAirbyteCatalog {
  const streams = (raw as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) {
    throw new ConfigError(
      'The --catalog file must be a ConfiguredAirbyteCatalog: {"streams": [{"stream": {...}, "sync_mode": ..., "destination_sync_mode": ...}]}.',
    );
  }
  streams.forEach((entry: Partial<ConfiguredAirbyteStream>, index) => {
    if (typeof entry?.stream?.name !== 'string') {
      throw new ConfigError(
        `--catalog streams[${index}].stream.name is missing: each configured stream needs its stream's name.`,
      );
    }
    if (entry.sync_mode !== 'full_refresh' && entry.sync_mode !== 'incremental') {
      throw new ConfigError(
        `--catalog streams[${index}].sync_mode must be "full_refresh" or "incremental".`,
      );
    }
  });
  return raw as ConfiguredAirbyteCatalog;
}

/**
 * Accepts the state the platform passes: a list of per-stream STATE messages (current protocol),
 * a single one, or the legacy `{stream: blob}` object. Returns each stream's blob by name.
 */
export function parseInputState(raw: unknown): Map<string, unknown> {
  const states = new Map<string, unknown>();
  if (raw === null || raw === undefined) return states;
  const messages = Array.isArray(raw) ? raw : [raw];
  for (const [index, message] of messages.entries()) {
    const candidate = message as {
      type?: string;
      stream?: { stream_descriptor?: { name?: unknown }; stream_state?: unknown };
    };
    if (
      candidate?.type === 'STREAM' &&
      typeof candidate.stream?.stream_descriptor?.name === 'string'
    ) {
      states.set(candidate.stream.stream_descriptor.name, candidate.stream.stream_state);
    } else if (!Array.isArray(raw) && typeof raw === 'object' && candidate?.type === undefined) {
      for (const [name, blob] of Object.entries(raw as Record<string, unknown>))
        states.set(name, blob);
    } else if (candidate?.type === 'GLOBAL') {
      throw new ConfigError(
        "The --state file holds a GLOBAL state; this connector writes per-stream (STREAM) states. Reset the connection's state.",
      );
    } else {
      throw new ConfigError(
        `The --state file's entry [${index}] is not a STREAM state message: expected {"type": "STREAM", "stream": {"stream_descriptor": {"name": ...}, "stream_state": {...}}}. Reset the connection's state if it was edited by hand.`,
      );
    }
  }
  return states;
}
