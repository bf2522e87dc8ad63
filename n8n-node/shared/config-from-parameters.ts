/**
 * Node parameters + credential → the engine's config JSON (the same JSON the Airbyte connector
 * reads, with one pipeline). The shell checks nothing itself: parseConfig validates the result and
 * its ConfigErrors are what the user sees.
 */
import { jsonParse, type ICredentialDataDecryptedObject, type IDataObject } from 'n8n-workflow';
import { ANY_KEY_SUFFIX, CUSTOM_PATH } from './parameters';
import { DEFAULT_PIPELINE_NAME, OPERATORS } from './engine';

/** Reads one node parameter (getNodeParameter with the item index already bound). */
export type ParameterReader = (name: string, fallback: unknown) => unknown;

export const CREDENTIAL_TYPE = 'stripeCustomersApi';

export interface ShellOverrides {
  /** true: the pipeline reads changes after its first import (trigger, "only changed"). */
  incremental: boolean;
}

interface ConditionParameters {
  property?: string;
  key?: string;
  path?: string;
  operator?: string;
  value?: string;
  values?: string[] | string;
  low?: string;
  high?: string;
  caseSensitive?: boolean;
}

interface ModelFieldParameters {
  name?: string;
  type?: string;
  nullable?: boolean;
  precision?: number;
  scale?: number;
  elementType?: string;
  description?: string;
}

const ARITY = new Map(OPERATORS.map((operator) => [operator.id as string, operator.values]));

/** JSON parameters arrive as text or, with expressions, already parsed. */
function parseJsonParameter(value: unknown, parameter: string): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  return jsonParse<unknown>(value, {
    errorMessage: `The "${parameter}" parameter is not valid JSON: check its quotes, commas and brackets.`,
  });
}

/** A path the engine understands: metadata.plan, or metadata["a.b"] for keys with dots. */
function conditionPath(condition: ConditionParameters): string {
  const property = condition.property ?? '';
  if (property === CUSTOM_PATH) return (condition.path ?? '').trim();
  if (property.endsWith(ANY_KEY_SUFFIX)) {
    const key = condition.key ?? '';
    const prefix = property.slice(0, -ANY_KEY_SUFFIX.length);
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
      ? `${prefix}.${key}`
      : `${prefix}[${JSON.stringify(key)}]`;
  }
  return property;
}

function conditionValues(condition: ConditionParameters): string[] {
  switch (ARITY.get(condition.operator ?? '')) {
    case 'none':
      return [];
    case 'two':
      return [condition.low ?? '', condition.high ?? ''];
    case 'many': {
      const values = condition.values ?? [];
      return Array.isArray(values) ? values : [values];
    }
    default:
      return [condition.value ?? ''];
  }
}

function readFilter(get: ParameterReader): unknown {
  const mode = get('filterMode', 'none') as string;
  if (mode === 'json') return parseJsonParameter(get('filterJson', ''), 'Filter (JSON)');
  if (mode !== 'conditions') return undefined;
  const collection = get('filterConditions', {}) as { condition?: ConditionParameters[] };
  return {
    logical: get('filterLogical', 'all'),
    conditions: (collection.condition ?? []).map((condition) => ({
      property: conditionPath(condition),
      operator: condition.operator ?? 'is',
      values: conditionValues(condition),
      ...(condition.caseSensitive ? { case_sensitive: true } : {}),
    })),
  };
}

function modelField(field: ModelFieldParameters): IDataObject {
  const type = field.type ?? 'string';
  const element = { type: field.elementType ?? 'string' };
  return {
    name: field.name ?? '',
    type,
    nullable: field.nullable ?? true,
    ...(field.description ? { description: field.description } : {}),
    ...(type === 'decimal' ? { precision: field.precision ?? 12, scale: field.scale ?? 2 } : {}),
    ...(type === 'array' ? { items: element } : {}),
    ...(type === 'map' ? { values: element } : {}),
  };
}

function readModel(get: ParameterReader): unknown {
  if (get('modelMode', 'fields') === 'json') {
    return parseJsonParameter(get('customerModelJson', ''), 'Customer Model (JSON)');
  }
  const fields = (get('customerModel', {}) as { field?: ModelFieldParameters[] }).field ?? [];
  return fields.length > 0 ? fields.map(modelField) : undefined;
}

function readTransformation(get: ParameterReader, options: IDataObject): unknown {
  const type = get('transformation', 'none') as string;
  const limits = {
    ...(options.codeTimeoutMs !== undefined ? { timeout_ms: options.codeTimeoutMs } : {}),
    ...(options.codeMemoryLimitMb !== undefined
      ? { memory_limit_mb: options.codeMemoryLimitMb }
      : {}),
  };
  switch (type) {
    case 'mapping': {
      const collection = get('mappings', {}) as { mapping?: Array<{ to?: string; from?: string }> };
      return {
        type,
        mappings: (collection.mapping ?? []).map(({ to, from }) => ({
          to: to ?? '',
          from: from ?? '',
        })),
      };
    }
    case 'javascript':
      return { type, source: get('javascriptCode', ''), ...limits };
    case 'python':
      return { type, source: get('pythonCode', ''), ...limits };
    default:
      return undefined;
  }
}

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** The engine's config JSON for this node: connection from the credential, one pipeline. */
export function configFromParameters(
  get: ParameterReader,
  credentials: ICredentialDataDecryptedObject,
  shell: ShellOverrides,
): IDataObject {
  const options = get('options', {}) as IDataObject;
  const transformation = readTransformation(get, options);
  const model = transformation === undefined ? undefined : readModel(get);
  const filter = readFilter(get);
  const startDate = nonEmpty(options.startDate);
  return {
    api_key: typeof credentials.apiKey === 'string' ? credentials.apiKey.trim() : '',
    ...(nonEmpty(credentials.accountId) ? { account_id: nonEmpty(credentials.accountId) } : {}),
    ...(nonEmpty(credentials.apiBaseUrl) ? { api_base_url: nonEmpty(credentials.apiBaseUrl) } : {}),
    ...(startDate ? { start_date: toUtcDateTime(startDate) } : {}),
    ...(options.requestsPerSecond !== undefined
      ? { requests_per_second: options.requestsPerSecond }
      : {}),
    ...(options.useSearchApi !== undefined ? { use_search_api: options.useSearchApi } : {}),
    ...(model !== undefined ? { customer_model: model } : {}),
    pipelines: [
      {
        name: DEFAULT_PIPELINE_NAME,
        incremental: shell.incremental,
        ...(filter !== undefined ? { filter } : {}),
        ...(transformation !== undefined
          ? { transformation, on_error: get('onError', 'fail') }
          : {}),
      },
    ],
  };
}

/**
 * n8n's dateTime parameters hold local wall-clock text ("2024-01-31T00:00:00") or ISO with an
 * offset; the engine wants a UTC date-time. Text it cannot read is passed on for it to reject.
 */
function toUtcDateTime(value: string): string {
  const millis = Date.parse(value);
  return Number.isFinite(millis) ? new Date(millis).toISOString().replace(/\.\d{3}Z$/, 'Z') : value;
}
