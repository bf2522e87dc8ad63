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

const configErrorOf = (raw: unknown): ConfigError => {
  try {
    parseConfig(raw, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};
const configError = (raw: unknown): string => configErrorOf(raw).message;

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

  it('a hidden legacy `filter` beside the form’s rows: the rows win, with a warning saying how to delete it', () => {
    const both = parseConfig(
      pipelineWith({ filter: NESTED_FILTER, filter_conditions: FLAT_FILTER_ROWS }),
      NOW,
    );
    const rows = parseConfig(pipelineWith({ filter_conditions: FLAT_FILTER_ROWS }), NOW);
    expect(both.pipelines[0]?.fingerprint).toBe(rows.pipelines[0]?.fingerprint);
    expect(both.pipelines[0]?.filter.pushDown).toEqual(rows.pipelines[0]?.filter.pushDown);
    expect(both.warnings).toEqual([
      'pipelines[0] ("eu"): `filter` (the JSON shape of earlier versions, hidden in Airbyte\'s form) is ignored, because `filter_conditions` sets the filter too. Delete `filter` through Airbyte\'s API or in the config file to stop this warning.',
    ]);
    expect(rows.warnings).toEqual([]);
    // ...and beside "Filter as JSON": that one wins.
    const json = parseConfig(
      pipelineWith({ filter: FLAT_FILTER, filter_json: JSON.stringify(NESTED_FILTER) }),
      NOW,
    );
    expect(json.pipelines[0]?.fingerprint).toBe(
      parseConfig(pipelineWith({ filter_json: JSON.stringify(NESTED_FILTER) }), NOW).pipelines[0]
        ?.fingerprint,
    );
    expect(json.warnings[0]).toMatch(/because `filter_json` sets the filter too/);
  });

  it('`filter_conditions` and `filter_json`: both in the form, so refused, naming both', () => {
    const error = configErrorOf(
      pipelineWith({
        filter_conditions: FLAT_FILTER_ROWS,
        filter_json: JSON.stringify(NESTED_FILTER),
      }),
    );
    expect(error.at).toEqual(['pipelines', 0]);
    expect(error.message).toBe(
      'pipelines[0] ("eu"): its filter is set twice, in `filter_conditions` and `filter_json`: the connector cannot tell which one you mean. Keep `filter_conditions` for a flat list of conditions, or `filter_json` for nested groups (it can hold the conditions too), and clear the other.',
    );
  });

  it('a model row with a hidden legacy `items` and the form’s `element_type`: the form’s wins, with a warning', () => {
    const config = parseConfig(
      {
        api_key: KEY,
        customer_model: [
          { name: 'tags', type: 'array', items: { type: 'integer' }, element_type: 'string' },
        ],
      },
      NOW,
    );
    expect(config.model?.properties[0]).toMatchObject({ items: { type: 'string' } });
    expect(config.warnings).toEqual([
      'customer_model[0] ("tags"): `items` (the JSON shape of earlier versions, hidden in Airbyte\'s form) is ignored, because `element_type` gives the nested type too. Delete it through Airbyte\'s API or in the config file to stop this warning.',
    ]);
  });

  it('a model row with `element_type` and `nested_json`', () => {
    const error = configErrorOf({
      api_key: KEY,
      customer_model: [
        {
          name: 'tags',
          type: 'array',
          element_type: 'string',
          nested_json: '{"type": "string"}',
        },
      ],
    });
    expect(error.at).toEqual(['customer_model', 0]);
    expect(error.message).toBe(
      'customer_model[0] ("tags"): both `element_type` and `nested_json` are set. Keep `element_type` for a plain element type, or `nested_json` for a nullable or nested one, and clear the other.',
    );
  });

  it('is reported by `check` as FAILED', async () => {
    const files = writeFiles({
      config: pipelineWith({
        filter_conditions: FLAT_FILTER_ROWS,
        filter_json: JSON.stringify(NESTED_FILTER),
      }),
    });
    const run = await runCli(['check', '--config', files.config as string]);
    expect(run.exitCode).toBe(0);
    const [status] = ofType(run.messages, 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toMatch(/its filter is set twice/);
  });
});

describe('Airbyte’s `check` of what its form saves', () => {
  const check = async (config: unknown) => {
    const files = writeFiles({ config });
    const run = await runCli(['check', '--config', files.config as string]);
    expect(run.exitCode).toBe(0);
    return ofType(run.messages, 'CONNECTION_STATUS')[0]?.connectionStatus;
  };

  it('a Mapping without columns fails, naming the form’s field', async () => {
    const status = await check({
      api_key: KEY,
      pipelines: [{ name: 'eu', transformation: { type: 'mapping', mappings: [] } }],
    });
    expect(status).toEqual({
      status: 'FAILED',
      message:
        'Pipelines › row 1 (eu) › Transformation (Mapping) › Columns: needs at least one column. Add one.',
    });
  });

  it('a hidden legacy `filter` beside the form’s rows does not fail: the check says it is ignored and how to delete it', async () => {
    const status = await check({
      api_key: KEY,
      api_base_url: 'http://127.0.0.1:9',
      max_attempts: 1,
      pipelines: [{ name: 'eu', filter: NESTED_FILTER, filter_conditions: FLAT_FILTER_ROWS }],
    });
    // Stripe is unreachable here: what matters is that the config passed, with the warning.
    expect(status?.message).toMatch(/^Could not reach the Stripe API/);
    expect(status?.message).toContain(
      "`filter` (the JSON shape of earlier versions, hidden in Airbyte's form) is ignored, because `filter_conditions` sets the filter too. Delete `filter` through Airbyte's API or in the config file to stop this warning.",
    );
  });
});

describe('mistakes in the form’s shape name the field the user edited', () => {
  const withRows = (rows: unknown[]) => ({
    api_key: KEY,
    pipelines: [{ name: 'eu', filter_conditions: rows }],
  });

  it('a condition row', () => {
    const error = configErrorOf(
      withRows([
        { property: 'email', operator: 'is not empty' },
        { property: 'balance', operator: 'greater than', values: ['lots'] },
      ]),
    );
    expect(error.at).toEqual(['pipelines', 0, 'filter_conditions', 1, 'values', 0]);
    expect(error.message).toBe(
      'pipelines[0] ("eu").filter_conditions[1].values[0]: must be a number for number property "balance", got "lots".',
    );
  });

  it('the group’s logic is the form’s "Filter: match"', () => {
    const error = configErrorOf({
      api_key: KEY,
      pipelines: [
        { name: 'eu', filter_match: 'all', filter_json: '{"logical": "every", "conditions": []}' },
      ],
    });
    expect(error.at).toEqual(['pipelines', 0, 'filter_json', 'logical']);
  });

  it('an operator that is not in the list', () => {
    const error = configErrorOf(withRows([{ property: 'email', operator: 'is_not_empty' }]));
    expect(error.at).toEqual(['pipelines', 0, 'filter_conditions', 0, 'operator']);
    expect(error.message).toMatch(
      /^pipelines\[0\] \("eu"\)\.filter_conditions\[0\]\.operator: must be one of "is", "is not", .* \(did you mean "is not empty"\?\)/,
    );
  });

  it('an unknown key in a condition row', () => {
    const error = configErrorOf(
      withRows([{ property: 'email', operator: 'is', value: ['a@b.c'] }]),
    );
    expect(error.at).toEqual(['pipelines', 0, 'filter_conditions', 0, 'value']);
    expect(error.message).toBe(
      'pipelines[0] ("eu").filter_conditions[0].value: not a known field (did you mean "values"?). A condition has property, operator, values, case_sensitive.',
    );
  });

  it('filter_json that is not JSON, and filter_json errors', () => {
    const invalid = configErrorOf({
      api_key: KEY,
      pipelines: [{ name: 'eu', filter_json: '{"logical": "all",' }],
    });
    expect(invalid.at).toEqual(['pipelines', 0, 'filter_json']);
    expect(invalid.message).toMatch(/^pipelines\[0\] \("eu"\)\.filter_json: not valid JSON \(/);
    const inside = configErrorOf({
      api_key: KEY,
      pipelines: [
        {
          name: 'eu',
          filter_json: '{"conditions": [{"property": "emial", "operator": "is", "values": ["x"]}]}',
        },
      ],
    });
    expect(inside.at).toEqual(['pipelines', 0, 'filter_json', 'conditions', 0, 'property']);
    expect(inside.message).toMatch(
      /^pipelines\[0\] \("eu"\)\.filter_json\.conditions\[0\]\.property: property "emial" is not valid.*"email"/,
    );
  });

  it('nested types in model rows', () => {
    const model = (row: Record<string, unknown>) => ({ api_key: KEY, customer_model: [row] });
    const cases: Array<[Record<string, unknown>, unknown[], RegExp]> = [
      [
        { name: 'tags', type: 'array' },
        ['customer_model', 0, 'element_type'],
        /^customer_model\[0\] \("tags"\)\.element_type: an array needs the type of its elements\. Set `element_type` \(e\.g\. string\), or `nested_json`/,
      ],
      [
        { name: 'n', type: 'string', element_type: 'string' },
        ['customer_model', 0, 'element_type'],
        /^customer_model\[0\] \("n"\)\.element_type: only an array, a map or an object has a nested type, not a string/,
      ],
      [
        { name: 'a', type: 'object', element_type: 'string' },
        ['customer_model', 0, 'element_type'],
        /an object has properties, not an element type/,
      ],
      [
        { name: 'a', type: 'object', nested_json: '{"type": "string"}' },
        ['customer_model', 0, 'nested_json'],
        /^customer_model\[0\] \("a"\)\.nested_json: must be a list of the object's properties/,
      ],
      [
        { name: 'a', type: 'map', nested_json: '{type: string}' },
        ['customer_model', 0, 'nested_json'],
        /^customer_model\[0\] \("a"\)\.nested_json: not valid JSON/,
      ],
      [
        { name: 'a', type: 'map', nested_json: '{"type": "strng"}' },
        ['customer_model', 0, 'nested_json', 'type'],
        /^customer_model\[0\] \("a"\)\.nested_json\.type: "strng" is not a type \(did you mean "string"\?\)/,
      ],
      [
        { name: 'a', type: 'array', element_type: 'decimal', precision: 40 },
        ['customer_model', 0, 'precision'],
        /^customer_model\[0\] \("a"\)\.precision: must be <= 15/,
      ],
      [
        { name: 'a', type: 'array', element_type: 'decimal' },
        ['customer_model', 0, 'precision'],
        /^customer_model\[0\] \("a"\)\.precision: a decimal needs "precision"/,
      ],
    ];
    for (const [row, at, message] of cases) {
      const error = configErrorOf(model(row));
      expect(error.at, JSON.stringify(row)).toEqual(at);
      expect(error.message).toMatch(message);
    }
  });

  it('a misspelt pipeline field', () => {
    const error = configErrorOf({ api_key: KEY, pipelines: [{ name: 'eu', filtr: FLAT_FILTER }] });
    expect(error.at).toEqual(['pipelines', 0, 'filtr']);
    expect(error.message).toBe(
      'pipelines[0] ("eu").filtr: not a known field (did you mean "filter"?).',
    );
  });

  it('a transformation type that does not exist, or a Mapping without columns', () => {
    expect(
      configError({
        api_key: KEY,
        pipelines: [{ name: 'eu', transformation: { type: 'mappings' } }],
      }),
    ).toBe(
      'pipelines[0] ("eu").transformation.type: must be one of "none", "mapping", "javascript", "python" (did you mean "mapping"?).',
    );
    expect(
      configError({
        api_key: KEY,
        pipelines: [{ name: 'eu', transformation: { type: 'mapping' } }],
      }),
    ).toBe('pipelines[0] ("eu").transformation.mappings: missing (required).');
    const empty = configErrorOf({
      api_key: KEY,
      pipelines: [{ name: 'eu', transformation: { type: 'mapping', mappings: [] } }],
    });
    expect(empty.at).toEqual(['pipelines', 0, 'transformation', 'mappings']);
    expect(empty.message).toBe(
      'pipelines[0] ("eu").transformation.mappings: needs at least one column. Add one.',
    );
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
