import { eventsPermissionAdvice, type StripeAccess } from './access';
import type { ConnectorConfig, PipelineConfig } from './config/config';
import type { SyncMode } from './pipeline/definition';
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

/**
 * The stream's JSON Schema as Airbyte's catalog rules want it (see test/spec/catalog-rules):
 * `additionalProperties`, where set, is `true`, and every type is one type or that type plus
 * null. The engine's own schemas say more (closed model objects, map value types, Stripe's
 * expandable "ID or object" fields) because they validate records and type-check filters and
 * mappings; a catalog only tells destinations what to expect, and must not break when a field is
 * added later.
 */
function streamSchema(
  config: ConnectorConfig,
  pipeline: PipelineConfig,
  layout: RecordLayout,
): JsonSchema {
  return forCatalog(engineSchema(config, pipeline, layout));
}

function engineSchema(
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
    model?.properties ??
    transformationColumns(pipeline.transformation, [...pipeline.at, 'transformation']);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: true,
    required: [layout.primaryKey],
    properties: {
      ...(columns ?? {}),
      [layout.primaryKey]: { type: 'string', description: 'The Stripe customer id (cus_...).' },
      ...bookkeeping,
    },
  };
}

/**
 * The schema with every `additionalProperties` opened to `true` and every multi-type narrowed:
 * Stripe's expandable fields ("ID or expanded object") are the ID, since the connector never
 * asks Stripe to expand them; any other mix of types is left untyped (any JSON value).
 */
function forCatalog(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'additionalProperties') out[key] = true;
    else if (key === 'properties') out[key] = mapValues(value as Record<string, JsonSchema>);
    else if (key === 'items' && isSchema(value)) out[key] = forCatalog(value);
    else if (key !== 'type') out[key] = value;
  }
  if (schema.type === undefined) return out;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const nonNull = types.filter((type) => type !== 'null');
  const nullable = nonNull.length < types.length;
  const single =
    nonNull.length === 1
      ? nonNull[0]
      : nonNull.length === 2 && nonNull.includes('string') && nonNull.includes('object')
        ? 'string'
        : undefined;
  if (single === undefined) return out;
  return { type: nullable ? ['null', single] : single, ...out };
}

function mapValues(properties: Record<string, JsonSchema>): Record<string, JsonSchema> {
  return Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => [name, forCatalog(schema)]),
  );
}

const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
