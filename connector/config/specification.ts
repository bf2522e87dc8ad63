/**
 * The connection specification: the one place each config field is defined (type, limits,
 * default, title, description, and where Airbyte's form draws it). It belongs to the engine,
 * which defines what a config is: ajv validates configs against it and fills its defaults
 * (`validate-json.ts`), the config's TypeScript type is derived from it (`raw-config.ts`), and
 * shells print it (`spec`) through `connector/index.ts`. `spec/connection-specification.json` is
 * generated from it for readers and tooling outside the code (`test/spec/spec-file.test.ts`
 * fails when the two differ; `npx vitest run test/spec/spec-file.test.ts -u` rewrites the file).
 *
 * Airbyte's form draws every part (see test/spec/airbyte-rules.ts for the rules, taken from
 * Airbyte's connector acceptance tests): no object without properties, one `const` discriminator
 * per `oneOf`, `additionalProperties` true where set, `group` on top-level fields only.
 *
 * Two shapes are accepted for a pipeline's filter and for Customer Model rows:
 * - the form's: `filter_match` + `filter_conditions` rows (values as text) or `filter_json`;
 *   model rows with `element_type` or `nested_json` for nested types;
 * - the JSON shape of earlier versions (API users, n8n): `filter` as a `{"logical",
 *   "conditions"}` tree with nested groups and typed values; model rows with `items`, `values`,
 *   `properties`. `filter` has no `type` (it takes an object or JSON text) and is hidden in the
 *   form, as are the rows' `items`, `values` and `properties`: declared, because Airbyte's form
 *   saves only the keys the spec declares.
 * `form-shape.ts` turns the form's shape into the JSON shape (see it for which one wins where a
 * place is written in both).
 */
import { OPERATORS } from '../filter/operators';
import { MAX_DECIMAL_PRECISION } from '../model/parse';
import { MODEL_TYPES } from '../model/types';
import {
  DEFAULT_MEMORY_LIMIT_MB,
  DEFAULT_TIMEOUT_MS,
  MAX_MEMORY_LIMIT_MB,
  MAX_TIMEOUT_MS,
  MIN_MEMORY_LIMIT_MB,
} from '../transform/types';

/** What the form shows in the operator list: the labels (`is not`, `is between`). */
const OPERATOR_LABELS = OPERATORS.map((operator) => operator.label);

/** Element types a form row can name directly; nested containers go in `nested_json`. */
const ELEMENT_TYPES = MODEL_TYPES.filter(
  (type) => type !== 'array' && type !== 'object' && type !== 'map',
);

const codeLimits = {
  timeout_ms: {
    type: 'integer',
    title: 'Timeout per customer (ms)',
    description: `How long the code may run for one customer before that customer fails (default ${DEFAULT_TIMEOUT_MS}). Three customers in a row over it stop the stream, whatever "On transformation error" says: the code is stuck.`,
    minimum: 1,
    maximum: MAX_TIMEOUT_MS,
    order: 2,
  },
  memory_limit_mb: {
    type: 'integer',
    title: 'Memory limit (MB)',
    description: `The sandbox's memory (default ${DEFAULT_MEMORY_LIMIT_MB}).`,
    minimum: MIN_MEMORY_LIMIT_MB,
    maximum: MAX_MEMORY_LIMIT_MB,
    order: 3,
  },
} as const;

