/**
 * Pages read for selective filters, with push-down (created ranges and email to the list, or the
 * Search API) against without it (every page, filtered locally: what a connector without
 * push-down reads for any filter). Same selected customers either way.
 */
import { parseConfig, syncPipelines } from '../connector';
import { startEmulator, type RunningEmulator } from '../test/emulator';

interface Scenario {
  name: string;
  filter?: unknown;
  useSearchApi?: boolean;
}

export async function benchPushDown(customers: number): Promise<Array<[string, string]>> {
  const emulator = await startEmulator({ customers, seed: 5 });
  emulator.advanceClock(3_600);
  try {
    const newest = emulator.now() - 3_600;
    const all = await read(emulator, { name: 'no filter' });
    const scenarios: Scenario[] = [
      {
        name: 'created in the last 60 days (list created[gte])',
        filter: {
          logical: 'all',
          conditions: [
            { property: 'created', operator: 'is_after', values: [newest - 60 * 86_400] },
          ],
        },
      },
      {
        name: 'one exact email (list email=)',
        filter: {
          logical: 'all',
          conditions: [
            { property: 'email', operator: 'is', values: [all.sampleEmail], case_sensitive: true },
          ],
        },
      },
      {
        name: "metadata plan 'enterprise' (Search API)",
        useSearchApi: true,
        filter: {
          logical: 'all',
          conditions: [
            {
              property: 'metadata.plan',
              operator: 'is',
              values: ['enterprise'],
              case_sensitive: true,
            },
          ],
        },
      },
    ];
    const rows: Array<[string, string]> = [];
    for (const scenario of scenarios) {
      const result = await read(emulator, scenario);
      rows.push([
        `push-down: ${scenario.name}`,
        `${result.records} customers, ${result.requests} requests with push-down vs ${all.requests} without`,
      ]);
    }
    return rows;
  } finally {
    await emulator.close();
  }
}

async function read(emulator: RunningEmulator, scenario: Scenario) {
  const config = parseConfig({
    api_key: 'sk_test_emulator',
    api_base_url: emulator.url,
    requests_per_second: 100,
    max_share_of_rate_limits: 1,
    concurrency: 1,
    use_search_api: scenario.useSearchApi ?? false,
    pipelines: [{ name: 'bench', ...(scenario.filter ? { filter: scenario.filter } : {}) }],
  });
  emulator.resetStats();
  let records = 0;
  let sampleEmail = '';
  for await (const event of syncPipelines(config, {
    pipelines: [{ name: 'bench', syncMode: 'full_refresh' }],
  })) {
    if (event.kind === 'pipeline_failed') throw event.error;
    if (event.kind !== 'records') continue;
    records += event.items.length;
    sampleEmail ||= String(event.items.find((item) => item.record.email)?.record.email ?? '');
  }
  return { records, requests: emulator.stats().requests, sampleEmail };
}
