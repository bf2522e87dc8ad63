import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { CONNECTION_SPECIFICATION } from '../../spec/connection-specification';
import { runCli } from '../support/connector';
import {
  badArrayItems,
  badDisplayTypes,
  badOneOfs,
  closedObjects,
  duplicateEnums,
  duplicateOrders,
  emptyObjects,
  forbiddenKeywords,
  invalidDraft7,
  misplacedGroups,
  multiTypes,
  specViolations,
  unmarkedSecrets,
} from './airbyte-rules';
import previous from './previous-connection-specification.json';

type Node = Record<string, unknown>;
const spec = CONNECTION_SPECIFICATION as unknown as Node;
const pipelineProperties = CONNECTION_SPECIFICATION.properties.pipelines.items.properties;

describe("the connection specification follows Airbyte's form rules", () => {
  it('passes every rule of the acceptance tests', () => {
    expect(specViolations(spec)).toEqual([]);
    // The API key is a secret even though its name is not on the acceptance test's list.
    expect(unmarkedSecrets(spec, ['api_key'])).toEqual([]);
  });

  it('is what `spec` prints', async () => {
    const run = await runCli(['spec']);
    expect(run.exitCode).toBe(0);
    const printed = run.messages[0]?.spec.connectionSpecification;
    expect(printed).toEqual(JSON.parse(JSON.stringify(CONNECTION_SPECIFICATION)));
    expect(specViolations(printed)).toEqual([]);
  });

  it('reads top to bottom like the setup steps: connection, pipelines, advanced', () => {
    expect(CONNECTION_SPECIFICATION.groups.map((g) => g.id)).toEqual([
      'connection',
      'pipelines',
      'advanced',
    ]);
    const byGroup = (group: string) =>
      Object.entries(CONNECTION_SPECIFICATION.properties)
        .filter(([, field]) => field.group === group)
        .sort(([, a], [, b]) => a.order - b.order)
        .map(([name]) => name);
    expect(byGroup('connection')).toEqual(['api_key', 'account_id', 'start_date']);
    expect(byGroup('pipelines')).toEqual(['pipelines', 'customer_model']);
    expect(byGroup('advanced')).toContain('max_attempts');
    // Every top-level field sits in a group, so none floats outside the three cards.
    expect(Object.values(CONNECTION_SPECIFICATION.properties).every((f) => f.group)).toBe(true);
    // Inside a pipeline: name, then what it reads and how it shapes it; the old filter last.
    const pipelineOrder = Object.entries(pipelineProperties)
      .sort(([, a], [, b]) => a.order - b.order)
      .map(([name]) => name);
    expect(pipelineOrder).toEqual([
      'name',
      'description',
      'enabled',
      'incremental',
      'filter_match',
      'filter_conditions',
      'filter_json',
      'transformation',
      'on_error',
      'schedule',
      'filter',
    ]);
  });

  it('draws filters as condition rows with readable operators, and nested ones as JSON', () => {
    const row = pipelineProperties.filter_conditions.items.properties;
    expect(row.operator.enum).toContain('is not');
    expect(row.operator.enum).toContain('is between');
    expect(row.operator.enum.every((label) => !label.includes('_'))).toBe(true);
    expect(row.values.items).toEqual({ type: 'string', title: 'Value' });
    expect(pipelineProperties.filter_json.multiline).toBe(true);
    // The JSON shape of earlier versions: still valid, not drawn.
    expect(pipelineProperties.filter).toMatchObject({ airbyte_hidden: true });
    expect(pipelineProperties.filter).not.toHaveProperty('type');
  });

  it('draws transformations as one dropdown with a `type` discriminator', () => {
    const variants = pipelineProperties.transformation.oneOf;
    expect(variants.map((v) => v.properties.type.const)).toEqual([
      'none',
      'mapping',
      'javascript',
      'python',
    ]);
    expect(variants[2].properties.source.multiline).toBe(true);
    expect(variants[3].properties.source.multiline).toBe(true);
  });

  it('documents that 429s do not count toward max_attempts', () => {
    const text = CONNECTION_SPECIFICATION.properties.max_attempts.description;
    expect(text).toMatch(/5xx or a network error/);
    expect(text).toMatch(/Rate-limited requests \(429\) do not count/);
    expect(text).not.toMatch(/a 429, a 5xx/);
  });
});

