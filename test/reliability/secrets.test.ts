import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { catalogFor, runCli, writeFiles, type CliRun } from '../support/connector';

/** Keys whose every fragment is recognisable, pushed through every error path. */
const CANARY_SECRET = 'sk_test_CanaryQ7x9LiveWire4242';
const CANARY_RESTRICTED = 'rk_test_CanaryR3stricted7373';
const CANARY_UNKNOWN = 'sk_test_CanaryUnknownKey5151';
// Fragments with letters: digits alone (a key's "4242") also turn up in timestamps and ids.
const FRAGMENTS = ['Canary', 'Q7x9', 'LiveWire', 'R3stricted', 'UnknownKey'];

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({
    customers: 120,
    seed: 4,
    apiKeys: [CANARY_SECRET],
    restrictedKeys: { [CANARY_RESTRICTED]: ['customers:read'] },
  });
});
afterAll(() => emulator.close());

const expectNoSecret = (run: CliRun) => {
  for (const fragment of FRAGMENTS) {
    expect(run.stdout, `stdout leaks "${fragment}"`).not.toContain(fragment);
    expect(run.stderr, `stderr leaks "${fragment}"`).not.toContain(fragment);
  }
};

const base = (key: string, extra: object = {}) => ({
  api_key: key,
  api_base_url: emulator.url,
  requests_per_second: 100,
  ...extra,
});

async function everyCommand(config: object | string, state?: unknown): Promise<CliRun[]> {
  const files = writeFiles({
    config,
    catalog: catalogFor([{ name: 'customers' }, { name: 'ghost' }]),
    ...(state ? { state } : {}),
  });
  const read = ['read', '--config', files.config as string, '--catalog', files.catalog as string];
  if (files.state) read.push('--state', files.state);
  return Promise.all([
    runCli(['check', '--config', files.config as string]),
    runCli(['discover', '--config', files.config as string]),
    runCli(read),
  ]);
}

describe('API keys never leave the process', () => {
  const cases: Array<[string, () => object | string, unknown?]> = [
    ['a key Stripe does not know (401)', () => base(CANARY_UNKNOWN)],
    ['a restricted key without Events: Read (403)', () => base(CANARY_RESTRICTED)],
    [
      'an unreachable API',
      () => ({ ...base(CANARY_SECRET, { max_attempts: 2 }), api_base_url: 'http://127.0.0.1:9' }),
    ],
    ['a malformed key', () => base(`${CANARY_SECRET} trailing`)],
    ['a key in the wrong field', () => ({ ...base(CANARY_SECRET), account_id: CANARY_SECRET })],
    [
      'an invalid filter',
      () =>
        base(CANARY_SECRET, {
          pipelines: [
            {
              name: 'customers',
              filter: {
                logical: 'all',
                conditions: [{ property: CANARY_SECRET, operator: 'is', values: [1] }],
              },
            },
          ],
        }),
    ],
    [
      'failing user code',
      () =>
        base(CANARY_SECRET, {
          pipelines: [
            {
              name: 'customers',
              transformation: {
                type: 'javascript',
                source: 'function transform(c) { throw new Error("boom " + c.id); }',
              },
            },
          ],
        }),
    ],
    ['a retry budget spent', () => base(CANARY_SECRET, { max_attempts: 2 })],
    [
      'a state it did not write',
      () => base(CANARY_SECRET),
      [
        {
          type: 'STREAM',
          stream: {
            stream_descriptor: { name: 'customers' },
            stream_state: { key: CANARY_SECRET },
          },
        },
      ],
    ],
    ['a successful read', () => base(CANARY_SECRET)],
    // JSON.parse's own message quotes the text where it stopped: here, the key.
    ['a config file that is not JSON', () => `{"api_key": ${CANARY_SECRET}}`],
  ];

  for (const [name, config, state] of cases) {
    it(`through ${name}`, async () => {
      if (name === 'a retry budget spent') emulator.setFaults({ failRate: 1 });
      try {
        for (const run of await everyCommand(config(), state)) expectNoSecret(run);
      } finally {
        emulator.setFaults({ failRate: 0 });
      }
    });
  }
});
