/**
 * Node parameters + credential → the engine's config JSON (the same JSON the Airbyte connector
 * reads, with one pipeline), and the editor's label for each config path it writes
 * (editor-words.ts), so the engine's errors name the rows and fields the user sees. The shell
 * checks only what the panel itself can get wrong (a mapping written as an n8n expression);
 * parseConfig validates the rest and its ConfigErrors are what the user sees, in those words.
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
import { ANY_KEY_SUFFIX, CUSTOM_PATH } from './descriptions';
import { EditorWords } from './editor-words';
import {
  ConfigError,
  DEFAULT_PIPELINE_NAME,
  OPERATORS,
  isoFromMillis,
  type ConfigPath,
} from './engine';

/** Reads one node parameter (getNodeParameter with the item index already bound). */
export type ParameterReader = (name: string, fallback: unknown) => unknown;

export const CREDENTIAL_TYPE = 'stripeCustomersApi';

/** The node's parameters, resolved for the current item and as written. */
export interface NodeParameters {
  get: ParameterReader;
  /**
   * The parameters as saved in the workflow (this.getNode().parameters): the From fields are read
   * from here, so an n8n expression in one is caught instead of being evaluated to "undefined".
   */
  written: INodeParameters;
}

export interface ShellOverrides {
  /** true: the pipeline reads changes after its first import (trigger, "only changed"). */
  incremental: boolean;
  /**
   * The workflow's timezone (this.getTimezone()): n8n's dateTime parameters hold wall-clock text
   * without an offset, meant in that zone.
   */
  timezone: string;
}

/** The config for the engine and the editor's words for its paths. */
export interface NodeConfig {
  json: IDataObject;
  words: EditorWords;
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
  from?: string;
  precision?: number;
  scale?: number;
  elementType?: string;
  fieldOptions?: { nullable?: boolean; description?: string };
}

const ARITY = new Map(OPERATORS.map((operator) => [operator.id as string, operator.values]));

/** The node's one pipeline, where the config holds it. */
const PIPELINE: ConfigPath = ['pipelines', 0];
const FILTER: ConfigPath = [...PIPELINE, 'filter'];
const TRANSFORMATION: ConfigPath = [...PIPELINE, 'transformation'];
const MODEL: ConfigPath = ['customer_model'];

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

/** The condition's values as the engine takes them, with the field each one was typed in. */
function conditionValues(condition: ConditionParameters): {
  values: Array<[value: string, field: string]>;
  /** The fields all of them were typed in. */
  fields: string;
} {
  const values = valueFields(condition);
  const fields =
    ARITY.get(condition.operator ?? '') === 'two'
      ? 'From and To'
      : ARITY.get(condition.operator ?? '') === 'many'
        ? 'Values'
        : 'Value';
  return { values, fields };
}

function valueFields(condition: ConditionParameters): Array<[value: string, field: string]> {
  switch (ARITY.get(condition.operator ?? '')) {
    case 'none':
      return [];
    case 'two':
      return [
        [condition.low ?? '', 'From'],
        [condition.high ?? '', 'To'],
      ];
    case 'many': {
      const values = condition.values ?? [];
      return (Array.isArray(values) ? values : [values]).map((value, index) => [
        value,
        `Values › ${index + 1}`,
      ]);
    }
    default:
      return [[condition.value ?? '', 'Value']];
  }
}

