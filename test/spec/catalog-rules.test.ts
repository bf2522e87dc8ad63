import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStreams, parseConfig } from '../../connector';
import { toAirbyteStream } from '../../protocol/catalog';
import { startEmulator, type RunningEmulator } from '../emulator';
import { ofType, runCli, writeFiles } from '../support/connector';
import { configFor } from '../support/stripe';
import {
  FORM_MODEL,
  LEGACY_MODEL,
  MAPPING,
  formPipelines,
  legacyPipelines,
} from '../config/shapes';
import {
  catalogTypes,
  catalogViolations,
  closedObjects,
  type CatalogStream,
} from './airbyte-rules';

const KEY = 'sk_test_catalog';

/** Every model type, nested the ways the model allows. */
const EVERY_TYPE_MODEL = [
  { name: 's', type: 'string', nullable: false },
  { name: 'i', type: 'integer' },
  { name: 'n', type: 'number' },
  { name: 'd', type: 'decimal', precision: 10, scale: 2 },
  { name: 'b', type: 'boolean' },
  { name: 'dt', type: 'datetime' },
  { name: 'da', type: 'date' },
  { name: 't', type: 'time' },
  { name: 'y', type: 'year' },
  { name: 'u', type: 'uuid' },
  { name: 'ip', type: 'ip' },
  { name: 'j', type: 'json' },
  { name: 'grid', type: 'array', items: { type: 'array', items: { type: 'boolean' } } },
  {
    name: 'addr',
    type: 'object',
    properties: [
      { name: 'city', type: 'string' },
      { name: 'geo', type: 'object', properties: [{ name: 'lat', type: 'number' }] },
    ],
  },
  { name: 'free', type: 'object' },
  {
    name: 'by_key',
    type: 'map',
    values: { type: 'object', properties: [{ name: 'n', type: 'integer' }] },
  },
];

/** A mapping without a model, over fields whose types the engine keeps richer than a catalog. */
const UNMODELLED_MAPPING = {
  type: 'mapping',
  mappings: [
    { to: 'email', from: 'lower(email)' },
    { to: 'source', from: 'default_source' },
    { to: 'clock', from: 'test_clock' },
    { to: 'meta', from: 'metadata' },
    { to: 'credit', from: 'invoice_credit_balance' },
    { to: 'fields', from: 'invoice_settings.custom_fields' },
    { to: 'coupon', from: 'discount.source.coupon' },
    { to: 'anything', from: 'json_parse(metadata.extra)' },
  ],
};

const streamsOf = (raw: unknown): CatalogStream[] =>
  describeStreams(parseConfig(raw)).map(toAirbyteStream) as unknown as CatalogStream[];

