import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectorError, parseConfig, type ConnectorConfig } from '../../connector';
import { ConfigError } from '../../connector/errors';
import { CONNECTION_SPECIFICATION } from '../../spec/connection-specification';
import { ofType, runCli, writeFiles } from '../support/connector';
import {
  FLAT_FILTER,
  FLAT_FILTER_ROWS,
  FORM_MODEL,
  LEGACY_MODEL,
  MAPPING,
  NESTED_FILTER,
  README_FORM_EXAMPLE,
  README_JSON_EXAMPLE,
  formPipelines,
  legacyPipelines,
} from './shapes';

const KEY = 'sk_test_shapes';
const NOW = new Date('2026-01-15T12:00:00Z');
const legacyConfig = { api_key: KEY, customer_model: LEGACY_MODEL, pipelines: legacyPipelines() };
const formConfig = { api_key: KEY, customer_model: FORM_MODEL, pipelines: formPipelines() };

const configError = (raw: unknown): string => {
  try {
    parseConfig(raw, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

const customers = fc.array(
  fc.record({
    id: fc.constant('cus_1'),
    object: fc.constant('customer'),
    created: fc.integer({ min: 1_500_000_000, max: 1_760_000_000 }),
    email: fc.option(fc.constantFrom('ann@example.com', '', 'BOB@EXAMPLE.COM')),
    name: fc.option(fc.constantFrom('Ann', 'ann', 'ALEX', 'bob')),
    balance: fc.oneof(fc.integer({ min: -100, max: 100 }), fc.constant(0)),
    delinquent: fc.boolean(),
    address: fc.option(fc.record({ country: fc.constantFrom('FR', 'DE', 'GB', 'US', 'PL') })),
    metadata: fc.record({ plan: fc.constantFrom('free', 'starter', 'pro', 'enterprise') }),
    preferred_locales: fc.array(fc.constantFrom('en', 'fr')),
  }),
  { minLength: 200, maxLength: 200 },
);

describe('a config in the form’s shape and the same one in the JSON shape', () => {
  const legacy = parseConfig(legacyConfig, NOW);
  const form = parseConfig(formConfig, NOW);

  it('give the same pipelines: settings, transformation and fingerprint', () => {
    const settings = (config: ConnectorConfig) =>
      config.pipelines.map((p) => ({
        name: p.name,
        enabled: p.enabled,
        incremental: p.incremental,
        onError: p.onError,
        transformation: JSON.parse(JSON.stringify(p.transformation ?? null)),
        fingerprint: p.fingerprint,
        pushDown: p.filter.pushDown,
        matchesAll: p.filter.matchesAll,
      }));
    expect(settings(form)).toEqual(settings(legacy));
    expect(form.pipelines.map((p) => p.fingerprint)).toEqual(
      legacy.pipelines.map((p) => p.fingerprint),
    );
    // The form's "none" transformation is no transformation: the stream passes customers through.
    expect(form.pipelines[2]?.transformation).toBeUndefined();
  });

  it('give the same filter semantics', () => {
    fc.assert(
      fc.property(customers, (list) => {
        for (const [index, pipeline] of legacy.pipelines.entries()) {
          const other = form.pipelines[index]!;
          for (const customer of list) {
            expect(other.filter.matches(customer)).toBe(pipeline.filter.matches(customer));
          }
        }
      }),
      { numRuns: 20 },
    );
    // ...and the filters select something and leave something out, so the comparison bites.
    const sample = fc.sample(customers, 1)[0]!;
    for (const pipeline of legacy.pipelines) {
      const kept = sample.filter((c) => pipeline.filter.matches(c)).length;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(sample.length);
    }
  });

  it('give the same Customer Model', () => {
    expect(form.model?.properties).toEqual(legacy.model?.properties);
    expect(form.model?.jsonSchema).toEqual(legacy.model?.jsonSchema);
  });

  it('are both valid for a plain JSON Schema validator, as Airbyte validates saved configs', () => {
    const plain = new Ajv({ strict: false });
    addFormats(plain);
    const validate = plain.compile(CONNECTION_SPECIFICATION);
    expect(validate(legacyConfig), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(formConfig), JSON.stringify(validate.errors)).toBe(true);
  });

  it('keep the fingerprint whatever order the form writes keys in', () => {
    const shuffled = {
      api_key: KEY,
      customer_model: FORM_MODEL.map((row) => Object.fromEntries(Object.entries(row).reverse())),
      pipelines: formPipelines().map((pipeline: Record<string, any>) => ({
        ...pipeline,
        ...(pipeline.filter_conditions
          ? {
              filter_conditions: pipeline.filter_conditions.map((row: object) =>
                Object.fromEntries(Object.entries(row).reverse()),
              ),
            }
          : {}),
        transformation:
          pipeline.transformation.type === 'mapping'
            ? {
                mappings: MAPPING.mappings.map(({ to, from }) => ({ from, to })),
                type: 'mapping',
              }
            : pipeline.transformation,
      })),
    };
    expect(parseConfig(shuffled, NOW).pipelines.map((p) => p.fingerprint)).toEqual(
      legacy.pipelines.map((p) => p.fingerprint),
    );
  });
});

describe('the README’s setup example', () => {
  it('in the form’s shape is the same pipeline as in the JSON shape', () => {
    const form = parseConfig(README_FORM_EXAMPLE, NOW);
    const json = parseConfig(README_JSON_EXAMPLE, NOW);
    expect(form.pipelines[0]?.fingerprint).toBe(json.pipelines[0]?.fingerprint);
    expect(form.pipelines[0]?.filter.pushDown).toEqual(json.pipelines[0]?.filter.pushDown);
    expect(form.model?.jsonSchema).toEqual(json.model?.jsonSchema);
  });
});

describe('fingerprints of configs in the JSON shape', () => {
  // Computed by the connector before the form's shape existed (commit f0c0830): saved states of
  // existing configs must stay valid, or every pipeline would be imported again after an upgrade.
  it.each([
    [
      'the README example',
      {
        api_key: 'sk_test_fingerprint',
        start_date: '2022-01-01T00:00:00Z',
        pipelines: [
          { name: 'customers' },
          {
            name: 'eu_pro',
            filter: {
              logical: 'all',
              conditions: [
                { property: 'address.country', operator: 'is_one_of', values: ['FR', 'DE', 'ES'] },
                { property: 'metadata.plan', operator: 'is', values: ['pro'] },
              ],
            },
          },
        ],
      },
      ['eba930f0d62dbccc', 'ee84280cec9d7e56'],
    ],
    [
      'nested groups, typed values and code',
      {
        api_key: 'sk_test_fingerprint',
        pipelines: [
          {
            name: 'owing',
            incremental: false,
            filter: {
              logical: 'any',
              conditions: [
                { property: 'balance', operator: 'greater_than', values: [0] },
                {
                  logical: 'all',
                  conditions: [
                    { property: 'delinquent', operator: 'is', values: [true] },
                    {
                      property: 'email',
                      operator: 'ends_with',
                      values: ['@example.com'],
                      case_sensitive: true,
                    },
                  ],
                },
              ],
            },
            transformation: {
              type: 'javascript',
              source: 'function transform(c) { return { id: c.id }; }',
              timeout_ms: 500,
            },
            on_error: 'skip',
          },
        ],
      },
      ['44500b8d5fcbc2ae'],
    ],
  ])('are unchanged: %s', (_name, config, fingerprints) => {
    expect(parseConfig(config, NOW).pipelines.map((p) => p.fingerprint)).toEqual(fingerprints);
  });

  it('are unchanged for the README Customer Model and mapping', () => {
    const config = {
      api_key: 'sk_test_fingerprint',
      customer_model: LEGACY_MODEL.slice(0, 10),
      pipelines: [
        {
          name: 'crm',
          filter: {
            logical: 'all',
            conditions: [{ property: 'email', operator: 'is_not_empty' }],
          },
          transformation: {
            type: 'mapping',
            mappings: [
              { to: 'email', from: 'lower(trim(email))' },
              { to: 'name', from: "coalesce(name, concat(metadata.first, ' ', metadata.last))" },
              { to: 'country', from: '$.address.country' },
              { to: 'plan', from: "coalesce(metadata.plan, 'free')" },
              { to: 'seats', from: 'metadata.seats' },
              { to: 'signed_up', from: 'created' },
              { to: 'locales', from: 'map(preferred_locales, upper(item))' },
              { to: 'metadata', from: 'metadata' },
            ],
          },
        },
      ],
    };
    const [pipeline] = parseConfig(config, NOW).pipelines;
    // Descriptions no longer count (they change no column): states saved under the fingerprint
    // of earlier versions stay valid.
    expect(pipeline?.fingerprint).toBe('ffef996dcda33718');
    expect(pipeline?.formerFingerprints).toEqual(['10f835a86a0da82e']);
  });

  it('follow the definition: another filter value is another fingerprint', () => {
    const changed = structuredClone(formConfig);
    (
      changed.pipelines[1] as { filter_conditions: Array<{ values: string[] }> }
    ).filter_conditions[1]!.values = ['1'];
    const [, before] = parseConfig(formConfig, NOW).pipelines;
    const [, after] = parseConfig(changed, NOW).pipelines;
    expect(after?.fingerprint).not.toBe(before?.fingerprint);
  });
});

describe('one place written in both shapes', () => {
  const pipelineWith = (extra: Record<string, unknown>) => ({
    api_key: KEY,
    pipelines: [{ name: 'eu', ...extra }],
  });

  it('`filter` and `filter_conditions`: names both and says which to keep', () => {
    const message = configError(
      pipelineWith({ filter: FLAT_FILTER, filter_conditions: FLAT_FILTER_ROWS }),
    );
    expect(message).toBe(
      'pipelines[0] ("eu") sets its filter twice, in `filter` and `filter_conditions`: the connector cannot tell which one you mean. Keep the form\'s fields and delete `filter` (the JSON shape of earlier versions; Airbyte\'s form hides it, so delete it through the API or in the config file), or keep `filter` and clear the form\'s filter conditions and "Filter as JSON".',
    );
  });

  it('`filter_conditions` and `filter_json`', () => {
    expect(
      configError(
        pipelineWith({
          filter_conditions: FLAT_FILTER_ROWS,
          filter_json: JSON.stringify(NESTED_FILTER),
        }),
      ),
    ).toMatch(
      /sets its filter twice, in `filter_conditions` and `filter_json`: .* Keep `filter_conditions` for a flat list of conditions, or `filter_json` for nested groups/,
    );
  });

  it('a model row with `items` and `element_type`', () => {
    expect(
      configError({
        api_key: KEY,
        customer_model: [
          { name: 'tags', type: 'array', items: { type: 'string' }, element_type: 'string' },
        ],
      }),
    ).toBe(
      'customer_model[0] ("tags") gives its nested type twice, in `items` and `element_type`: keep the form\'s `element_type` and delete `items` (the JSON shape of earlier versions), or keep `items` and clear `element_type`.',
    );
  });

  it('a model row with `element_type` and `nested_json`', () => {
    expect(
      configError({
        api_key: KEY,
        customer_model: [
          {
            name: 'tags',
            type: 'array',
            element_type: 'string',
            nested_json: '{"type": "string"}',
          },
        ],
      }),
    ).toMatch(/customer_model\[0\] \("tags"\) sets both `element_type` and `nested_json`: keep/);
  });

  it('is reported by `check` as FAILED', async () => {
    const files = writeFiles({
      config: pipelineWith({ filter: FLAT_FILTER, filter_json: JSON.stringify(NESTED_FILTER) }),
    });
    const run = await runCli(['check', '--config', files.config as string]);
    expect(run.exitCode).toBe(0);
    const [status] = ofType(run.messages, 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toMatch(
      /pipelines\[0\] \("eu"\) sets its filter twice, in `filter` and `filter_json`/,
    );
  });
});

describe('mistakes in the form’s shape name the field the user edited', () => {
  const withRows = (rows: unknown[]) => ({
    api_key: KEY,
    pipelines: [{ name: 'eu', filter_conditions: rows }],
  });

  it('a condition row', () => {
    const message = configError(
      withRows([
        { property: 'email', operator: 'is not empty' },
        { property: 'balance', operator: 'greater than', values: ['lots'] },
      ]),
    );
    expect(message).toMatch(/^pipeline "eu" filter_conditions\[1\]: values\[0\] must be a number/);
  });

  it('an operator that is not in the list', () => {
    expect(configError(withRows([{ property: 'email', operator: 'is_not_empty' }]))).toMatch(
      /`pipelines\[0\]\.filter_conditions\[0\]\.operator` must be one of "is", "is not", .* \(did you mean "is not empty"\?\)/,
    );
  });

  it('an unknown key in a condition row', () => {
    expect(
      configError(withRows([{ property: 'email', operator: 'is', value: ['a@b.c'] }])),
    ).toMatch(
      /`pipelines\[0\] \("eu"\)\.filter_conditions\[0\]\.value` is not a known field \(did you mean "values"\?\)/,
    );
  });

  it('filter_json that is not JSON, and filter_json errors', () => {
    expect(
      configError({ api_key: KEY, pipelines: [{ name: 'eu', filter_json: '{"logical": "all",' }] }),
    ).toMatch(/^pipelines\[0\] \("eu"\)\.filter_json is not valid JSON \(/);
    expect(
      configError({
        api_key: KEY,
        pipelines: [
          {
            name: 'eu',
            filter_json:
              '{"conditions": [{"property": "emial", "operator": "is", "values": ["x"]}]}',
          },
        ],
      }),
    ).toMatch(
      /^pipeline "eu" filter_json\.conditions\[0\]: property "emial" is not valid.*"email"/,
    );
  });

  it('nested types in model rows', () => {
    const model = (row: Record<string, unknown>) => ({ api_key: KEY, customer_model: [row] });
    expect(configError(model({ name: 'tags', type: 'array' }))).toMatch(
      /customer_model\[0\] \("tags"\): an array needs the type of its elements: set element_type/,
    );
    expect(configError(model({ name: 'n', type: 'string', element_type: 'string' }))).toMatch(
      /customer_model\[0\] \("n"\)\.element_type: only an array, a map or an object has a nested type, not a string/,
    );
    expect(configError(model({ name: 'a', type: 'object', element_type: 'string' }))).toMatch(
      /an object has properties, not an element type/,
    );
    expect(
      configError(model({ name: 'a', type: 'object', nested_json: '{"type": "string"}' })),
    ).toMatch(/customer_model\[0\] \("a"\)\.nested_json must be a list of the object's properties/);
    expect(configError(model({ name: 'a', type: 'map', nested_json: '{type: string}' }))).toMatch(
      /customer_model\[0\] \("a"\)\.nested_json is not valid JSON/,
    );
    expect(
      configError(model({ name: 'a', type: 'map', nested_json: '{"type": "strng"}' })),
    ).toMatch(
      /^customer_model\[0\]\.nested_json \(as values\)\.type: "strng" is not a type \(did you mean "string"\?\)/,
    );
    expect(
      configError(model({ name: 'a', type: 'array', element_type: 'decimal', precision: 40 })),
    ).toMatch(/`customer_model\[0\]\.precision` must be <= 15/);
    expect(configError(model({ name: 'a', type: 'array', element_type: 'decimal' }))).toMatch(
      /^customer_model\[0\]\.precision: a decimal needs "precision"/,
    );
  });

  it('a misspelt pipeline field', () => {
    expect(configError({ api_key: KEY, pipelines: [{ name: 'eu', filtr: FLAT_FILTER }] })).toBe(
      'Invalid config: `pipelines[0].filtr` is not a known field (did you mean "filter"?).',
    );
  });

  it('a transformation type that does not exist', () => {
    expect(
      configError({
        api_key: KEY,
        pipelines: [{ name: 'eu', transformation: { type: 'mappings' } }],
      }),
    ).toBe(
      'Invalid config: `pipelines[0].transformation.type` must be one of "none", "mapping", "javascript", "python" (did you mean "mapping"?).',
    );
    expect(
      configError({
        api_key: KEY,
        pipelines: [{ name: 'eu', transformation: { type: 'mapping' } }],
      }),
    ).toBe('Invalid config: `pipelines[0].transformation.mappings` is required.');
  });
});

describe('defaults', () => {
  // Every field with a default, and where the engine reads it: the default is written once, in
  // the spec, and reaches the engine through ajv's useDefaults.
  const read: Record<string, (config: ConnectorConfig) => unknown> = {
    lookback_window_days: (c) => c.reading.lookbackSeconds / 86_400,
    use_search_api: (c) => c.reading.useSearchApi,
    max_share_of_rate_limits: (c) => c.connection.maxShareOfRateLimits,
    concurrency: (c) => c.reading.concurrency,
    search_horizon_hours: (c) => c.reading.searchHorizonSeconds / 3600,
    events_settle_seconds: (c) => c.reading.settleSeconds,
    events_overlap_seconds: (c) => c.reading.overlapSeconds,
    search_lag_seconds: (c) => c.reading.searchLagSeconds,
    request_timeout_seconds: (c) => (c.connection.requestTimeoutMs ?? NaN) / 1000,
    max_attempts: (c) => c.connection.maxAttempts,
    api_base_url: (c) => c.connection.apiBaseUrl,
  };
  const pipelineRead: Record<string, (config: ConnectorConfig) => unknown> = {
    enabled: (c) => c.pipelines[0]?.enabled,
    incremental: (c) => c.pipelines[0]?.incremental,
    on_error: (c) => c.pipelines[0]?.onError,
  };
  const withDefaults = (properties: Record<string, object>) =>
    Object.entries(properties)
      .filter(([, field]) => 'default' in field)
      .map(([name, field]) => [name, (field as { default: unknown }).default] as const);
  const top = withDefaults(CONNECTION_SPECIFICATION.properties);
  const pipeline = withDefaults(CONNECTION_SPECIFICATION.properties.pipelines.items.properties);

  it('come from the spec, for the connection and for each pipeline', () => {
    expect(top.map(([name]) => name).sort()).toEqual(Object.keys(read).sort());
    const config = parseConfig({ api_key: KEY }, NOW);
    for (const [name, value] of top) expect(read[name]!(config), name).toEqual(value);
    for (const [name, value] of pipeline.filter(([name]) => name in pipelineRead)) {
      expect(pipelineRead[name]!(config), name).toEqual(value);
    }
    expect(pipeline.map(([name]) => name)).toEqual(
      expect.arrayContaining(Object.keys(pipelineRead)),
    );
  });

  it('give way to given values', () => {
    const config = parseConfig(
      {
        api_key: KEY,
        max_attempts: 3,
        request_timeout_seconds: 5,
        lookback_window_days: 2,
        pipelines: [{ name: 'p', enabled: false, incremental: false, on_error: 'skip' }],
      },
      NOW,
    );
    expect(config.connection.maxAttempts).toBe(3);
    expect(config.connection.requestTimeoutMs).toBe(5000);
    expect(config.reading.lookbackSeconds).toBe(2 * 86_400);
    expect(config.pipelines[0]).toMatchObject({
      enabled: false,
      incremental: false,
      onError: 'skip',
    });
  });

  it('an empty Customer Model or pipeline list means none', () => {
    const config = parseConfig({ api_key: KEY, customer_model: [], pipelines: [] }, NOW);
    expect(config.model).toBeUndefined();
    expect(config.pipelines.map((p) => [p.name, p.where])).toEqual([
      ['customers', 'the default pipeline'],
    ]);
  });
});

describe('fuzzed form-shaped configs get a result or a clear config error', () => {
  it('never crash otherwise', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('100', 'true', '2024-01-31', '30 days ago'));
    const row = fc.record(
      {
        property: fc.oneof(
          fc.constantFrom('email', 'balance', 'created', 'delinquent', 'metadata.plan'),
          fc.string(),
        ),
        operator: fc.constantFrom(
          ...CONNECTION_SPECIFICATION.properties.pipelines.items.properties.filter_conditions.items
            .properties.operator.enum,
        ),
        values: fc.array(text, { maxLength: 3 }),
        case_sensitive: fc.boolean(),
      },
      { requiredKeys: ['property', 'operator'] },
    );
    const modelRow = fc.record(
      {
        name: fc.constantFrom('a', 'b', 'tags', '1x'),
        type: fc.constantFrom('string', 'decimal', 'array', 'map', 'object', 'integer'),
        nullable: fc.boolean(),
        precision: fc.integer({ min: 1, max: 15 }),
        scale: fc.integer({ min: 0, max: 15 }),
        element_type: fc.constantFrom('string', 'decimal', 'json'),
        nested_json: fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
      },
      { requiredKeys: ['name', 'type'] },
    );
    const config = fc.record({
      api_key: fc.constant(KEY),
      pipelines: fc.array(
        fc.record(
          {
            name: fc.constantFrom('p', 'q'),
            filter_match: fc.constantFrom('all', 'any'),
            filter_conditions: fc.array(row, { maxLength: 3 }),
            filter_json: fc.oneof(
              fc.string(),
              fc.jsonValue().map((v) => JSON.stringify(v)),
            ),
            filter: fc.jsonValue(),
          },
          { requiredKeys: ['name'] },
        ),
        { maxLength: 2 },
      ),
      customer_model: fc.array(modelRow, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(config, (raw) => {
        try {
          parseConfig(raw, NOW);
        } catch (error) {
          if (!(error instanceof ConnectorError) || error.kind !== 'config') throw error;
          expect(error.message.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 400 },
    );
  });
});