function readFilter(get: ParameterReader, json: JsonReader, words?: EditorWords): unknown {
  const mode = get('filterMode', 'none') as string;
  if (mode === 'json') {
    words?.name(FILTER, 'the "Filter (JSON)"', { raw: true });
    return json(get('filterJson', ''), 'Filter (JSON)');
  }
  if (mode !== 'conditions') return undefined;
  words?.name(FILTER, 'the conditions').name([...FILTER, 'logical'], 'the "Match" option');
  const collection = get('filterConditions', {}) as { condition?: ConditionParameters[] };
  return {
    logical: get('filterLogical', 'all'),
    conditions: (collection.condition ?? []).map((condition, index) => {
      const property = conditionPath(condition);
      const { values, fields } = conditionValues(condition);
      if (words) {
        const row: ConfigPath = [...FILTER, 'conditions', index];
        const label = `Condition ${index + 1} (Property: ${property || 'none'})`;
        words.name(row, label).name([...row, 'values'], `${label} › ${fields}`);
        values.forEach(([, field], at) =>
          words.name([...row, 'values', at], `${label} › ${field}`),
        );
      }
      return {
        property,
        operator: condition.operator ?? 'is',
        values: values.map(([value]) => value),
        ...(condition.caseSensitive ? { case_sensitive: true } : {}),
      };
    }),
  };
}

/** One row of the Customer Model as a customer_model entry. */
function modelField(field: ModelFieldParameters): IDataObject {
  const type = field.type ?? 'string';
  const element = { type: field.elementType ?? 'string' };
  const { nullable = true, description } = field.fieldOptions ?? {};
  return {
    name: field.name ?? '',
    type,
    nullable,
    ...(description ? { description } : {}),
    ...(type === 'decimal' ? { precision: field.precision ?? 12, scale: field.scale ?? 2 } : {}),
    ...(type === 'array' ? { items: element } : {}),
    ...(type === 'map' ? { values: element } : {}),
  };
}

const rowsOf = (value: unknown): ModelFieldParameters[] =>
  (value as { field?: ModelFieldParameters[] } | undefined)?.field ?? [];

function rowLabel(field: ModelFieldParameters, index: number): string {
  return `Field ${index + 1} (Name: ${field.name?.trim() || 'empty'})`;
}

/**
 * The From of a row as written. From takes the connector's mapping language, never n8n's
 * expressions (those are evaluated once per input item, before any customer is read): one that
 * looks like n8n's is refused, naming the mix-up and what to write instead.
 */
function fromAsWritten(written: unknown, label: string): string {
  const text = typeof written === 'string' ? written : '';
  if (!text.startsWith('=') && !text.includes('{{')) return text;
  const suggestion = text
    .replace(/^=/, '')
    .replace(/\{\{|\}\}/g, '')
    .replace(/\$json\./g, '')
    .trim();
  throw new ConfigError(
    `${label} › From: ${JSON.stringify(text.replace(/^=/, ''))} is an n8n expression, but From takes the connector's mapping language, evaluated for each Stripe customer${
      suggestion ? `: write ${suggestion}` : ''
    }. n8n expressions ({{ … }}) are evaluated once per input item, before any customer is read; to use a value of the input item, add it after this node (e.g. with an Edit Fields node).`,
  );
}

interface OutputConfig {
  transformation?: IDataObject;
  model?: unknown;
}