describe("discovered stream schemas follow Airbyte's catalog rules", () => {
  it.each([
    ['the default pass-through stream', { api_key: KEY }],
    [
      'mapped and unmapped pipelines without a Customer Model',
      {
        api_key: KEY,
        pipelines: [
          { name: 'raw' },
          { name: 'mapped', transformation: UNMODELLED_MAPPING },
          {
            name: 'js',
            transformation: { type: 'javascript', source: '(c) => ({ id: c.id })' },
          },
          {
            name: 'py',
            transformation: { type: 'python', source: 'def transform(c):\n  return c' },
          },
          { name: 'off', enabled: false, transformation: UNMODELLED_MAPPING },
        ],
      },
    ],
    [
      'mapped and unmapped pipelines with a Customer Model (JSON shape)',
      { api_key: KEY, customer_model: LEGACY_MODEL, pipelines: legacyPipelines() },
    ],
    [
      'mapped and unmapped pipelines with a Customer Model (form shape)',
      { api_key: KEY, customer_model: FORM_MODEL, pipelines: formPipelines() },
    ],
    [
      'every model type',
      {
        api_key: KEY,
        customer_model: EVERY_TYPE_MODEL,
        pipelines: [
          { name: 'raw' },
          {
            name: 'mapped',
            transformation: { type: 'mapping', mappings: [{ to: 's', from: 'id' }] },
          },
          { name: 'js', transformation: { type: 'javascript', source: '(c) => ({ s: c.id })' } },
        ],
      },
    ],
  ])('%s', (_name, config) => {
    const streams = streamsOf(config);
    expect(catalogViolations(streams)).toEqual([]);
    expect(streams.length).toBeGreaterThan(0);
  });

  it('publishes the same columns and types as before, only opened up', () => {
    const [raw, mapped] = streamsOf({
      api_key: KEY,
      customer_model: EVERY_TYPE_MODEL,
      pipelines: [
        { name: 'raw' },
        {
          name: 'mapped',
          transformation: { type: 'mapping', mappings: [{ to: 's', from: 'id' }] },
        },
      ],
    });
    const properties = mapped!.json_schema.properties as Record<string, any>;
    expect(properties.d).toEqual({ type: ['null', 'number'] });
    expect(properties.dt).toMatchObject({ type: ['null', 'string'], format: 'date-time' });
    expect(properties.grid).toEqual({
      type: ['null', 'array'],
      items: { type: 'array', items: { type: 'boolean' } },
    });
    expect(properties.addr).toEqual({
      type: ['null', 'object'],
      additionalProperties: true,
      properties: {
        city: { type: ['null', 'string'] },
        geo: {
          type: ['null', 'object'],
          additionalProperties: true,
          properties: { lat: { type: ['null', 'number'] } },
        },
      },
    });
    // A map keeps no value type in the catalog: any keys, any values.
    expect(properties.by_key).toEqual({ type: ['null', 'object'], additionalProperties: true });
    expect(properties.j).toEqual({});
    expect(mapped!.json_schema.required).toEqual(['_stripe_id']);
    const stripe = raw!.json_schema.properties as Record<string, any>;
    // Expandable fields are the ID: the connector never asks Stripe to expand them.
    expect(stripe.default_source.type).toEqual(['null', 'string']);
    expect(stripe.metadata).toMatchObject({ type: ['null', 'object'], additionalProperties: true });
    expect(stripe.address.properties.country).toMatchObject({ type: ['null', 'string'] });
  });

  it('the rules catch what the engine’s own schemas say and a catalog must not', () => {
    const closed = {
      type: 'object',
      properties: { a: { type: 'string' } },
      additionalProperties: false,
    };
    expect(closedObjects(closed)).toHaveLength(1);
    expect(
      catalogTypes({ type: 'object', properties: { id: { type: ['null', 'string', 'object'] } } }),
    ).toHaveLength(1);
    expect(
      catalogViolations([
        {
          name: 's',
          json_schema: { type: 'object', properties: { a: { type: 'string' } } },
          supported_sync_modes: [],
          default_cursor_field: ['updated'],
          source_defined_primary_key: [['id']],
        },
        {
          name: 's',
          json_schema: { type: 'object', properties: { id: { type: 'object' } } },
          source_defined_primary_key: [['id']],
        },
      ]),
    ).toEqual([
      'stream "s" twice',
      's: supported_sync_modes is empty',
      's: cursor updated is not in the schema',
      's: primary key id is not in the schema',
      's: supported_sync_modes is empty',
      's: primary key id is an object or array',
    ]);
  });
});

describe('`discover` as Airbyte runs it', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ customers: 5, seed: 3 });
  });
  afterAll(() => emulator.close());

  it('prints a catalog that follows the rules, for a form-shaped config with a model', async () => {
    const files = writeFiles({
      config: configFor(emulator, {
        customer_model: FORM_MODEL,
        pipelines: [
          ...formPipelines(),
          {
            name: 'code',
            transformation: { type: 'javascript', source: '(c) => ({ email: c.email })' },
          },
          {
            name: 'unmodelled',
            transformation: { ...MAPPING, mappings: MAPPING.mappings.slice(0, 2) },
          },
        ],
      }),
    });
    const run = await runCli(['discover', '--config', files.config as string]);
    expect(run.exitCode).toBe(0);
    const [catalog] = ofType(run.messages, 'CATALOG');
    const streams = catalog?.catalog.streams as CatalogStream[];
    expect(streams.map((s) => s.name)).toEqual(['nested', 'flat', 'raw', 'code', 'unmodelled']);
    expect(catalogViolations(streams)).toEqual([]);
  });
});
