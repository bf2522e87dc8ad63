/**
 * The engine's public surface: everything a shell (the Airbyte CLI, the n8n nodes, the standalone
 * tool) needs, in the product's own words. Shells validate nothing themselves, know nothing of
 * Stripe's API, and import the engine only through this module.
 */
export { parseConfig, DEFAULT_PIPELINE_NAME, isLiveKey } from './config/config';
export { pipelineKey } from './config/pipeline-key';
export type { ConnectorConfig, PipelineConfig, ReadSettings } from './config/config';
export { CONNECTION_SPECIFICATION } from './config/specification';
export { checkConnection, describeAccess, type CheckResult } from './check';
export {
  probeAccess,
  eventsPermissionAdvice,
  EVENTS_PERMISSION_STEPS,
  type StripeAccess,
} from './access';
export { describeStreams, layoutOf, type StreamDescription } from './streams';
export {
  syncPipelines,
  connect,
  defaultRequests,
  asConnectorError,
  type PipelineRequest,
  type SyncEvent,
  type SyncMode,
  type SyncOptions,
  type SkippedCustomer,
  type LogTopic,
} from './sync';
export type { ChangeKind, EmittedRecord, PipelineSummary, StripeChangeKind } from './pipeline/run';
export { SkipTally, LISTED_SKIPS } from './pipeline/skip-tally';
export {
  parsePipelineState,
  type PipelineState,
  type SingleAccountState,
  type AccountsState,
} from './pipeline/state';
export { stateStartingNow } from './pipeline/start-now';
export { accountsStartingNow } from './accounts/start-now';
export {
  CDC_DELETED_AT,
  keyFieldsOf,
  type RecordLayout,
  type OutputRecord,
} from './pipeline/records';
export { StripeApi, type StripeConnection } from './stripe/api';
export type { StripePort, RequestStats } from './stripe/port';
export { rateBudgets, keyMode, STRIPE_LIMITS, ENDPOINTS } from './stripe/rate-budgets';
export {
  ConnectorError,
  ConfigError,
  DataError,
  TransientError,
  describeError,
  errorMessage,
  type ConfigIssue,
  type FailureKind,
  type FailureOrigin,
} from './errors';
export {
  configPathText,
  configWording,
  namesIn,
  type ConfigPath,
  type NameLookup,
  type PathSegment,
  type Term,
  type Wording,
  type Words,
} from './words';
export { MissingPermissionError } from './stripe/errors';
export { redactSecrets } from './stripe/redact';
export { OPERATORS, listFilterableProperties, resolveOperator } from './filter';
export { MODEL_TYPES } from './model';
export {
  WebhookApplier,
  type LeftToRun,
  type WebhookOutcome,
  type WebhookPipelineRequest,
} from './webhooks/apply';
export { foreignEventReason, readWebhookEvent, type WebhookEventFacts } from './webhooks/event';
export { isoFromMillis, isoFromSeconds } from './util/unix-time';
