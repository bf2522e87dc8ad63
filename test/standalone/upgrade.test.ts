/**
 * Upgrades keep saved work: an unfinished full import staged under the fingerprint an earlier
 * version gave the pipeline (the whole Customer Model counted for every pipeline) is resumed, not
 * thrown away, when the pipeline has not changed.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../connector';
import { startEmulator } from '../emulator';
import { configFor, listAllCustomers, sdkFor } from '../support/stripe';
import { expectPassThroughEqual, pipelineReport } from './support/fixtures';
import { BACKENDS, syncCli, writeConfig } from './support/standalone';

describe('an upgrade', () => {
  it("resumes a full import staged under the pipeline's former fingerprint", async () => {
    const duckdb = BACKENDS.find((backend) => backend.name === 'DuckDB');
    const backend = await duckdb!.start();
    const warehouse = await backend.create();
    const slow = await startEmulator({ customers: 600, seed: 8, latencyMs: 400 });
    try {
      slow.advanceClock(3_600);
      const raw = configFor(slow, {
        concurrency: 1,
        pipelines: [{ name: 'customers' }],
        customer_model: [{ name: 'email', type: 'string' }],
      });
      const [pipeline] = parseConfig(raw).pipelines;
      const [former] = pipeline!.formerFingerprints;
      expect(
        former,
        'a pass-through pipeline beside a model had another fingerprint',
      ).toBeDefined();
      const args = ['--config', writeConfig(raw), '--destination', warehouse.url];
      const stopped = await syncCli(args, { stop: { after: /customers: started/, ms: 1_500 } });
      expect(stopped.exitCode, stopped.stderr).toBe(143);

      // As an earlier version left it: the same staged import, under the former fingerprint.
      const [saved] = await warehouse.query('SELECT staged_state FROM _stripe_sync_state');
      const state = JSON.parse(String(saved?.staged_state));
      expect(state.phase).toBe('full_import');
      const earlier = JSON.stringify({ ...state, fingerprint: former }).replace(/'/g, "''");
      await warehouse.query(
        `UPDATE _stripe_sync_state SET staged_state = '${earlier}', staged_fingerprint = '${former}'`,
      );

      slow.setFaults({ latencyMs: 0 });
      const resumed = await syncCli(args);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(pipelineReport(resumed, 'customers').notes.join(' ')).toMatch(
        /resumed the full import an earlier run left unfinished/,
      );
      expectPassThroughEqual(
        await warehouse.rows('customers'),
        await listAllCustomers(sdkFor(slow)),
        'customers',
      );
    } finally {
      await slow.close();
      await backend.stop();
    }
  });
});