describe('each rule catches what it is about', () => {
  const object = (properties: Node): Node => ({ type: 'object', properties });
  it.each([
    ['an object without properties', emptyObjects, object({ filter: { type: 'object' } })],
    ['three types', multiTypes, object({ a: { type: ['string', 'integer', 'null'] } })],
    ['null first', multiTypes, object({ a: { type: ['null', 'string'] } })],
    [
      'array of booleans',
      badArrayItems,
      object({ a: { type: 'array', items: { type: 'boolean' } } }),
    ],
    ['tuple items', badArrayItems, object({ a: { type: 'array', items: [{ type: 'string' }] } })],
    ['anyOf', forbiddenKeywords, object({ a: { anyOf: [{ type: 'string' }] } })],
    ['$ref', forbiddenKeywords, object({ a: { $ref: '#/definitions/x' } })],
    ['if/then', forbiddenKeywords, object({ a: { if: {}, then: {} } })],
    [
      'patternProperties',
      forbiddenKeywords,
      object({ a: { type: 'object', patternProperties: {} } }),
    ],
    [
      'a oneOf without const',
      badOneOfs,
      object({
        t: {
          type: 'object',
          oneOf: [object({ k: { type: 'string' } }), object({ k: { type: 'string' } })],
        },
      }),
    ],
    [
      'a discriminator with a default',
      badOneOfs,
      object({
        t: {
          type: 'object',
          oneOf: [
            object({ k: { type: 'string', const: 'a', default: 'a' } }),
            object({ k: { type: 'string', const: 'b' } }),
          ],
        },
      }),
    ],
    [
      'a oneOf beside no object type',
      badOneOfs,
      object({ t: { oneOf: [object({ k: { const: 'a' } })] } }),
    ],
    ['a repeated enum value', duplicateEnums, object({ a: { type: 'string', enum: ['x', 'x'] } })],
    ['an unmarked token', unmarkedSecrets, object({ token: { type: 'string' } })],
    [
      'a boolean marked secret',
      unmarkedSecrets,
      object({ password: { type: 'boolean', airbyte_secret: true } }),
    ],
    [
      'additionalProperties false',
      closedObjects,
      object({
        a: object({ b: { type: 'string' } }),
        c: { type: 'object', additionalProperties: false, properties: { d: { type: 'string' } } },
      }),
    ],
    [
      'a repeated order',
      duplicateOrders,
      object({ a: { type: 'string', order: 1 }, b: { type: 'string', order: 1 } }),
    ],
    [
      'a nested group',
      misplacedGroups,
      { ...object({ a: object({ b: { type: 'string', group: 'x' } }) }), groups: [{ id: 'x' }] },
    ],
    ['an undeclared group', misplacedGroups, object({ a: { type: 'string', group: 'x' } })],
    [
      'display_type without oneOf',
      badDisplayTypes,
      object({ a: { type: 'string', display_type: 'dropdown' } }),
    ],
    ['an invalid draft-07 schema', invalidDraft7, object({ a: { type: 'text' } })],
  ])('%s', (_what, rule, bad) => {
    expect(rule(bad as Node).length).toBeGreaterThan(0);
  });

  it('does not mistake a property named like a keyword for the keyword', () => {
    const named = object({
      not: { type: 'string' },
      if: { type: 'string' },
      additionalProperties: { type: 'string' },
      enum: { type: 'string' },
    });
    expect(forbiddenKeywords(named)).toEqual([]);
    expect(closedObjects(named)).toEqual([]);
    expect(duplicateEnums(named)).toEqual([]);
  });

  it('flags the spec before this change, where the form could not draw filters', () => {
    const problems = specViolations(previous as Node);
    expect(problems).toContainEqual(
      expect.stringMatching(/properties\/filter\/type is an empty object/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/properties\/transformation\/type is an empty object/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/pipelines\/items\/additionalProperties/),
    );
  });
});

