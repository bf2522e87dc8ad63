/**
 * The one door from the n8n shell into the engine (../../connector, through its public face
 * connector/index.ts). Everything the nodes need from the engine goes through here, so the
 * bundle boundary is one module.
 */
export {
  CDC_DELETED_AT,
  DEFAULT_PIPELINE_NAME,
  EVENTS_PERMISSION_STEPS,
  ConfigError,
  ConnectorError,
  LISTED_SKIPS,
  MODEL_TYPES,
  MissingPermissionError,
  OPERATORS,
  SkipTally,
  StripeApi,
  connect,
  describeAccess,
  describeError,
  isoFromMillis,
  isoFromSeconds,
  layoutOf,
  listFilterableProperties,
  parseConfig,
  parsePipelineState,
  probeAccess,
  stateStartingNow,
  syncPipelines,
} from '../../connector';
export type {
  ChangeKind,
  ConfigPath,
  PathSegment,
  Term,
  Wording,
  ConnectorConfig,
  EmittedRecord,
  LogTopic,
  PipelineConfig,
  PipelineState,
  PipelineSummary,
  RecordLayout,
  StripeAccess,
  StripePort,
} from '../../connector';
