/**
 * One setup written twice: in the JSON shape of earlier versions (API users, n8n) and the way
 * Airbyte's form writes it. The tests check that both give the same pipelines, records and
 * fingerprints.
 */

/** The README's Customer Model plus nested types the form needs `nested_json` for. */
export const LEGACY_MODEL = [
  { name: 'email', type: 'string', nullable: false, description: 'Lower-cased' },
  { name: 'name', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'plan', type: 'string' },
  { name: 'seats', type: 'integer' },
  { name: 'balance', type: 'decimal', precision: 12, scale: 2 },
  { name: 'signed_up', type: 'datetime' },
  { name: 'locales', type: 'array', items: { type: 'string' } },
  {
    name: 'address',
    type: 'object',
    properties: [
      { name: 'city', type: 'string' },
      { name: 'postal_code', type: 'string' },
    ],
  },
  { name: 'metadata', type: 'map', values: { type: 'string' } },
  { name: 'tags', type: 'array', items: { type: 'string', nullable: true } },
  { name: 'amounts', type: 'array', items: { type: 'decimal', precision: 8, scale: 2 } },
  { name: 'matrix', type: 'array', items: { type: 'array', items: { type: 'integer' } } },
];

export const FORM_MODEL = [
  { name: 'email', type: 'string', nullable: false, description: 'Lower-cased' },
  { name: 'name', type: 'string', nullable: true },
  { name: 'country', type: 'string', nullable: true },
  { name: 'plan', type: 'string', nullable: true },
  { name: 'seats', type: 'integer', nullable: true },
  { name: 'balance', type: 'decimal', nullable: true, precision: 12, scale: 2 },
  { name: 'signed_up', type: 'datetime', nullable: true },
  { name: 'locales', type: 'array', nullable: true, element_type: 'string' },
  {
    name: 'address',
    type: 'object',
    nullable: true,
    nested_json: '[{"name": "city", "type": "string"}, {"name": "postal_code", "type": "string"}]',
  },
  { name: 'metadata', type: 'map', nullable: true, element_type: 'string' },
  {
    name: 'tags',
    type: 'array',
    nullable: true,
    nested_json: '{"type": "string", "nullable": true}',
  },
  {
    name: 'amounts',
    type: 'array',
    nullable: true,
    element_type: 'decimal',
    precision: 8,
    scale: 2,
  },
  {
    name: 'matrix',
    type: 'array',
    nullable: true,
    nested_json: '{"type": "array", "items": {"type": "integer"}}',
  },
];

export const MAPPING = {
  type: 'mapping',
  mappings: [
    { to: 'email', from: "coalesce(lower(trim(email)), '')" },
    { to: 'name', from: 'name' },
    { to: 'country', from: '$.address.country' },
    { to: 'plan', from: "coalesce(metadata.plan, 'free')" },
    { to: 'balance', from: 'balance' },
    { to: 'signed_up', from: 'created' },
    { to: 'locales', from: 'map(preferred_locales, upper(item))' },
    { to: 'metadata', from: 'metadata' },
    { to: 'tags', from: 'preferred_locales' },
    { to: 'amounts', from: 'array(balance)' },
  ],
};

/** Nested groups and typed values: the form takes it as "Filter as JSON", pasted as it is. */
export const NESTED_FILTER = {
  logical: 'any',
  conditions: [
    { property: 'metadata.plan', operator: 'is_one_of', values: ['pro', 'enterprise'] },
    {
      logical: 'all',
      conditions: [
        { property: 'address.country', operator: 'is_one_of', values: ['FR', 'DE', 'GB'] },
        { property: 'balance', operator: 'greater_than_or_equal', values: [0] },
      ],
    },
  ],
};

/** A flat filter, written the README's way with a number and a boolean. */
export const FLAT_FILTER = {
  logical: 'all',
  conditions: [
    { property: 'address.country', operator: 'is_one_of', values: ['FR', 'DE', 'GB', 'US'] },
    { property: 'balance', operator: 'greater_than_or_equal', values: [0] },
    { property: 'delinquent', operator: 'is', values: [false] },
    { property: 'email', operator: 'is_not_empty' },
    { property: 'name', operator: 'contains', values: ['A'], case_sensitive: true },
  ],
};

/** FLAT_FILTER as the form's rows: operator labels, values as text. */
export const FLAT_FILTER_ROWS = [
  { property: 'address.country', operator: 'is one of', values: ['FR', 'DE', 'GB', 'US'] },
  { property: 'balance', operator: 'greater than or equal to', values: ['0'] },
  { property: 'delinquent', operator: 'is', values: ['false'] },
  { property: 'email', operator: 'is not empty', values: [] },
  { property: 'name', operator: 'contains', values: ['A'], case_sensitive: true },
];

export function legacyPipelines() {
  return [
    { name: 'nested', filter: NESTED_FILTER, transformation: MAPPING },
    { name: 'flat', filter: FLAT_FILTER, transformation: MAPPING, on_error: 'skip' },
    { name: 'raw', filter: FLAT_FILTER },
  ];
}