/**
 * Airbyte checks a new spec against the previous one (test_backward_compatibility): no new
 * required field, no narrowed or changed type, no narrowed or new enum on an existing field, and
 * configs valid for the previous spec stay valid (the platform validates saved configs with a
 * plain JSON Schema validator, without the connector's own code).
 */
describe('backward compatibility with the previous spec', () => {
  interface Field {
    path: string;
    schema: Node;
  }
  const fields = (schema: Node, path = ''): Field[] => {
    const out: Field[] = [{ path, schema }];
    const properties = (schema.properties ?? {}) as Record<string, Node>;
    for (const [name, sub] of Object.entries(properties))
      out.push(...fields(sub, `${path}/${name}`));
    if (schema.items && typeof schema.items === 'object') {
      out.push(...fields(schema.items as Node, `${path}/items`));
    }
    return out;
  };
  const before = new Map(fields(previous as Node).map((f) => [f.path, f.schema]));
  const after = new Map(fields(spec).map((f) => [f.path, f.schema]));

  it('keeps every field, adds no required one, and narrows no type or enum', () => {
    const problems: string[] = [];
    for (const [path, old] of before) {
      const now = after.get(path);
      if (!now) {
        problems.push(`${path} was removed`);
        continue;
      }
      const required = ((now.required ?? []) as string[]).filter(
        (name) => !((old.required ?? []) as string[]).includes(name),
      );
      if (required.length > 0) problems.push(`${path} now requires ${required.join(', ')}`);
      const oldTypes = [old.type].flat().filter(Boolean);
      const newTypes = [now.type].flat().filter(Boolean);
      // A type may be widened or dropped (any value), never changed or narrowed.
      if (newTypes.length > 0 && !oldTypes.every((t) => newTypes.includes(t))) {
        problems.push(`${path} changed type from ${String(old.type)} to ${String(now.type)}`);
      }
      if (now.enum && !old.enum) problems.push(`${path} gained an enum`);
      const oldEnum = (old.enum ?? []) as unknown[];
      if (now.enum && !oldEnum.every((v) => (now.enum as unknown[]).includes(v))) {
        problems.push(`${path} narrowed its enum`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('accepts configs written for the previous spec, validated as the platform does', () => {
    const plain = new Ajv({ strict: false });
    addFormats(plain);
    const validateOld = plain.compile(previous);
    const validateNew = plain.compile(spec);
    const configs = [
      { api_key: 'sk_test_x' },
      {
        api_key: 'rk_live_abc',
        account_id: 'acct_123',
        start_date: '2022-01-01T00:00:00Z',
        lookback_window_days: 3,
        use_search_api: true,
        requests_per_second: 50,
        pipelines: [
          { name: 'customers' },
          {
            name: 'eu_pro',
            description: 'EU pro customers',
            enabled: true,
            incremental: false,
            on_error: 'skip',
            schedule: '1h',
            filter: {
              logical: 'any',
              conditions: [
                { property: 'balance', operator: 'greater_than', values: [0] },
                {
                  logical: 'all',
                  conditions: [{ property: 'delinquent', operator: 'is', values: [true] }],
                },
              ],
            },
            transformation: {
              type: 'mapping',
              mappings: [{ to: 'email', from: 'lower(email)' }],
            },
          },
          {
            name: 'coded',
            transformation: {
              type: 'python',
              source: 'def transform(c):\n    return c',
              timeout_ms: 500,
            },
          },
        ],
        customer_model: [
          { name: 'email', type: 'string', nullable: false, description: 'e-mail' },
          { name: 'balance', type: 'decimal', precision: 12, scale: 2 },
          { name: 'locales', type: 'array', items: { type: 'string' } },
          { name: 'address', type: 'object', properties: [{ name: 'city', type: 'string' }] },
          { name: 'metadata', type: 'map', values: { type: 'string', nullable: true } },
        ],
      },
    ];
    for (const config of configs) {
      expect(validateOld(config), JSON.stringify(validateOld.errors)).toBe(true);
      expect(validateNew(config), JSON.stringify(validateNew.errors)).toBe(true);
    }
  });
});
