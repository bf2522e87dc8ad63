/**
 * A pipeline as the pipelines page's form edits it, read from the config in any of its shapes
 * (the JSON `filter`, Airbyte's form fields `filter_conditions` / `filter_json`) and written back
 * into the config document with everything the form did not change kept as it was written: a
 * filter, transformation or Customer Model left alone keeps its spelling, so its fingerprint
 * (which ties saved states to the definition) does not change and nothing is imported again.
 */
import { listFilterableProperties, resolveOperator, type OPERATORS } from '../connector';

export type PropertyType = (typeof OPERATORS)[number]['types'][number];

export interface ConditionDraft {
  property: string;
  /** An operator id (`is_one_of`), or what was written when it is none. */
  operator: string;
  values: string[];
  caseSensitive: boolean;
}

/** Flat condition rows joined by all/any, or JSON text for nested groups. */
export type FilterDraft =
  | { kind: 'rows'; logical: 'all' | 'any'; conditions: ConditionDraft[] }
  | { kind: 'json'; text: string };

export type CodeLanguage = 'javascript' | 'python';

export type TransformationDraft =
  | { type: 'none' }
  | { type: 'mapping'; mappings: Array<{ to: string; from: string }> }
  | { type: CodeLanguage; source: string; timeoutMs: string; memoryLimitMb: string };

export interface ModelRowDraft {
  name: string;
  type: string;
  nullable: boolean;
  description: string;
  precision: string;
  scale: string;
  /** JSON of `items` (array), `values` (map) or `properties` (object). */
  nested: string;
}

export interface PipelineDraft {
  name: string;
  description: string;
  enabled: boolean;
  incremental: boolean;
  schedule: string;
  onError: 'fail' | 'skip';
  filter: FilterDraft;
  transformation: TransformationDraft;
}

