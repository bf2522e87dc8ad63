import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStandaloneConfig } from '../../standalone/config-file';
import { parseDestination } from '../../standalone/destination';
import { Scheduler, type FinishedRun } from '../../standalone/serve/scheduler';
import { Warehouse } from '../../standalone/warehouse';
import { until } from './support/serve-api';

/** A port nothing listens on: every request to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the scheduler', () => {
  it('says when a scheduled pipeline fails, and when it turns stale (twice its period without a success)', async () => {
    const loaded = parseStandaloneConfig(
      {
        api_key: 'sk_test_x',
        api_base_url: `http://127.0.0.1:${await closedPort()}`,
        max_attempts: 1,
        request_timeout_seconds: 1,
        // Every second: stale after two seconds without a success.
        pipelines: [{ name: 'every_second', schedule: '* * * * * *' }],
      },
      'v1',
      { path: 'config.json' },
    );
    const path = join(mkdtempSync(join(tmpdir(), 'scheduler-')), 'w.duckdb');
    const warehouse = await Warehouse.open(parseDestination(`duckdb:${path}`));
    const finished: FinishedRun[] = [];
    const stale: Array<{ pipeline: string; stale: boolean }> = [];
    const scheduler = new Scheduler(loaded, warehouse, {
      softDelete: false,
      timeZone: 'UTC',
      log: () => {},
      staleCheckMs: 200,
      hooks: {
        runFinished: (run) => finished.push(run),
        staleChanged: (pipeline, isStale) => stale.push({ pipeline, stale: isStale }),
      },
    });
    try {
      await scheduler.start();
      await until('a stale pipeline', async () => stale.length > 0, 30_000);
      expect(stale[0]).toEqual({ pipeline: 'every_second', stale: true });
      expect(finished[0]).toMatchObject({
        pipeline: 'every_second',
        trigger: 'schedule',
        recovered: false,
        report: { status: 'failed' },
      });
      const [view] = await scheduler.views();
      expect(view).toMatchObject({ stale: true, enabled: true });
      expect(view!.lastSuccess).toBeUndefined();
    } finally {
      await scheduler.stop();
      await warehouse.close();
    }
  });
});
