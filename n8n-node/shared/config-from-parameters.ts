/**
 * Node parameters + credential → the engine's config JSON (the same JSON the Airbyte connector
 * reads, with one pipeline). The shell checks nothing itself: parseConfig validates the result and
 * its ConfigErrors are what the user sees.
 *
 * The same readers, fed the node's parameters as written (expressions unresolved), give the
 * definition fingerprint that ties a saved cursor to the node's filter and output settings.
 */
import { createHash } from 'node:crypto';
import {
  jsonParse,
  tryToParseDateTime,
  type ICredentialDataDecryptedObject,
  type IDataObject,
  type INodeParameters,
} from 'n8n-workflow';
import { ANY_KEY_SUFFIX, CUSTOM_PATH } from './parameters';
import { DEFAULT_PIPELINE_NAME, OPERATORS } from './engine';

/** Reads one node parameter (getNodeParameter with the item index already bound). */
export type ParameterReader = (name: string, fallback: unknown) => unknown;

export const CREDENTIAL_TYPE = 'stripeCustomersApi';

export interface ShellOverrides {
  /** true: the pipeline reads changes after its first import (trigger, "only changed"). */
  incremental: boolean;
  /**
   * The workflow's timezone (this.getTimezone()): n8n's dateTime parameters hold wall-clock text
   * without an offset, meant in that zone.
   */
  timezone: string;
}

/** Reads a JSON parameter: parsed for the engine, or kept as written for the fingerprint. */
type JsonReader = (value: unknown, parameter: string) => unknown;

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

function readFilter(get: ParameterReader, json: JsonReader): unknown {
  const mode = get('filterMode', 'none') as string;
  if (mode === 'json') return json(get('filterJson', ''), 'Filter (JSON)');
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

function readModel(get: ParameterReader, json: JsonReader): unknown {
  if (get('modelMode', 'fields') === 'json') {
    return json(get('customerModelJson', ''), 'Customer Model (JSON)');
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
  const model = transformation === undefined ? undefined : readModel(get, parseJsonParameter);
  const filter = readFilter(get, parseJsonParameter);
  const startDate = toUtcDateTime(options.startDate, shell.timezone);
  return {
    api_key: typeof credentials.apiKey === 'string' ? credentials.apiKey.trim() : '',
    ...(nonEmpty(credentials.accountId) ? { account_id: nonEmpty(credentials.accountId) } : {}),
    ...(nonEmpty(credentials.apiBaseUrl) ? { api_base_url: nonEmpty(credentials.apiBaseUrl) } : {}),
    ...(startDate ? { start_date: startDate } : {}),
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

/** JSON text as written: parsed when it is plain JSON (so spacing does not count), else kept. */
function jsonAsWritten(value: unknown): unknown {
  if (typeof value !== 'string' || value.startsWith('=')) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * Identifies what the node selects and outputs — filter, output (mapping, code and its limits,
 * Customer Model) and "Created On or After" — from its parameters as written, expressions
 * unresolved. A saved cursor belongs to this definition.
 *
 * The engine's own fingerprint hashes the resolved config, so an expression whose value changes
 * from run to run (`{{ $now.minus({ days: 30 }) }}`) would make every poll look like a new
 * definition and reset the cursor; this one changes only when the parameters are edited (or,
 * with a "Created On or After" date, the workflow's timezone).
 */
export function definitionFingerprint(parameters: INodeParameters, timezone: string): string {
  const get: ParameterReader = (name, fallback) => parameters[name] ?? fallback;
  const options = (parameters.options ?? {}) as IDataObject;
  const transformation = readTransformation(get, options);
  const startDate = options.startDate ?? '';
  return createHash('sha256')
    .update(
      JSON.stringify([
        readFilter(get, jsonAsWritten) ?? null,
        transformation ?? null,
        (transformation === undefined ? undefined : readModel(get, jsonAsWritten)) ?? null,
        startDate === '' ? null : [startDate, timezone],
      ]),
    )
    .digest('hex')
    .slice(0, 16);
}

/**
 * n8n's dateTime parameters hold wall-clock text in the workflow's timezone
 * ("2024-01-31T00:00:00"), ISO text with an offset, or (from an expression) a date object; the
 * engine wants a UTC date-time. n8n's own parser reads them, in the workflow's timezone when the
 * text has no offset. What it cannot read is passed on for the engine to reject.
 */
function toUtcDateTime(value: unknown, timezone: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.trim() === '') return undefined;
  try {
    const parsed = tryToParseDateTime(typeof value === 'string' ? value.trim() : value, timezone);
    if (parsed.isValid) {
      return new Date(parsed.toMillis()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
  } catch {
    // Not a date n8n can read: the engine's message says what it expects.
  }
  return typeof value === 'string' ? value.trim() : String(value);
}
