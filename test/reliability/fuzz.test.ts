import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectorError, parseConfig, parsePipelineState } from '../../connector';
import { compileFilter } from '../../connector/filter';
import { createTransformer } from '../../connector/transform';
import { parseConfiguredCatalog, parseInputState } from '../../protocol/catalog';
import { ofType, runCli, writeFiles } from '../support/connector';

/** Either a result or a ConnectorError of kind `config`: never a crash of another kind. */
function resultOrConfigError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ConnectorError) || error.kind !== 'config') throw error;
    expect(error.message.length).toBeGreaterThan(10);
    expect(error.message).not.toMatch(/\n\s+at /);
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const operator = fc.constantFrom(
  'is',
  'is_not',
  'contains',
  'is_between',
  'is_before',
  'is_empty',
  'exists',
  'less_than',
  'nope',
);
const property = fc.oneof(
  fc.constantFrom(
    'email',
    'metadata.plan',
    'metadata["a.b"]',
    'created',
    'balance',
    'address.country',
    'preferred_locales',
    'delinquent',
  ),
  fc.string(),
);
const condition = fc.record(
  { property, operator, values: fc.array(jsonValue, { maxLength: 3 }) },
  { requiredKeys: [] },
);
const filter = fc.oneof(
  jsonValue,
  fc.record(
    {
      logical: fc.constantFrom('all', 'any', 'xor'),
      conditions: fc.array(
        fc.oneof(
          condition,
          fc.record({
            logical: fc.constant('any'),
            conditions: fc.array(condition, { maxLength: 2 }),
          }),
        ),
        { maxLength: 4 },
      ),
    },
    { requiredKeys: [] },
  ),
);
const customer = fc.dictionary(
  fc.constantFrom(
    'id',
    'email',
    'created',
    'balance',
    'metadata',
    'address',
    'preferred_locales',
    'delinquent',
  ),
  jsonValue,
);

describe('fuzzed input gets a result or a clear config error', () => {
  it('config', () => {
    const config = fc.oneof(
      jsonValue,
      fc.record(
        {
          api_key: fc.oneof(fc.constant('sk_test_abc'), fc.string(), jsonValue),
          start_date: fc.oneof(fc.constant('2024-01-01T00:00:00Z'), fc.string()),
          lookback_window_days: jsonValue,
          pipelines: fc.oneof(
            jsonValue,
            fc.array(
              fc.record(
                { name: fc.oneof(fc.constant('p'), fc.string()), filter, enabled: jsonValue },
                { requiredKeys: [] },
              ),
              { maxLength: 3 },
            ),
          ),
          customer_model: jsonValue,
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(config, (raw) => resultOrConfigError(() => parseConfig(raw))),
      { numRuns: 400 },
    );
  });

  it('state', () => {
    const blob = fc.oneof(
      jsonValue,
      fc.record(
        {
          version: fc.oneof(fc.constant(1), jsonValue),
          phase: fc.constantFrom('incremental', 'full_import', 'x'),
          events_cursor: fc.oneof(fc.integer(), jsonValue),
          remaining: jsonValue,
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(blob, (raw) => resultOrConfigError(() => parsePipelineState(raw, 'customers'))),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(jsonValue, (raw) => resultOrConfigError(() => parseInputState(raw))),
      { numRuns: 300 },
    );
  });

  it('catalog', () => {
    const catalog = fc.oneof(
      jsonValue,
      fc.record({
        streams: fc.array(
          fc.record(
            {
              stream: fc.record({ name: jsonValue }),
              sync_mode: fc.constantFrom('incremental', 'full_refresh', 'x'),
            },
            { requiredKeys: [] },
          ),
        ),
      }),
    );
    fc.assert(
      fc.property(catalog, (raw) => resultOrConfigError(() => parseConfiguredCatalog(raw))),
      { numRuns: 300 },
    );
  });

  it('filters compile or are rejected, and compiled ones never throw on any customer', () => {
    fc.assert(
      fc.property(filter, fc.array(customer, { maxLength: 5 }), (spec, customers) => {
        resultOrConfigError(() => {
          const compiled = compileFilter(spec, { now: new Date('2026-01-01T00:00:00Z') });
          for (const c of customers) expect(typeof compiled.matches(c)).toBe('boolean');
        });
      }),
      { numRuns: 500 },
    );
  });

  it('mapping expressions compile or are rejected, and compiled ones never throw on any customer', async () => {
    const expression = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'email',
        'lower(trim(email))',
        'coalesce(name, "x")',
        '$.address.country',
        'metadata["a b"]',
        'concat(',
        'map(preferred_locales, upper(item))',
        'substring(email, 0, 3)',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        expression,
        fc.array(customer, { maxLength: 4 }),
        async (from, customers) => {
          let transformer;
          try {
            transformer = await createTransformer(
              { type: 'mapping', mappings: [{ to: 'x', from }] },
              undefined,
              { at: ['fuzz', 'transformation'] },
            );
          } catch (error) {
            if (!(error instanceof ConnectorError) || error.kind !== 'config') throw error;
            return;
          }
          const outcomes = await transformer.transformBatch(customers);
          expect(outcomes).toHaveLength(customers.length);
          await transformer.close();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the CLI answers garbage with a message, never a stack trace', async () => {
    const samples = fc.sample(fc.oneof(jsonValue, fc.string()), { numRuns: 12, seed: 42 });
    for (const sample of samples) {
      const files = writeFiles({
        config: typeof sample === 'string' ? sample : sample,
        catalog: sample,
        state: sample,
      });
      for (const args of [
        ['check', '--config', files.config as string],
        [
          'read',
          '--config',
          files.config as string,
          '--catalog',
          files.catalog as string,
          '--state',
          files.state as string,
        ],
      ]) {
        const run = await runCli(args);
        expect(run.stderr).toBe('');
        expect(run.stdout).not.toMatch(/\n\s+at .*\.js:\d+/);
        expect(
          ofType(run.messages, 'CONNECTION_STATUS').length + ofType(run.messages, 'TRACE').length,
        ).toBeGreaterThan(0);
      }
    }
  });
});