/** What Airbyte's form writes for the same pipelines, defaults included. */
export function formPipelines() {
  const defaults = { enabled: true, incremental: true, on_error: 'fail' };
  return [
    {
      name: 'nested',
      ...defaults,
      filter_match: 'all',
      filter_json: JSON.stringify(NESTED_FILTER, null, 2),
      transformation: MAPPING,
    },
    {
      name: 'flat',
      ...defaults,
      on_error: 'skip',
      filter_match: 'all',
      filter_conditions: FLAT_FILTER_ROWS,
      transformation: MAPPING,
    },
    {
      name: 'raw',
      ...defaults,
      filter_match: 'all',
      filter_conditions: FLAT_FILTER_ROWS,
      transformation: { type: 'none' },
    },
  ];
}

/** The README example's mapping: the same in both shapes. */
const README_MAPPING = {
  type: 'mapping',
  mappings: [
    {
      to: 'email',
      from: 'lower(trim(email))',
    },
    {
      to: 'name',
      from: "coalesce(name, concat(metadata.first, ' ', metadata.last))",
    },
    {
      to: 'country',
      from: '$.address.country',
    },
    {
      to: 'plan',
      from: "coalesce(metadata.plan, 'free')",
    },
    {
      to: 'balance',
      from: 'balance',
    },
    {
      to: 'signed_up',
      from: 'created',
    },
    {
      to: 'locales',
      from: 'map(preferred_locales, upper(item))',
    },
    {
      to: 'metadata',
      from: 'metadata',
    },
  ],
};

/** The README's setup example as Airbyte's form writes it (notes/readme-spec.md). */
export const README_FORM_EXAMPLE = {
  api_key: 'sk_test_readme',
  start_date: '2022-01-01',
  pipelines: [
    {
      name: 'eu_pro',
      enabled: true,
      incremental: true,
      filter_match: 'all',
      filter_conditions: [
        {
          property: 'address.country',
          operator: 'is one of',
          values: ['FR', 'DE', 'ES'],
          case_sensitive: false,
        },
        {
          property: 'metadata.plan',
          operator: 'is',
          values: ['pro'],
          case_sensitive: false,
        },
        {
          property: 'balance',
          operator: 'greater than or equal to',
          values: ['0'],
          case_sensitive: false,
        },
        {
          property: 'email',
          operator: 'is not empty',
          values: [],
          case_sensitive: false,
        },
      ],
      transformation: README_MAPPING,
      on_error: 'fail',
    },
  ],
  customer_model: [
    {
      name: 'email',
      type: 'string',
      nullable: false,
      description: 'Lower-cased',
    },
    {
      name: 'name',
      type: 'string',
      nullable: true,
    },
    {
      name: 'country',
      type: 'string',
      nullable: true,
    },
    {
      name: 'plan',
      type: 'string',
      nullable: true,
    },
    {
      name: 'balance',
      type: 'decimal',
      nullable: true,
      precision: 12,
      scale: 2,
    },
    {
      name: 'signed_up',
      type: 'datetime',
      nullable: true,
    },
    {
      name: 'locales',
      type: 'array',
      nullable: true,
      element_type: 'string',
    },
    {
      name: 'address',
      type: 'object',
      nullable: true,
      nested_json:
        '[{"name": "city", "type": "string"}, {"name": "postal_code", "type": "string"}]',
    },
    {
      name: 'metadata',
      type: 'map',
      nullable: true,
      element_type: 'string',
    },
  ],
};

/** The same setup in the JSON shape. */
export const README_JSON_EXAMPLE = {
  api_key: 'sk_test_readme',
  start_date: '2022-01-01',
  pipelines: [
    {
      name: 'eu_pro',
      filter: {
        logical: 'all',
        conditions: [
          {
            property: 'address.country',
            operator: 'is_one_of',
            values: ['FR', 'DE', 'ES'],
          },
          {
            property: 'metadata.plan',
            operator: 'is',
            values: ['pro'],
          },
          {
            property: 'balance',
            operator: 'greater_than_or_equal',
            values: [0],
          },
          {
            property: 'email',
            operator: 'is_not_empty',
          },
        ],
      },
      transformation: README_MAPPING,
    },
  ],
  customer_model: [
    {
      name: 'email',
      type: 'string',
      nullable: false,
      description: 'Lower-cased',
    },
    {
      name: 'name',
      type: 'string',
    },
    {
      name: 'country',
      type: 'string',
    },
    {
      name: 'plan',
      type: 'string',
    },
    {
      name: 'balance',
      type: 'decimal',
      precision: 12,
      scale: 2,
    },
    {
      name: 'signed_up',
      type: 'datetime',
    },
    {
      name: 'locales',
      type: 'array',
      items: {
        type: 'string',
      },
    },
    {
      name: 'address',
      type: 'object',
      properties: [
        {
          name: 'city',
          type: 'string',
        },
        {
          name: 'postal_code',
          type: 'string',
        },
      ],
    },
    {
      name: 'metadata',
      type: 'map',
      values: {
        type: 'string',
      },
    },
  ],
};
