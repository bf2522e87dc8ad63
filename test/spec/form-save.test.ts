/**
 * Airbyte's form keeps only the keys the spec declares when it saves a config. Every config the
 * documentation shows, and configs in the JSON shape of earlier versions, must come back from such
 * a save meaning exactly what they meant.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type ConnectorConfig } from '../../connector';
import { CONNECTION_SPECIFICATION } from '../../spec/connection-specification';
import { LEGACY_MODEL, README_JSON_EXAMPLE, legacyPipelines } from '../config/shapes';
import { jsonBlocks } from '../support/markdown-links';
import { formLayout, savedByForm } from './airbyte-rules';

type Node = Record<string, unknown>;
const spec = CONNECTION_SPECIFICATION as unknown as Node;
const ROOT = join(__dirname, '..', '..');
const NOW = new Date('2026-01-15T12:00:00Z');
const KEY = 'sk_test_form_save';

const PIPELINE_KEYS = Object.keys(
  CONNECTION_SPECIFICATION.properties.pipelines.items.properties,
).filter((key) => key !== 'name' && key !== 'description');

const isObject = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The configs a markdown file shows: whole configs as they are, and a pipeline or a
 * transformation shown on its own inside a config (with the file's Customer Model, if it shows
 * one), so what the form saves of it counts too.
 */
function configsIn(file: string): Array<{ where: string; config: Node }> {
  const blocks = jsonBlocks(readFileSync(join(ROOT, file), 'utf8')).map((block) => ({
    where: `${file} line ${block.line}`,
    json: JSON.parse(block.text) as unknown,
  }));
  const model = blocks
    .map(({ json }) => json)
    .find((json) => isObject(json) && json.customer_model);
  const modelOf = isObject(model) ? { customer_model: model.customer_model } : {};
  return blocks.flatMap(({ where, json }) => {
    if (!isObject(json)) return [];
    if ('pipelines' in json || 'customer_model' in json || 'api_key' in json) {
      return [{ where, config: { ...json, api_key: KEY } }];
    }
    if (typeof json.name === 'string' && PIPELINE_KEYS.some((key) => key in json)) {
      return [{ where, config: { api_key: KEY, pipelines: [json] } }];
    }
    if (['mapping', 'javascript', 'python'].includes(String(json.type))) {
      return [
        {
          where,
          config: { api_key: KEY, ...modelOf, pipelines: [{ name: 'p', transformation: json }] },
        },
      ];
    }
    return [];
  });
}

/** The config without the top-level fields the spec does not declare. */
function withoutUndeclared(config: Node): Node {
  const declared = new Set(Object.keys(CONNECTION_SPECIFICATION.properties));
  return Object.fromEntries(Object.entries(config).filter(([key]) => declared.has(key)));
}

/** What a config means to the connector: everything a run depends on. */
function meaning(config: ConnectorConfig) {
  return {
    pipelines: config.pipelines.map((pipeline) => ({
      name: pipeline.name,
      enabled: pipeline.enabled,
      incremental: pipeline.incremental,
      onError: pipeline.onError,
      schedule: pipeline.schedule,
      transformation: pipeline.transformation ?? null,
      pushDown: pipeline.filter.pushDown,
      matchesAll: pipeline.filter.matchesAll,
      fingerprint: pipeline.fingerprint,
    })),
    model: config.model?.properties ?? null,
    startDate: config.startDate ?? null,
    warnings: config.warnings,
  };
}

const docs = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const documented = docs.flatMap(configsIn);

describe('a save in Airbyte’s form, which keeps only the keys the spec declares', () => {
  it('finds the documentation’s configs, among them ones in the JSON shape of earlier versions', () => {
    expect(documented.length).toBeGreaterThanOrEqual(6);
    const shown = JSON.stringify(documented.map(({ config }) => config));
    expect(shown).toContain('"items"');
    expect(shown).toContain('"properties"');
    expect(shown).toContain('"filter"');
  });

  it.each(documented)('keeps what $where means', ({ config }) => {
    const saved = savedByForm(spec, config);
    // Fields of other tools (the standalone's `alerts`) are ignored by the connector anyway; the
    // save drops them, and with them only the warning that they were ignored.
    expect(meaning(parseConfig(saved, NOW))).toEqual(
      meaning(parseConfig(withoutUndeclared(config), NOW)),
    );
  });

  it('keeps a config in the JSON shape of earlier versions meaning what it meant', () => {
    for (const config of [
      { api_key: KEY, customer_model: LEGACY_MODEL, pipelines: legacyPipelines() },
      README_JSON_EXAMPLE,
    ]) {
      const saved = savedByForm(spec, config);
      expect(saved).toEqual(config);
      expect(meaning(parseConfig(saved, NOW))).toEqual(meaning(parseConfig(config, NOW)));
    }
  });

  it('drops what the spec does not declare, as the form does', () => {
    const saved = savedByForm(spec, {
      api_key: KEY,
      unknown: 1,
      pipelines: [
        {
          name: 'p',
          extra: true,
          transformation: { type: 'javascript', source: 'x', mappings: [] },
        },
      ],
      customer_model: [{ name: 'a', type: 'array', items: { type: 'string' }, other: 1 }],
    });
    expect(saved).toEqual({
      api_key: KEY,
      pipelines: [{ name: 'p', transformation: { type: 'javascript', source: 'x' } }],
      customer_model: [{ name: 'a', type: 'array', items: { type: 'string' } }],
    });
  });
});

describe('the form draws what users need without opening "Optional fields"', () => {
  it('the connection: the key, then the connected account, then the start date', () => {
    expect(formLayout(spec, 'connection')).toEqual({
      shown: ['api_key', 'account_id', 'start_date'],
      underOptionalFields: [],
    });
  });

  it('a pipeline: its filter (as rows or as JSON), transformation and what to do on errors', () => {
    const pipeline = CONNECTION_SPECIFICATION.properties.pipelines.items as unknown as Node;
    const { shown, underOptionalFields } = formLayout(pipeline);
    expect(shown).toEqual([
      'name',
      'incremental',
      'filter_match',
      'filter_conditions',
      'filter_json',
      'transformation',
      'on_error',
    ]);
    expect(underOptionalFields).toEqual(['description', 'enabled', 'schedule']);
  });
});
