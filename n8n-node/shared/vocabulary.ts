/**
 * The editor's words for the engine's terms: operator names as the Operator field shows them
 * ("Is True", not `is_true`), property and model types as the fields name them, and the
 * parameters that stand for the engine's config keys (`api_key` is the credential's "Secret or
 * Restricted Key"). The parameter descriptions and the editor's wording of the engine's errors
 * (editor-words.ts, which names each term of an error with these) both read them, so an error
 * names exactly what the user sees.
 */
import { MODEL_TYPES, OPERATORS } from './engine';

export type ModelTypeName = (typeof MODEL_TYPES)[number];

/** Words kept lower case inside a title, as in n8n's own labels ("Created On or After"). */
const SMALL_WORDS = new Set(['a', 'an', 'and', 'as', 'at', 'by', 'for', 'in', 'of', 'or', 'per']);
// ("on" is not one of them: "Is On or After" reads as the operator it is.)

/** "is not one of" → "Is Not One of". */
export function titleCase(text: string): string {
  return text
    .split(' ')
    .map((word, index) =>
      index > 0 && SMALL_WORDS.has(word) ? word : word.charAt(0).toUpperCase() + word.slice(1),
    )
    .join(' ');
}

/** Operator id → the name the Operator field shows. */
export const OPERATOR_NAMES: ReadonlyMap<string, string> = new Map(
  OPERATORS.map((operator) => [operator.id as string, titleCase(operator.label)]),
);

/** Filterable property types as the condition fields describe them. */
export const PROPERTY_TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'number',
  timestamp: 'date',
  boolean: 'true/false',
  array: 'list',
  object: 'object',
};

/** The Customer Model's types, as the Type field offers them. */
export const MODEL_TYPE_NAMES: Readonly<
  Record<ModelTypeName, { name: string; description: string }>
> = {
  string: { name: 'String', description: 'Text' },
  integer: { name: 'Integer', description: 'A whole number' },
  number: { name: 'Number', description: 'A number with decimals (floating point)' },
  decimal: {
    name: 'Decimal',
    description: 'A number rounded to Scale digits after the point, e.g. an amount',
  },
  boolean: { name: 'Boolean', description: 'True or false' },
  datetime: {
    name: 'Date & Time',
    description: 'ISO 8601 in UTC, e.g. 2024-01-31T10:00:00Z (unix seconds are converted)',
  },
  date: { name: 'Date', description: 'A calendar day, e.g. 2024-01-31' },
  time: { name: 'Time', description: 'A time of day, e.g. 10:00:00' },
  year: { name: 'Year', description: 'A year, e.g. 2024' },
  uuid: { name: 'UUID', description: 'A UUID, e.g. 123e4567-e89b-12d3-a456-426614174000' },
  ip: { name: 'IP Address', description: 'An IPv4 or IPv6 address' },
  json: { name: 'JSON', description: 'Any JSON value, kept as it is' },
  array: { name: 'Array', description: 'A list of values of the Element Type' },
  object: { name: 'Object', description: 'Any JSON object' },
  map: { name: 'Map', description: 'An object whose values all have the Element Type' },
};

/**
 * The engine's config keys → the parameter that sets them, in the words of the panel it is on.
 * Keys that no parameter sets (the engine's own tuning) are left as they are.
 */
export const CONFIG_KEY_LABELS: Readonly<Record<string, string>> = {
  api_key: 'the credential’s "Secret or Restricted Key"',
  account_id: 'the credential’s "Connected Account ID"',
  api_base_url: 'the credential’s "API Base URL"',
  start_date: 'the "Created On or After" option',
  requests_per_second: 'the "Requests per Second" option',
  max_share_of_rate_limits: 'the "Share of Stripe Rate Limits" option',
  use_search_api: 'the "Use Search API for Filters" option',
  case_sensitive: '"Case Sensitive"',
  customer_model: 'the Customer Model',
  timeout_ms: '"Code Timeout per Customer (Milliseconds)"',
  memory_limit_mb: '"Code Memory Limit (MB)"',
};

/** Whole phrases of the engine's advice that name a config key, as the panel says them. */
const PHRASES: ReadonlyArray<[string, string]> = [
  [
    'set the pipeline\'s `on_error` to "skip"',
    'set "On Transformation Error" to "Skip the Customer"',
  ],
  ['(on_error: skip)', '(On Transformation Error: Skip the Customer)'],
];

/** Operator ids with an underscore cannot be ordinary words: they are replaced wherever they appear. */
const COMPOUND_OPERATORS = [...OPERATOR_NAMES.keys()]
  .filter((id) => id.includes('_'))
  .sort((a, b) => b.length - a.length);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const COMPOUND_OPERATOR = new RegExp(`\\b(${COMPOUND_OPERATORS.map(escape).join('|')})\\b`, 'g');

/** "is", "contains", "exists": operator ids that are also words, replaced only when quoted. */
const QUOTED_OPERATOR = new RegExp(`"(${[...OPERATOR_NAMES.keys()].map(escape).join('|')})"`, 'g');

/** "Operators for string properties: is, is_not, …." lists every id, plain words included. */
const OPERATOR_LIST = /(Operators(?: for \w+ properties)?: )([a-z_]+(?:, [a-z_]+)*)/g;

const PROPERTY_TYPE = /\b(string|number|timestamp|boolean|array|object) (propert(?:y|ies))\b/g;

const CONFIG_KEY = new RegExp(
  `\`?\\b(${Object.keys(CONFIG_KEY_LABELS).map(escape).join('|')})\\b\`?`,
  'g',
);

/**
 * Rewrites the engine's terms in a text of the engine's own (an operator's description) into the
 * editor's: operator ids, property types and config keys. Errors never come here: their terms are
 * data, named by editor-words.ts.
 */
export function translateTerms(text: string): string {
  return PHRASES.reduce((result, [from, to]) => result.split(from).join(to), text)
    .replace(OPERATOR_LIST, (_, lead: string, list: string) =>
      lead.concat(
        list
          .split(', ')
          .map((id) => OPERATOR_NAMES.get(id) ?? id)
          .join(', '),
      ),
    )
    .replace(QUOTED_OPERATOR, (_, id: string) => `"${OPERATOR_NAMES.get(id) ?? id}"`)
    .replace(COMPOUND_OPERATOR, (id: string) => OPERATOR_NAMES.get(id) ?? id)
    .replace(
      PROPERTY_TYPE,
      (_, type: string, noun: string) => `${PROPERTY_TYPE_NAMES[type] ?? type} ${noun}`,
    )
    .replace(CONFIG_KEY, (_, key: string) => CONFIG_KEY_LABELS[key] ?? key);
}