function readOutput(
  get: ParameterReader,
  written: INodeParameters | undefined,
  json: JsonReader,
  words?: EditorWords,
): OutputConfig {
  const type = get('transformation', 'none') as string;
  const rows = rowsOf(get('customerModel', {}));
  if (type === 'mapping') {
    const writtenRows = rowsOf(written?.customerModel);
    words
      ?.name(TRANSFORMATION, 'the Output')
      .name(MODEL, 'the Customer Model')
      .name([...TRANSFORMATION, 'mappings'], 'the Customer Model')
      .name([...PIPELINE, 'on_error'], '"On Transformation Error"');
    if (rows.length === 0) {
      throw new ConfigError(
        'Mapped Fields needs at least one field: add one to the Customer Model (Add Field), with its Name, Type and From.',
      );
    }
    const mappings = rows.map((row, index) => {
      const label = rowLabel(row, index);
      words?.name([...MODEL, index], label).name([...TRANSFORMATION, 'mappings', index], label);
      // As written, unless there is nothing written to read (the fingerprint reads written
      // parameters through `get` already).
      const from = written ? fromAsWritten(writtenRows[index]?.from, label) : (row.from ?? '');
      return { to: row.name ?? '', from: from.trim() === '' ? (row.name ?? '') : from };
    });
    return { transformation: { type, mappings }, model: rows.map(modelField) };
  }
  if (type !== 'javascript' && type !== 'python') return {};
  const limits = get('codeOptions', {}) as IDataObject;
  words
    ?.name(TRANSFORMATION, 'the Output')
    .name(
      [...TRANSFORMATION, 'source'],
      type === 'python' ? 'the Python code' : 'the JavaScript code',
    )
    .name([...TRANSFORMATION, 'timeout_ms'], '"Code Timeout per Customer (Milliseconds)"')
    .name([...TRANSFORMATION, 'memory_limit_mb'], '"Code Memory Limit (MB)"')
    .name([...PIPELINE, 'on_error'], '"On Transformation Error"');
  const transformation = {
    type,
    source: String(get(type === 'python' ? 'pythonCode' : 'javascriptCode', '')),
    ...(limits.timeoutMs !== undefined ? { timeout_ms: limits.timeoutMs } : {}),
    ...(limits.memoryLimitMb !== undefined ? { memory_limit_mb: limits.memoryLimitMb } : {}),
  };
  if (get('modelMode', 'fields') === 'json') {
    words?.name(MODEL, 'the "Customer Model (JSON)"', { raw: true });
    return { transformation, model: json(get('customerModelJson', ''), 'Customer Model (JSON)') };
  }
  words?.name(MODEL, 'the Customer Model');
  rows.forEach((row, index) => words?.name([...MODEL, index], rowLabel(row, index)));
  return { transformation, ...(rows.length > 0 ? { model: rows.map(modelField) } : {}) };
}

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** The engine's config JSON for this node: connection from the credential, one pipeline. */
export function configFromParameters(
  parameters: NodeParameters,
  credentials: ICredentialDataDecryptedObject,
  shell: ShellOverrides,
): NodeConfig {
  const { get, written } = parameters;
  const words = new EditorWords();
  const options = get('options', {}) as IDataObject;
  const output = readOutput(get, written, parseJsonParameter, words);
  const filter = readFilter(get, parseJsonParameter, words);
  const startDate = toUtcDateTime(options.startDate, shell.timezone);
  const json: IDataObject = {
    api_key: typeof credentials.apiKey === 'string' ? credentials.apiKey.trim() : '',
    ...(nonEmpty(credentials.accountId) ? { account_id: nonEmpty(credentials.accountId) } : {}),
    ...(nonEmpty(credentials.apiBaseUrl) ? { api_base_url: nonEmpty(credentials.apiBaseUrl) } : {}),
    ...(startDate ? { start_date: startDate } : {}),
    ...(options.requestsPerSecond !== undefined
      ? { requests_per_second: options.requestsPerSecond }
      : {}),
    ...(options.maxShareOfRateLimits !== undefined
      ? { max_share_of_rate_limits: options.maxShareOfRateLimits }
      : {}),
    ...(options.useSearchApi !== undefined ? { use_search_api: options.useSearchApi } : {}),
    ...(output.model !== undefined ? { customer_model: output.model } : {}),
    pipelines: [
      {
        name: DEFAULT_PIPELINE_NAME,
        incremental: shell.incremental,
        ...(filter !== undefined ? { filter } : {}),
        ...(output.transformation !== undefined
          ? { transformation: output.transformation, on_error: get('onError', 'fail') }
          : {}),
      },
    ],
  };
  return { json, words };
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
  const startDate = options.startDate ?? '';
  let output: OutputConfig;
  try {
    output = readOutput(get, undefined, jsonAsWritten);
  } catch {
    // A definition the engine refuses has no cursor to keep; the run reports why.
    output = {};
  }
  return createHash('sha256')
    .update(
      JSON.stringify([
        readFilter(get, jsonAsWritten) ?? null,
        output.transformation ?? null,
        output.model ?? null,
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
      return isoFromMillis(parsed.toMillis());
    }
  } catch {
    // Not a date n8n can read: the engine's message says what it expects.
  }
  return typeof value === 'string' ? value.trim() : String(value);
}