const pipeline = {
  type: 'object',
  title: 'Pipeline',
  required: ['name'],
  // Unknown keys are still refused by the connector (a misspelt `filtr` would import every
  // customer), with a message; `true` keeps configs valid for Airbyte if a field is retired.
  additionalProperties: true,
  properties: {
    name: {
      type: 'string',
      title: 'Name',
      description:
        "The stream's name, and the destination table's: letters, digits and underscores, starting with a letter. Unique ignoring case.",
      pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$',
      pattern_descriptor: 'letters, digits and _, starting with a letter',
      examples: ['customers', 'eu_pro'],
      order: 0,
    },
    description: {
      type: 'string',
      title: 'Description',
      description: 'What this stream holds; shown with the stream.',
      order: 1,
    },
    enabled: {
      type: 'boolean',
      title: 'Enabled',
      description: 'Disabled pipelines are neither discovered nor read.',
      default: true,
      order: 2,
    },
    incremental: {
      type: 'boolean',
      title: 'Incremental',
      description:
        "After the first full import, import only the customers created, updated or deleted since the last run. Outside Airbyte (standalone runs, n8n) this switch decides; in Airbyte the connection's sync mode does.",
      default: true,
      always_show: true,
      order: 3,
    },
    filter_match: {
      type: 'string',
      title: 'Filter: match',
      description:
        'all: a customer is imported when every filter condition holds; any: when at least one does.',
      enum: ['all', 'any'],
      default: 'all',
      always_show: true,
      order: 4,
    },
    filter_conditions: {
      type: 'array',
      title: 'Filter conditions',
      description:
        'Which customers to import; none = every customer. For nested groups of conditions use "Filter as JSON" instead (one or the other). The JSON shape of earlier versions, `filter`, is still read; do not combine it with these.',
      always_show: true,
      order: 5,
      items: {
        type: 'object',
        title: 'Condition',
        required: ['property', 'operator'],
        additionalProperties: true,
        properties: {
          property: {
            type: 'string',
            title: 'Property',
            description:
              'A path into the Stripe customer: email, name, address.country, metadata.plan, created, balance, delinquent, preferred_locales... Quote metadata keys with dots or spaces: metadata["signup.source"].',
            examples: ['email', 'address.country', 'metadata.plan', 'created'],
            order: 0,
          },
          operator: {
            type: 'string',
            title: 'Operator',
            description:
              'Checked against the property\'s type before anything is read. Dates (created): is before, is after, is between... Yes/no fields: is true, is false. "is not" is true for a missing value.',
            enum: OPERATOR_LABELS,
            order: 1,
          },
          values: {
            type: 'array',
            title: 'Values',
            description:
              'As text: numbers ("100"), true/false, dates ("2024-01-31", "2024-01-31T10:00:00Z", "30 days ago", "today"). None for is empty, is null, exists, is true...; two (low, high) for is between; one or more for is one of; one otherwise.',
            items: { type: 'string', title: 'Value' },
            always_show: true,
            order: 2,
          },
          case_sensitive: {
            type: 'boolean',
            title: 'Case sensitive',
            description:
              'Text comparisons ignore case unless this is on. Metadata conditions are sent to the Search API only when it is on (Stripe matches metadata exactly).',
            default: false,
            always_show: true,
            order: 3,
          },
        },
      },
    },
    filter_json: {
      type: 'string',
      title: 'Filter as JSON',
      description:
        'The whole filter as JSON, for nested groups: {"logical": "all" | "any", "conditions": [{"property", "operator", "values"} or a nested {"logical", "conditions"}]}. Use it instead of the filter conditions, not with them.',
      multiline: true,
      always_show: true,
      examples: [
        '{"logical": "any", "conditions": [{"property": "metadata.plan", "operator": "is", "values": ["pro"]}, {"logical": "all", "conditions": [{"property": "balance", "operator": "less_than", "values": [0]}, {"property": "delinquent", "operator": "is_true"}]}]}',
      ],
      order: 6,
    },
    transformation: {
      type: 'object',
      title: 'Transformation',
      description:
        "How each customer becomes the record the stream emits. None: Stripe's customer object as it is.",
      display_type: 'dropdown',
      always_show: true,
      order: 7,
      oneOf: [
        {
          type: 'object',
          title: 'None',
          description: "Stripe's customer object as it is.",
          required: ['type'],
          properties: {
            type: { type: 'string', const: 'none', order: 0 },
          },
        },
        {
          type: 'object',
          title: 'Mapping',
          description:
            "Fill each column from one expression over the Stripe customer: a path (address.city), a JSONPath ($..value), a constant, or built-in functions (lower(trim(email)), coalesce(name, 'unknown')). Checked when the config is loaded.",
          required: ['type', 'mappings'],
          properties: {
            type: { type: 'string', const: 'mapping', order: 0 },
            mappings: {
              type: 'array',
              title: 'Columns',
              description:
                'One row per column (at least one): the column to fill and the expression.',
              minItems: 1,
              order: 1,
              items: {
                type: 'object',
                title: 'Column',
                required: ['to', 'from'],
                additionalProperties: true,
                properties: {
                  to: {
                    type: 'string',
                    title: 'Column',
                    description: 'A Customer Model property (or, without a model, a column name).',
                    order: 0,
                  },
                  from: {
                    type: 'string',
                    title: 'From',
                    description: 'The expression, e.g. lower(trim(email)) or metadata.plan.',
                    order: 1,
                  },
                },
              },
            },
          },
        },
        {
          type: 'object',
          title: 'JavaScript',
          description:
            'function transform(customer) { ... } returning the record, or null to skip the customer. Runs sandboxed (QuickJS), synchronous, without network or file access.',
          required: ['type', 'source'],
          properties: {
            type: { type: 'string', const: 'javascript', order: 0 },
            source: {
              type: 'string',
              title: 'Source',
              multiline: true,
              examples: ['function transform(customer) {\n  return { email: customer.email };\n}'],
              order: 1,
            },
            ...codeLimits,
          },
        },
        {
          type: 'object',
          title: 'Python',
          description:
            'def transform(customer): returning a dict, or None to skip the customer. Runs in Pyodide (no Python install), without network or file access; pure modules only.',
          required: ['type', 'source'],
          properties: {
            type: { type: 'string', const: 'python', order: 0 },
            source: {
              type: 'string',
              title: 'Source',
              multiline: true,
              examples: ["def transform(customer):\n    return {'email': customer['email']}"],
              order: 1,
            },
            ...codeLimits,
          },
        },
      ],
    },
    on_error: {
      type: 'string',
      title: 'On transformation error',
      description:
        'fail: stop this stream at the first customer that cannot be transformed or does not fit the Customer Model. skip: log it with its id and go on (what was imported for it before stays). Either way, three timeouts in a row stop the stream.',
      enum: ['fail', 'skip'],
      default: 'fail',
      always_show: true,
      order: 8,
    },
    schedule: {
      type: 'string',
      title: 'Schedule (standalone tool)',
      description:
        'When `source-stripe-customers serve` runs this pipeline: every 5m, 15m, 30m, 1h, 2h, 3h, 6h, 8h, 12h or 24h, or a cron expression ("0 */4 * * *"). Airbyte and n8n schedule runs themselves and ignore it. Empty: run only on demand.',
      examples: ['1h', '0 6 * * *'],
      order: 9,
    },
    filter: {
      title: 'Filter (JSON shape of earlier versions)',
      description:
        'The filter as configs written before the form had filter conditions give it: {"logical": "all" | "any", "conditions": [...]} as an object (or as JSON text), nested groups and numbers allowed. Still read; hidden in the form. Use either this or the filter conditions / filter as JSON, not both.',
      airbyte_hidden: true,
      order: 100,
    },
  },
} as const;

