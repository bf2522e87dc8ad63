import { eventsPermissionAdvice, type StripeAccess } from './access';
import type { ConnectorConfig, PipelineConfig } from './config/config';
import type { SyncMode } from './sync';
import { STRIPE_CUSTOMER_SCHEMA, type JsonSchema } from './stripe/customer-schema';
import { transformationColumns } from './transform';
import {
  CDC_DELETED_AT,
  MAPPED_LAYOUT,
  PASSTHROUGH_LAYOUT,
  type RecordLayout,
} from './pipeline/records';

/** What a pipeline produces, in terms any shell can publish (Airbyte stream, n8n output). */
export interface StreamDescription {
  name: string;
  description?: string;
  jsonSchema: JsonSchema;
  layout: RecordLayout;
  /** Whether the pipeline's own switch asks for incremental runs (Airbyte's catalog may override). */
  incremental: boolean;
  /** The sync modes the key allows: full_refresh always, incremental when events are readable. */
  syncModes: SyncMode[];
}

export function layoutOf(pipeline: PipelineConfig): RecordLayout {
  return pipeline.transformation ? MAPPED_LAYOUT : PASSTHROUGH_LAYOUT;
}

/**
 * The enabled pipelines' streams: disabled pipelines are neither offered nor read. With `access`
 * (what the key may do), a key that cannot read events offers full_refresh only, and each
 * description says why and how to enable incremental imports.
 */
export function describeStreams(
  config: ConnectorConfig,
  access?: StripeAccess,
): StreamDescription[] {
  const incrementalAvailable = access?.events.readable ?? true;
  return config.pipelines
    .filter((pipeline) => pipeline.enabled)
    .map((pipeline) => {
      const layout = layoutOf(pipeline);
      const description = incrementalAvailable
        ? pipeline.description
        : [pipeline.description, `Full refresh only: ${eventsPermissionAdvice()}`]
            .filter(Boolean)
            .join(' ');
      return {
        name: pipeline.name,
        ...(description ? { description } : {}),
        jsonSchema: streamSchema(config, pipeline, layout),
        layout,
        incremental: pipeline.incremental && incrementalAvailable,
        syncModes: incrementalAvailable ? ['full_refresh', 'incremental'] : ['full_refresh'],
      };
    });
}

function streamSchema(
  config: ConnectorConfig,
  pipeline: PipelineConfig,
  layout: RecordLayout,
): JsonSchema {
  const bookkeeping: Record<string, JsonSchema> = {
    [layout.cursorField]: {
      type: 'integer',
      description: 'When this state of the customer was observed (unix seconds): the cursor.',
    },
    [layout.deletedFlag]: {
      type: 'boolean',
      description: 'True when the customer was deleted in Stripe or no longer matches the filter.',
    },
    [CDC_DELETED_AT]: {
      type: ['null', 'string'],
      format: 'date-time',
      airbyte_type: 'timestamp_with_timezone',
      description: 'Set on deletions, so deduplicating destinations delete the row.',
    },
  };
  if (layout === PASSTHROUGH_LAYOUT) {
    return {
      ...STRIPE_CUSTOMER_SCHEMA,
      properties: {
        ...STRIPE_CUSTOMER_SCHEMA.properties,
        deleted: { type: ['null', 'boolean'], description: 'Present (true) on deletions only.' },
        ...bookkeeping,
      },
    };
  }
  const model = config.model?.jsonSchema;
  // Without a model, a mapping still names and types its columns, so typed destinations get
  // them as columns; code transformations stay open (their columns are only known at run time).
  const columns =
    model?.properties ?? transformationColumns(pipeline.transformation, pipeline.where);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: model ? false : true,
    required: [layout.primaryKey],
    properties: {
      ...(columns ?? {}),
      [layout.primaryKey]: { type: 'string', description: 'The Stripe customer id (cus_...).' },
      ...bookkeeping,
    },
  };
}