/** What one form holds: a pipeline, and the Customer Model every pipeline shares. */
export interface EditorDraft {
  pipeline: PipelineDraft;
  model: ModelRowDraft[];
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : String(value);
const isBlank = (value: unknown) =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

export function emptyPipelineDraft(): PipelineDraft {
  return {
    name: '',
    description: '',
    enabled: true,
    incremental: true,
    schedule: '',
    onError: 'fail',
    filter: { kind: 'rows', logical: 'all', conditions: [] },
    transformation: { type: 'none' },
  };
}

/** The pipelines the document holds; without any, the engine's one default pipeline. */
export function documentPipelines(document: Json): Json[] {
  const pipelines = Array.isArray(document.pipelines) ? document.pipelines.filter(isRecord) : [];
  return pipelines.length > 0 ? pipelines : [{ name: 'customers' }];
}

export function readEditorDraft(document: Json, name: string | undefined): EditorDraft {
  const raw = name === undefined ? undefined : findPipeline(document, name);
  return {
    pipeline: raw ? readPipelineDraft(raw) : emptyPipelineDraft(),
    model: readModelDraft(document.customer_model),
  };
}

export function findPipeline(document: Json, name: string): Json | undefined {
  return documentPipelines(document).find((pipeline) => pipeline.name === name);
}

export function readPipelineDraft(raw: Json): PipelineDraft {
  return {
    name: text(raw.name),
    description: text(raw.description),
    enabled: raw.enabled !== false,
    incremental: raw.incremental !== false,
    schedule: text(raw.schedule),
    onError: raw.on_error === 'skip' ? 'skip' : 'fail',
    filter: readFilterDraft(raw),
    transformation: readTransformationDraft(raw.transformation),
  };
}

/** The filter in the JSON shape, from whichever field holds it; undefined when there is none. */
export function writtenFilter(raw: Json): unknown {
  if (!isBlank(raw.filter)) return raw.filter;
  if (!isBlank(raw.filter_json)) {
    try {
      return JSON.parse(text(raw.filter_json)) as unknown;
    } catch {
      return undefined;
    }
  }
  const rows = Array.isArray(raw.filter_conditions) ? raw.filter_conditions.filter(isRecord) : [];
  if (rows.length === 0) return undefined;
  return {
    logical: raw.filter_match === 'any' ? 'any' : 'all',
    conditions: rows.map((row) => ({
      property: row.property,
      operator: resolveOperator(row.operator)?.id ?? row.operator,
      ...(Array.isArray(row.values) && row.values.length > 0 ? { values: row.values } : {}),
      ...(row.case_sensitive === true ? { case_sensitive: true } : {}),
    })),
  };
}

function readFilterDraft(raw: Json): FilterDraft {
  const filter = writtenFilter(raw);
  if (!isBlank(raw.filter_json) && filter === undefined) {
    return { kind: 'json', text: text(raw.filter_json) };
  }
  if (filter === undefined) return { kind: 'rows', logical: 'all', conditions: [] };
  if (!isRecord(filter)) return { kind: 'json', text: JSON.stringify(filter, null, 2) };
  const conditions = Array.isArray(filter.conditions) ? filter.conditions : [];
  const flat = conditions.every(
    (condition) =>
      isRecord(condition) &&
      !('conditions' in condition) &&
      Object.keys(condition).every((key) =>
        ['property', 'operator', 'values', 'case_sensitive'].includes(key),
      ),
  );
  const logical = filter.logical ?? 'all';
  if (!flat || (logical !== 'all' && logical !== 'any')) {
    return { kind: 'json', text: JSON.stringify(filter, null, 2) };
  }
  return {
    kind: 'rows',
    logical,
    conditions: conditions.filter(isRecord).map((condition) => ({
      property: text(condition.property),
      operator: resolveOperator(condition.operator)?.id ?? text(condition.operator),
      values: Array.isArray(condition.values) ? condition.values.map(text) : [],
      caseSensitive: condition.case_sensitive === true,
    })),
  };
}

function readTransformationDraft(raw: unknown): TransformationDraft {
  if (!isRecord(raw) || raw.type === 'none' || raw.type === undefined) return { type: 'none' };
  if (raw.type === 'mapping') {
    const mappings = Array.isArray(raw.mappings) ? raw.mappings.filter(isRecord) : [];
    return {
      type: 'mapping',
      mappings: mappings.map((row) => ({ to: text(row.to), from: text(row.from) })),
    };
  }
  return {
    type: raw.type === 'python' ? 'python' : 'javascript',
    source: text(raw.source),
    timeoutMs: text(raw.timeout_ms),
    memoryLimitMb: text(raw.memory_limit_mb),
  };
}

const NESTED_KEYS = ['items', 'values', 'properties'] as const;

export function readModelDraft(raw: unknown): ModelRowDraft[] {
  const rows = Array.isArray(raw) ? raw.filter(isRecord) : [];
  return rows.map((row) => {
    const nestedKey = NESTED_KEYS.find((key) => row[key] !== undefined);
    const nested = nestedKey
      ? JSON.stringify(row[nestedKey])
      : !isBlank(row.nested_json)
        ? text(row.nested_json)
        : row.element_type !== undefined
          ? JSON.stringify({ type: row.element_type })
          : '';
    return {
      name: text(row.name),
      type: text(row.type),
      nullable: row.nullable !== false,
      description: text(row.description),
      precision: text(row.precision),
      scale: text(row.scale),
      nested,
    };
  });
}

/** A filter draft in the JSON shape (undefined: no filter). JSON text that does not parse is kept as text for the engine to refuse. */
export function filterOfDraft(draft: FilterDraft): unknown {
  if (draft.kind === 'json') {
    if (draft.text.trim() === '') return undefined;
    try {
      return JSON.parse(draft.text) as unknown;
    } catch {
      return draft.text;
    }
  }
  const conditions = draft.conditions.filter(
    (condition) => condition.property.trim() !== '' || condition.operator.trim() !== '',
  );
  if (conditions.length === 0) return undefined;
  return {
    logical: draft.logical,
    conditions: conditions.map((condition) => {
      const type = propertyType(condition.property.trim());
      const values = condition.values.filter((value) => value !== '');
      return {
        property: condition.property.trim(),
        operator: condition.operator,
        ...(values.length > 0 ? { values: values.map((value) => typedValue(value, type)) } : {}),
        ...(condition.caseSensitive ? { case_sensitive: true } : {}),
      };
    }),
  };
}

function transformationOfDraft(draft: TransformationDraft): Json | undefined {
  switch (draft.type) {
    case 'none':
      return undefined;
    case 'mapping':
      return {
        type: 'mapping',
        mappings: draft.mappings
          .filter((row) => row.to.trim() !== '' || row.from.trim() !== '')
          .map((row) => ({ to: row.to.trim(), from: row.from.trim() })),
      };
    default:
      return {
        type: draft.type,
        source: draft.source,
        ...numberField('timeout_ms', draft.timeoutMs),
        ...numberField('memory_limit_mb', draft.memoryLimitMb),
      };
  }
}

function modelOfDraft(rows: ModelRowDraft[]): Json[] {
  return rows
    .filter((row) => row.name.trim() !== '' || row.type.trim() !== '')
    .map((row) => {
      const nestedKey =
        row.type === 'array'
          ? 'items'
          : row.type === 'map'
            ? 'values'
            : row.type === 'object'
              ? 'properties'
              : undefined;
      let nested: unknown;
      if (nestedKey && row.nested.trim() !== '') {
        try {
          nested = JSON.parse(row.nested) as unknown;
        } catch {
          // The engine names the row and the fix.
          nested = row.nested;
        }
      }
      return {
        name: row.name.trim(),
        type: row.type,
        ...(row.nullable ? {} : { nullable: false }),
        ...(row.description.trim() ? { description: row.description.trim() } : {}),
        ...(row.type === 'decimal' ? numberField('precision', row.precision) : {}),
        ...(row.type === 'decimal' ? numberField('scale', row.scale) : {}),
        ...(nestedKey && nested !== undefined ? { [nestedKey]: nested } : {}),
      };
    });
}

function numberField(key: string, value: string): Json {
  const trimmed = value.trim();
  if (trimmed === '') return {};
  const number = Number(trimmed);
  return { [key]: Number.isFinite(number) ? number : trimmed };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The pipeline's config entry for a draft: the original entry with the form's fields replaced
 * (unknown fields kept); a filter or transformation the form left as it was keeps its spelling.
 */
export function writePipeline(draft: PipelineDraft, original: Json | undefined): Json {
  const entry: Json = { ...(original ?? {}) };
  entry.name = draft.name.trim();
  setOptional(entry, 'description', draft.description.trim() || undefined);
  setSwitch(entry, 'enabled', draft.enabled, original);
  setSwitch(entry, 'incremental', draft.incremental, original);
  setOptional(entry, 'schedule', draft.schedule.trim() || undefined);
  setOptional(
    entry,
    'on_error',
    draft.onError === 'skip' || original?.on_error !== undefined ? draft.onError : undefined,
  );
  const before = original ? readPipelineDraft(original) : emptyPipelineDraft();
  if (!same(filterOfDraft(draft.filter), filterOfDraft(before.filter))) {
    const formShaped = original && ('filter_conditions' in original || 'filter_json' in original);
    for (const key of ['filter', 'filter_match', 'filter_conditions', 'filter_json']) {
      delete entry[key];
    }
    const filter = filterOfDraft(draft.filter);
    if (filter !== undefined) {
      // A config in Airbyte's form fields stays in them (filter_json holds nested groups too).
      if (formShaped) entry.filter_json = JSON.stringify(filter);
      else entry.filter = filter;
    }
  }
  if (!same(draft.transformation, before.transformation)) {
    setOptional(entry, 'transformation', transformationOfDraft(draft.transformation));
  }
  return entry;
}

function setOptional(entry: Json, key: string, value: unknown): void {
  if (value === undefined) delete entry[key];
  else entry[key] = value;
}

/** A switch at its default is left out, unless the original wrote it. */
function setSwitch(entry: Json, key: string, value: boolean, original: Json | undefined): void {
  if (original?.[key] === undefined && value) delete entry[key];
  else entry[key] = value;
}

/**
 * The document with the form's pipeline saved (replacing `originalName`'s entry, or added last)
 * and its Customer Model, when the form changed it. A document without pipelines (the engine's
 * default pipeline) gets that pipeline written out first, so adding one does not remove it.
 */
export function applyEditorDraft(
  document: Json,
  draft: EditorDraft,
  originalName: string | undefined,
): Json {
  const pipelines = documentPipelines(document).map((pipeline) => ({ ...pipeline }));
  const index =
    originalName === undefined
      ? -1
      : pipelines.findIndex((pipeline) => pipeline.name === originalName);
  const entry = writePipeline(draft.pipeline, index >= 0 ? pipelines[index] : undefined);
  if (index >= 0) pipelines[index] = entry;
  else pipelines.push(entry);
  const next: Json = { ...document, pipelines };
  if (!same(modelOfDraft(draft.model), modelOfDraft(readModelDraft(document.customer_model)))) {
    const model = modelOfDraft(draft.model);
    if (model.length > 0) next.customer_model = model;
    else delete next.customer_model;
  }
  return next;
}

/** The document without the pipeline `name`. */
export function removePipeline(document: Json, name: string): Json {
  const pipelines = documentPipelines(document).filter((pipeline) => pipeline.name !== name);
  return { ...document, pipelines };
}

/** The type of a filter property path (`metadata.<any key>` is text), or undefined when unknown. */
export function propertyType(path: string): PropertyType | undefined {
  const properties = listFilterableProperties();
  const exact = properties.find((property) => property.path === path);
  if (exact) return exact.type;
  const keyed = properties.find(
    (property) =>
      property.anyKey &&
      path.startsWith(property.path.slice(0, -'<key>'.length)) &&
      path.length > property.path.length - '<key>'.length,
  );
  return keyed?.type;
}

function typedValue(value: string, type: PropertyType | undefined): unknown {
  if (type === 'number' && value.trim() !== '' && String(Number(value)) === value.trim()) {
    return Number(value);
  }
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}