const modelRow = {
  type: 'object',
  title: 'Property',
  required: ['name', 'type'],
  // Rows in the JSON shape of earlier versions carry `items`, `values` and `properties`.
  additionalProperties: true,
  properties: {
    name: {
      type: 'string',
      title: 'Name',
      description:
        'Letters, digits and _, starting with a letter or _, at most 63 characters, unique ignoring case. Names starting with _stripe_, _ab_ or _airbyte_ are reserved.',
      order: 0,
    },
    type: {
      type: 'string',
      title: 'Type',
      description:
        'decimal needs a precision; array and map need an element type (or nested JSON); object takes its properties as nested JSON (none = any object).',
      enum: MODEL_TYPES,
      order: 1,
    },
    nullable: {
      type: 'boolean',
      title: 'Nullable',
      description: 'Whether the property may be null (a null or missing value).',
      default: true,
      always_show: true,
      order: 2,
    },
    description: {
      type: 'string',
      title: 'Description',
      description: "Copied into the stream's schema.",
      order: 3,
    },
    precision: {
      type: 'integer',
      title: 'Precision',
      description: `For a decimal (or an array or map of decimals): the total number of digits, 1 to ${MAX_DECIMAL_PRECISION}.`,
      minimum: 1,
      maximum: MAX_DECIMAL_PRECISION,
      always_show: true,
      order: 4,
    },
    scale: {
      type: 'integer',
      title: 'Scale',
      description: 'For a decimal: the digits after the decimal point, 0 to precision (default 0).',
      minimum: 0,
      maximum: MAX_DECIMAL_PRECISION,
      always_show: true,
      order: 5,
    },
    element_type: {
      type: 'string',
      title: 'Element type',
      description:
        "For an array: its elements' type; for a map: its values' type (not nullable). A decimal element takes this row's precision and scale. For nullable elements or nested containers use nested JSON.",
      enum: ELEMENT_TYPES,
      always_show: true,
      order: 6,
    },
    nested_json: {
      type: 'string',
      title: 'Nested type as JSON',
      description:
        'For an array or a map: the element type, e.g. {"type": "string", "nullable": true} or {"type": "array", "items": {"type": "integer"}}. For an object: its properties, e.g. [{"name": "city", "type": "string"}]. Instead of the element type, not with it. Rows in the JSON shape of earlier versions write these as items, values and properties.',
      multiline: true,
      order: 7,
    },
    // The JSON shape of earlier versions: declared (and hidden) so that Airbyte's form, which
    // saves only the keys the spec declares, keeps them.
    items: {
      title: 'Element type (JSON shape of earlier versions)',
      description:
        'For an array: the type of its elements, e.g. {"type": "string"}. Still read; hidden in the form, where "Element type" or "Nested type as JSON" say the same.',
      airbyte_hidden: true,
      order: 100,
    },
    values: {
      title: 'Value type (JSON shape of earlier versions)',
      description:
        'For a map: the type of its values, e.g. {"type": "string"}. Still read; hidden in the form, where "Element type" or "Nested type as JSON" say the same.',
      airbyte_hidden: true,
      order: 101,
    },
    properties: {
      title: 'Properties (JSON shape of earlier versions)',
      description:
        'For an object: its properties, e.g. [{"name": "city", "type": "string"}]. Still read; hidden in the form, where "Nested type as JSON" says the same.',
      airbyte_hidden: true,
      order: 102,
    },
  },
} as const;

