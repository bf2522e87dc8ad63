/**
 * The Airbyte protocol messages this connector prints (airbyte_protocol.yaml, protocol 0.3.2),
 * typed so a malformed message does not compile. One JSON object per line on stdout.
 */
export type LogLevel = 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';
export type SyncMode = 'full_refresh' | 'incremental';
export type DestinationSyncMode = 'append' | 'overwrite' | 'append_dedup' | 'update';
export type FailureType = 'system_error' | 'config_error' | 'transient_error';
export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';

export interface StreamDescriptor {
  name: string;
  namespace?: string;
}

export interface AirbyteStream {
  name: string;
  description?: string;
  json_schema: Record<string, unknown>;
  supported_sync_modes: SyncMode[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  is_resumable?: boolean;
}

export interface ConfiguredAirbyteStream {
  stream: AirbyteStream;
  sync_mode: SyncMode;
  destination_sync_mode: DestinationSyncMode;
  cursor_field?: string[];
  primary_key?: string[][];
}

export interface ConfiguredAirbyteCatalog {
  streams: ConfiguredAirbyteStream[];
}

export interface AirbyteStreamState {
  stream_descriptor: StreamDescriptor;
  stream_state?: Record<string, unknown>;
}

/** Per-stream state only: this connector never emits the legacy or global shapes. */
export interface AirbyteStateMessage {
  type: 'STREAM';
  stream: AirbyteStreamState;
  sourceStats?: { recordCount: number };
}

export type AirbyteMessage =
  | { type: 'LOG'; log: { level: LogLevel; message: string; stack_trace?: string } }
  | {
      type: 'SPEC';
      spec: {
        documentationUrl?: string;
        changelogUrl?: string;
        connectionSpecification: Record<string, unknown>;
        supportsIncremental?: boolean;
        supported_destination_sync_modes?: DestinationSyncMode[];
        protocol_version?: string;
      };
    }
  | {
      type: 'CONNECTION_STATUS';
      connectionStatus: { status: 'SUCCEEDED' | 'FAILED'; message?: string };
    }
  | { type: 'CATALOG'; catalog: { streams: AirbyteStream[] } }
  | {
      type: 'RECORD';
      record: {
        stream: string;
        data: Record<string, unknown>;
        emitted_at: number;
        namespace?: string;
      };
    }
  | { type: 'STATE'; state: AirbyteStateMessage }
  | { type: 'TRACE'; trace: AirbyteTrace };

export type AirbyteTrace =
  | {
      type: 'ERROR';
      emitted_at: number;
      error: {
        message: string;
        internal_message?: string;
        stack_trace?: string;
        failure_type: FailureType;
        stream_descriptor?: StreamDescriptor;
      };
    }
  | {
      type: 'STREAM_STATUS';
      emitted_at: number;
      stream_status: { stream_descriptor: StreamDescriptor; status: StreamStatus };
    }
  | {
      type: 'ESTIMATE';
      emitted_at: number;
      estimate: { name: string; type: 'STREAM'; row_estimate?: number };
    };
