/**
 * Which definition changes re-import a pipeline, in process against a scripted Stripe: a
 * Customer Model change re-imports the pipelines with a transformation (their columns change)
 * unless only descriptions changed, never a pipeline without one; states saved by earlier
 * versions, whose fingerprints covered the whole model for every pipeline, stay valid.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const MODEL = [
  { name: 'email', type: 'string', description: 'Lower-cased' },
  { name: 'plan', type: 'string' },
];
const MAPPING = {
  type: 'mapping',
  mappings: [
    { to: 'email', from: 'lower(email)' },
    { to: 'plan', from: 'metadata.plan' },
  ],
};
const PIPELINES = [{ name: 'raw' }, { name: 'mapped', transformation: MAPPING }];

function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  stripe.advance(-3_600);
  for (let i = 0; i < 20; i++) {
    stripe.create(
      { id: `cus_${i}`, email: `C${i}@example.com`, metadata: { plan: 'pro' } },
      { silent: true },
    );
    stripe.advance(1);
  }
  stripe.advance(3_600 - 20);
  return stripe;
}

/** What the next run of `name` does with `state` under `model`: read changes, or import all. */
async function nextRun(
  stripe: ScriptedStripe,
  model: unknown[],
  name: string,
  state: PipelineState,
): Promise<'changes' | 'full_import'> {
  const run = await runEngine(stripe, configWith({ customer_model: model, pipelines: PIPELINES }), {
    name,
    state,
  });
  expect(run.failure).toBeUndefined();
  return run.summary?.mode === 'incremental' ? 'changes' : 'full_import';
}

/** The last state of a first run of `name` under `model`. */
async function firstState(
  stripe: ScriptedStripe,
  model: unknown[],
  name: string,
): Promise<PipelineState> {
  const run = await runEngine(stripe, configWith({ customer_model: model, pipelines: PIPELINES }), {
    name,
  });
  return run.states.at(-1) as PipelineState;
}

describe('a Customer Model change', () => {
  const withCountry = [...MODEL, { name: 'country', type: 'string' }];

  it('leaves a pipeline without a transformation reading changes only', async () => {
    const stripe = account();
    const state = await firstState(stripe, MODEL, 'raw');
    stripe.advance(30);
    expect(await nextRun(stripe, withCountry, 'raw', state)).toBe('changes');
    expect(await nextRun(stripe, [], 'raw', state)).toBe('changes');
  });

  it('re-imports a pipeline with a transformation for any change of its columns, not for a description', async () => {
    const changes: Array<[string, unknown[], unknown[]]> = [
      ['a property added', MODEL, withCountry],
      ['a property removed', withCountry, MODEL],
      ['a type changed', MODEL, [MODEL[0], { name: 'plan', type: 'json' }]],
      ['nullability changed', MODEL, [MODEL[0], { name: 'plan', type: 'string', nullable: false }]],
      ['the order changed', MODEL, [MODEL[1], MODEL[0]]],
      [
        'a description',
        MODEL,
        [MODEL[0], { name: 'plan', type: 'string', description: 'From metadata' }],
      ],
    ];
    const outcomes: Record<string, string> = {};
    for (const [change, before, after] of changes) {
      const stripe = account();
      const state = await firstState(stripe, before, 'mapped');
      stripe.advance(30);
      outcomes[change] = await nextRun(stripe, after, 'mapped', state);
    }
    expect(outcomes).toEqual({
      'a property added': 'full_import',
      'a property removed': 'full_import',
      'a type changed': 'full_import',
      'nullability changed': 'full_import',
      'the order changed': 'full_import',
      'a description': 'changes',
    });
  });
});

describe('states saved by earlier versions', () => {
  /**
   * What earlier versions wrote: filter, transformation, the whole model (as validated: the
   * spec's default `nullable: true` added to each row), start_date.
   */
  const formerFingerprint = (transformation: unknown) =>
    createHash('sha256')
      .update(
        JSON.stringify([
          null,
          transformation ?? null,
          MODEL.map((row) => ({ ...row, nullable: true })),
          null,
        ]),
      )
      .digest('hex')
      .slice(0, 16);

  it.each([
    ['raw', undefined],
    ['mapped', MAPPING],
  ])(
    '%s keeps reading changes after the upgrade, and saves the new fingerprint',
    async (name, transformation) => {
      const stripe = account();
      const current = await firstState(stripe, MODEL, name);
      const saved = { ...current, fingerprint: formerFingerprint(transformation) };
      expect(saved.fingerprint).not.toBe(current.fingerprint);
      stripe.advance(30);
      const run = await runEngine(
        stripe,
        configWith({ customer_model: MODEL, pipelines: PIPELINES }),
        {
          name,
          state: saved,
        },
      );
      expect(run.summary?.mode).toBe('incremental');
      expect(run.states.at(-1)?.fingerprint).toBe(current.fingerprint);
    },
  );
});