export const CONNECTION_SPECIFICATION = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Stripe Customers Source Spec',
  type: 'object',
  required: ['api_key'],
  additionalProperties: true,
  groups: [
    { id: 'connection', title: 'Connection' },
    { id: 'pipelines', title: 'Pipelines' },
    { id: 'advanced', title: 'Advanced' },
  ],
  properties: {
    api_key: {
      type: 'string',
      title: 'API key',
      description:
        'A Stripe secret key (sk_live_... / sk_test_...) or a restricted key (rk_live_... / rk_test_...) with "Customers: Read" (and "Events: Read" for incremental imports). Dashboard > Developers > API keys.',
      airbyte_secret: true,
      pattern: '^(sk|rk)_(test|live)_[A-Za-z0-9_]+$',
      group: 'connection',
      order: 0,
    },
    account_id: {
      type: 'string',
      title: 'Connected account ID',
      description:
        "Stripe Connect: read the customers of this connected account (acct_...) instead of the key's own account.",
      pattern: '^acct_[A-Za-z0-9]+$',
      examples: ['acct_1032D82eZvKYlo2C'],
      always_show: true,
      group: 'connection',
      order: 1,
    },
    start_date: {
      type: 'string',
      title: 'Start date',
      description:
        'A UTC date like 2024-01-01 or a date-time like 2024-01-01T00:00:00Z: only customers created at or after it are imported. Leave empty to import all.',
      pattern:
        '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$',
      pattern_descriptor: 'YYYY-MM-DD or YYYY-MM-DDTHH:mm:ssZ',
      examples: ['2024-01-01', '2024-01-01T00:00:00Z'],
      always_show: true,
      group: 'connection',
      order: 2,
    },
    pipelines: {
      type: 'array',
      title: 'Pipelines',
      description:
        'Each pipeline is its own stream with its own filter, transformation and state. Without pipelines, one stream "customers" imports every customer as Stripe returns it.',
      always_show: true,
      group: 'pipelines',
      order: 0,
      items: pipeline,
    },
    customer_model: {
      type: 'array',
      title: 'Customer Model',
      description:
        'Your customer schema, shared by every pipeline with a transformation: the typed columns it fills. Records are converted to these types and checked before they are emitted. Rows in the JSON shape of earlier versions ({"name", "type", "items" | "values" | "properties", ...}) are still read; a row uses one shape or the other.',
      always_show: true,
      group: 'pipelines',
      order: 1,
      items: modelRow,
    },
    lookback_window_days: {
      type: 'integer',
      title: 'Lookback window (days)',
      description:
        'Incremental runs re-read this many days of events before the saved cursor, for extra safety. 0 reads from the cursor.',
      minimum: 0,
      maximum: 29,
      default: 0,
      group: 'advanced',
      order: 0,
    },
    use_search_api: {
      type: 'boolean',
      title: 'Use the Search API for filters',
      description:
        "Send filter conditions on email, name, phone, metadata and created to Stripe's Search API during full imports, to read fewer pages. Search results can lag about a minute behind recent changes; incremental runs catch those. Not available in some regions (India): the connector then lists instead.",
      default: false,
      group: 'advanced',
      order: 1,
    },
    requests_per_second: {
      type: 'integer',
      title: 'Requests per second',
      description:
        'Client-side rate limit. Defaults to 90 for live keys and 20 for test keys (Stripe allows 100 and 25). Lower it to leave room for other integrations on the account.',
      minimum: 1,
      maximum: 100,
      group: 'advanced',
      order: 2,
    },
    max_share_of_rate_limits: {
      type: 'number',
      title: "Share of Stripe's rate limits",
      description:
        "The connector paces every endpoint under this share of Stripe's limits (per endpoint: 25 requests/s, Search 20/s; per account: 100/s live, 25/s in a sandbox), leaving the rest to your own production traffic. 0.8 reads customers at 20 requests/s, i.e. 2,000 customers/s per endpoint.",
      minimum: 0.05,
      maximum: 1,
      default: 0.8,
      group: 'advanced',
      order: 3,
    },
    concurrency: {
      type: 'integer',
      title: 'Concurrent requests',
      description:
        'Pages read at the same time during a full import. The rate limit still applies.',
      minimum: 1,
      maximum: 64,
      default: 32,
      group: 'advanced',
      order: 4,
    },
    full_import_endpoints: {
      type: 'string',
      title: 'Full import endpoints',
      description:
        "list: read customers through GET /v1/customers only (at most 25 pages/s). list_and_search: also read older created-ranges through the Search API at the same time (its own 20 requests/s), almost doubling the speed of large imports. Default: list_and_search for live keys, list for sandbox keys (a sandbox's 25 requests/s leave nothing for a second endpoint).",
      enum: ['list', 'list_and_search'],
      group: 'advanced',
      order: 5,
    },
    search_horizon_hours: {
      type: 'integer',
      title: 'Search horizon (hours)',
      description:
        'With list_and_search, only customers created longer ago than this may be read through Search; newer ones are listed. Change tracking after such an import starts this long before it.',
      minimum: 1,
      maximum: 720,
      default: 6,
      group: 'advanced',
      order: 6,
    },
    events_settle_seconds: {
      type: 'integer',
      title: 'Event settle time (seconds)',
      description:
        'Events younger than this are left for the next run, so the cursor never passes an event Stripe has not listed yet.',
      minimum: 0,
      maximum: 3600,
      default: 10,
      group: 'advanced',
      order: 7,
    },
    events_overlap_seconds: {
      type: 'integer',
      title: 'Event overlap (seconds)',
      description:
        "Each incremental run re-reads this much of Stripe's event log before its cursor and processes the events it has not seen yet: Stripe can list an event some time after it happened. Events already processed are skipped, so nothing is emitted twice.",
      minimum: 0,
      maximum: 3600,
      default: 300,
      group: 'advanced',
      order: 8,
    },
    search_lag_seconds: {
      type: 'integer',
      title: 'Search lag allowance (seconds)',
      description:
        "Stripe's Search API can be up to an hour behind writes during incidents. After a full import that used Search, change tracking starts this long before it, so anything Search missed or returned stale is re-read from events.",
      minimum: 60,
      maximum: 86400,
      default: 3600,
      group: 'advanced',
      order: 9,
    },
    request_timeout_seconds: {
      type: 'integer',
      title: 'Request timeout (seconds)',
      description: 'How long one request to Stripe may take before it counts as failed.',
      minimum: 1,
      maximum: 600,
      default: 60,
      group: 'advanced',
      order: 10,
    },
    max_attempts: {
      type: 'integer',
      title: 'Attempts per request',
      description:
        'A request failing with a 5xx or a network error is retried with exponential back-off, up to this many attempts in all; then the read fails with a transient error and can be rerun from its last checkpoint. Rate-limited requests (429) do not count: they are waited out separately, up to 5 minutes per request.',
      minimum: 1,
      maximum: 20,
      default: 8,
      group: 'advanced',
      order: 11,
    },
    api_base_url: {
      type: 'string',
      title: 'API base URL',
      description:
        'Where the Stripe API is. Keep the default unless you use a proxy or a test double.',
      default: 'https://api.stripe.com',
      format: 'uri',
      group: 'advanced',
      order: 12,
    },
  },
} as const;
