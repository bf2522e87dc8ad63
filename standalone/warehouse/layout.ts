import { createHash } from 'node:crypto';
import {
  CDC_DELETED_AT,
  pipelineKey,
  type ConnectorConfig,
  type StreamDescription,
} from '../../connector';

/** The SQL types the tool writes; each dialect spells them its own way. */
export type ColumnKind =
  | { type: 'text' }
  | { type: 'bigint' }
  | { type: 'double' }
  | { type: 'decimal'; precision: number; scale: number }
  | { type: 'boolean' }
  | { type: 'timestamptz' }
  | { type: 'date' }
  | { type: 'time' }
  | { type: 'uuid' }
  | { type: 'json' };

export interface Column {
  name: string;
  kind: ColumnKind;
}

/** One pipeline's table: its columns in order, and which of them the tool keys and deletes by. */
export interface TableLayout {
  pipeline: string;
  /** The pipeline's name in lower case: warehouses fold case, and names are unique ignoring it. */
  table: string;
  /** Where a full import collects rows until it replaces the table's content in one transaction. */
  stagingTable: string;
  columns: Column[];
  primaryKey: string;
  /** When the row's state was observed (unix seconds): not a change of the customer itself. */
  cursor: string;
  deletedFlag: string;
  deletedAt: string;
  /**
   * Open schemas (Stripe's customer object, code transformations without a model) may carry keys
   * the table has no column for, or values of another type than their column's: they are kept
   * here, as JSON, instead of being dropped.
   */
  extra?: string;
}

type ModelProperty = NonNullable<ConnectorConfig['model']>['properties'][number];

type JsonSchema = StreamDescription['jsonSchema'];

/** Every table name the tool uses for itself starts with this; pipeline names start with a letter. */
export const BOOKKEEPING_PREFIX = '_stripe_sync_';
const MAX_IDENTIFIER = 63;

/**
 * The table for a stream: typed columns from its JSON Schema (Stripe's customer schema for
 * pass-through pipelines, the Customer Model for transformed ones): scalars as columns, objects and
 * arrays as JSON. `model` refines what JSON Schema cannot say (a decimal's precision and scale).
 */
export function tableLayout(
  stream: StreamDescription,
  model?: ConnectorConfig['model'],
): TableLayout {
  const { primaryKey, cursorField, deletedFlag } = stream.layout;
  const properties = stream.jsonSchema.properties ?? {};
  const byName = new Map(model?.properties.map((property) => [property.name, property]));
  const names = [primaryKey, ...Object.keys(properties).filter((name) => name !== primaryKey)];
  const columns = names.map((name) => ({
    name,
    kind:
      name === primaryKey
        ? ({ type: 'text' } as const)
        : columnKind(properties[name] ?? {}, byName.get(name)),
  }));
  // A Customer Model validates every record (no other keys, every value of its type); anything
  // else may carry more than its schema says.
  const open = model === undefined && stream.jsonSchema.additionalProperties !== false;
  let extra: string | undefined;
  if (open) {
    extra = '_extra';
    for (let n = 1; names.includes(extra); n++) extra = `_extra_${n}`;
    columns.push({ name: extra, kind: { type: 'json' } });
  }
  const table = tableNameOf(stream.name);
  return {
    pipeline: stream.name,
    table,
    stagingTable: stagingName(table),
    columns,
    primaryKey,
    cursor: cursorField,
    deletedFlag,
    deletedAt: CDC_DELETED_AT,
    ...(extra ? { extra } : {}),
  };
}

/** A pipeline's table: named by the pipeline's key (its name as destinations key it). */
export function tableNameOf(pipeline: string): string {
  return pipelineKey(pipeline);
}

function stagingName(table: string): string {
  const name = `${BOOKKEEPING_PREFIX}stage_${table}`;
  if (name.length <= MAX_IDENTIFIER) return name;
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_IDENTIFIER - 9)}_${hash}`;
}

function columnKind(schema: JsonSchema, property: ModelProperty | undefined): ColumnKind {
  if (property?.type === 'decimal') {
    return { type: 'decimal', precision: property.precision, scale: property.scale };
  }
  const declared = schema.type === undefined ? [] : [schema.type].flat();
  const types = declared.filter((type) => type !== 'null');
  // `{}` (the model's json type) or a union of types (Stripe's expandable fields): JSON.
  if (types.length !== 1) return { type: 'json' };
  switch (types[0]) {
    case 'string':
      switch (schema.format) {
        case 'date-time':
          return { type: 'timestamptz' };
        case 'date':
          return { type: 'date' };
        case 'time':
          return { type: 'time' };
        case 'uuid':
          return { type: 'uuid' };
        default:
          return { type: 'text' };
      }
    case 'integer':
      return { type: 'bigint' };
    case 'number':
      return { type: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    default:
      return { type: 'json' };
  }
}

/** The columns a full import compares to tell a changed row from an unchanged one. */
export function comparedColumns(layout: TableLayout): Column[] {
  return layout.columns.filter(
    (column) => column.name !== layout.primaryKey && column.name !== layout.cursor,
  );
}
