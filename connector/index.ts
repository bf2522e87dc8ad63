/**
 * The engine's public surface: everything a shell (the Airbyte CLI, the n8n nodes) needs, in the
 * product's own words. Shells validate nothing themselves and know nothing of Stripe's API.
 */
export { parseConfig, DEFAULT_PIPELINE_NAME } from './config/config';
export type { ConnectorConfig, PipelineConfig } from './config/config';
export { checkConnection, type CheckResult } from './check';
export { describeStreams, type StreamDescription } from './streams';
export { openPipeline, closePipeline } from './open-pipeline';
export { runPipeline } from './pipeline/run';
export type {
  ChangeKind,
  EmittedRecord,
  PipelineEvent,
  PipelineRunOptions,
  PipelineSummary,
} from './pipeline/run';
export { parsePipelineState, type PipelineState } from './pipeline/state';
export { stateStartingNow } from './pipeline/start-now';
export { StripeApi, type StripeConnection } from './stripe/api';
export { ConnectorError, ConfigError, TransientError, type FailureKind } from './errors';
export { redactSecrets } from './stripe/redact';
export { OPERATORS, listFilterableProperties } from './filter';
export { MODEL_TYPES } from './model';
