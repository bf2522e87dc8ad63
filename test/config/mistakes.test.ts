/**
 * Config mistakes are named instead of ignored or crashing: an unknown top-level field within a
 * typo of a known one is an error naming it, any other unknown field a warning every shell gets
 * (syncPipelines yields it first, checkConnection mentions it); structures nested past the
 * documented limit (20 levels: filter groups, model types, mapping expressions) are config
 * errors naming the place, however deep they go, never a stack overflow.
 */
import { describe, expect, it } from 'vitest';
import { namesIn } from '../../connector/words';
import {
  ConfigError,
  checkConnection,
  parseConfig,
  syncPipelines,
  type SyncEvent,
} from '../../connector';
import { createTransformer } from '../../connector/transform';
import { ScriptedStripe } from '../support/scripted-stripe';

const KEY = 'sk_test_mistakes';

const configError = (raw: Record<string, unknown>): string => {
  let caught: unknown;
  try {
    parseConfig({ api_key: KEY, ...raw });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return (caught as Error).message;
};

/** A filter whose groups nest `levels` deep, with one condition at the bottom. */
function nestedFilter(levels: number): Record<string, unknown> {
  let filter: Record<string, unknown> = { property: 'email', operator: 'is_not_empty' };
  for (let i = 0; i < levels; i++) filter = { logical: 'all', conditions: [filter] };
  return filter;
}

/** A model row whose array type nests `levels` deep (the row itself is one). */
function nestedRow(levels: number): Record<string, unknown> {
  let type: Record<string, unknown> = { type: 'string' };
  for (let i = 1; i < levels; i++) type = { type: 'array', items: type };
  return { name: 'deep', ...type };
}

describe('unknown top-level fields', () => {
  it.each([
    ['pipelnes', 'pipelines'],
    ['customer_modle', 'customer_model'],
    ['start_dat', 'start_date'],
    ['acount_id', 'account_id'],
  ])('%s is an error naming %s', (typo, meant) => {
    expect(configError({ [typo]: [] })).toBe(
      `${typo}: not a known field (did you mean "${meant}"?).`,
    );
  });

  it('is listed with the other problems of the config', () => {
    expect(configError({ pipelnes: [], concurrency: 0 })).toBe(
      'The config has 2 problems:\n- pipelnes: not a known field (did you mean "pipelines"?).\n- concurrency: must be >= 1.',
    );
  });

  it('far from every known field is a warning, yielded first by syncPipelines', async () => {
    const config = parseConfig({ api_key: KEY, notes: 'synced nightly', owner: 'data team' });
    const warnings = [
      "The config's `notes` is not a known field, so it is ignored: remove it, or check its spelling.",
      "The config's `owner` is not a known field, so it is ignored: remove it, or check its spelling.",
    ];
    expect(config.warnings).toEqual(warnings);
    const events: SyncEvent[] = [];
    for await (const event of syncPipelines(config, { stripe: new ScriptedStripe() })) {
      events.push(event);
    }
    expect(events.slice(0, 2)).toEqual(
      warnings.map((message) => ({ kind: 'log', level: 'WARN', message })),
    );
    expect(events.map((event) => event.kind)).toContain('pipeline_finished');
  });

  it('far from every known field is mentioned by checkConnection', async () => {
    const config = parseConfig({ api_key: KEY, notes: 'synced nightly' });
    const result = await checkConnection(config, new ScriptedStripe());
    expect(result.ok).toBe(true);
    expect(result.message).toMatch(
      /^Connected to Stripe .* The config's `notes` is not a known field, so it is ignored/,
    );
  });

  it('a config with only known fields has no warnings', () => {
    expect(parseConfig({ api_key: KEY, start_date: '2024-01-01' }).warnings).toEqual([]);
  });
});

describe('filters nested past 20 levels of groups', () => {
  const tooDeep =
    'pipelines[0] ("deep").filter: its groups nest more than 20 levels deep, the most a filter may. Flatten it (a group inside a group with the same "logical" can be merged into that group).';

  it('20 levels are accepted, 21 are not', () => {
    const config = parseConfig({
      api_key: KEY,
      pipelines: [{ name: 'deep', filter: nestedFilter(20) }],
    });
    expect(config.pipelines[0]?.filter.matches({ id: 'cus_1', email: 'a@b.c' })).toBe(true);
    expect(configError({ pipelines: [{ name: 'deep', filter: nestedFilter(21) }] })).toBe(tooDeep);
  });

  it.each([2_000, 100_000])(
    '%i levels in the JSON shape: a config error naming the pipeline',
    (levels) => {
      expect(configError({ pipelines: [{ name: 'deep', filter: nestedFilter(levels) }] })).toBe(
        tooDeep,
      );
    },
  );

  it.each([21, 2_000])('%i levels as JSON text, in filter_json or filter', (levels) => {
    const text = JSON.stringify(nestedFilter(levels));
    expect(configError({ pipelines: [{ name: 'deep', filter_json: text }] })).toBe(
      tooDeep.replace('filter:', 'filter_json:'),
    );
    expect(configError({ pipelines: [{ name: 'deep', filter: text }] })).toBe(tooDeep);
  });
});

describe('Customer Model types nested past 20 levels', () => {
  const tooDeep =
    'customer_model[1] ("deep"): its types nest more than 20 levels deep (arrays, maps and objects inside one another), the most the Customer Model allows. Use type "json" for the deeper part.';

  it('20 levels are accepted, 21 are not', () => {
    expect(
      parseConfig({ api_key: KEY, customer_model: [{ name: 'a', type: 'string' }, nestedRow(20)] })
        .model,
    ).toBeDefined();
    expect(configError({ customer_model: [{ name: 'a', type: 'string' }, nestedRow(21)] })).toBe(
      tooDeep,
    );
  });

  it.each([2_000, 100_000])(
    '%i levels in the JSON shape: a config error naming the row',
    (levels) => {
      expect(
        configError({ customer_model: [{ name: 'a', type: 'string' }, nestedRow(levels)] }),
      ).toBe(tooDeep);
    },
  );

  it('2,000 levels through nested_json', () => {
    const { name: _name, type: _type, ...nested } = nestedRow(2_000);
    expect(
      configError({
        customer_model: [
          { name: 'a', type: 'string' },
          { name: 'deep', type: 'array', nested_json: JSON.stringify(nested.items) },
        ],
      }),
    ).toBe(tooDeep);
  });
});

describe('mapping expressions nested past 20 levels', () => {
  const mapping = (from: string) =>
    createTransformer({ type: 'mapping', mappings: [{ to: 'email', from }] }, undefined, {
      at: ['pipelines', 0, 'transformation'],
      names: namesIn({ pipelines: [{ name: 'm' }] }),
    });

  it.each([21, 5_000])('%i nested calls: a config error naming the place', async (levels) => {
    const accepted = await mapping(`${'lower('.repeat(20)}email${')'.repeat(20)}`);
    expect(await accepted.transformBatch([{ id: 'cus_1', email: 'A@B.C' }])).toEqual([
      { kind: 'record', record: { email: 'a@b.c' } },
    ]);
    const from = `${'lower('.repeat(levels)}email${')'.repeat(levels)}`;
    await expect(mapping(from)).rejects.toThrow(
      /^pipelines\[0\] \("m"\)\.transformation\.mappings\[0\]\.from: at column 121: calls nest more than 20 levels deep here/,
    );
  });

  it('a JSONPath nesting brackets 5,000 deep is a config error', async () => {
    const from = `$[?(${'('.repeat(5_000)}@.email${')'.repeat(5_000)})]`;
    await expect(mapping(from)).rejects.toThrow(
      /mappings\[0\]\.from: at column \d+: the JSONPath nests brackets more than 20 levels deep/,
    );
  });
});

describe('anything else nested past any valid config', () => {
  it('is a config error naming where, not a stack overflow', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(configError({ notes: deep })).toBe(
      'notes[0][0]: nests more than 64 levels deep, deeper than any field of the config goes. Check what wrote it.',
    );
  });
});
