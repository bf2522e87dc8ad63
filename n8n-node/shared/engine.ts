/**
 * The one door from the n8n shell into the engine (../../connector). Everything the nodes need
 * from the engine goes through here, so the bundle boundary is one module.
 */
export {
  DEFAULT_PIPELINE_NAME,
  ConnectorError,
  OPERATORS,
  StripeApi,
  checkConnection,
  connect,
  parseConfig,
  parsePipelineState,
  stateStartingNow,
  syncPipelines,
} from '../../connector';
export type {
  ChangeKind,
  ConnectorConfig,
  EmittedRecord,
  PipelineConfig,
  PipelineState,
  PipelineSummary,
} from '../../connector';
export { listFilterableProperties, MODEL_TYPES } from '../../connector';
// Only the n8n package schedules runs (the platform schedules Airbyte syncs): `cron` is bundled
// here and never loaded by the CLI.
export { shortestIntervalMs } from '../../connector/schedule/interval';
