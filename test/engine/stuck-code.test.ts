/**
 * Broken code costs seconds, in process against a scripted Stripe: a transformation that hangs
 * on every customer (an endless loop in JavaScript, a sleep in Python) stops the pipeline with a
 * data error after three customers in a row, whatever `on_error` says, instead of costing
 * `timeout_ms` for each of the account's customers.
 */
import { describe, expect, it } from 'vitest';
import { DataError } from '../../connector';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const CUSTOMERS = 300;
const TIMEOUT_MS = 500;

function account(): ScriptedStripe {
  const stripe = new ScriptedStripe();
  stripe.advance(-3_600);
  for (let i = 0; i < CUSTOMERS; i++) {
    stripe.create({ id: `cus_${String(i).padStart(4, '0')}` }, { silent: true });
    stripe.advance(1);
  }
  stripe.advance(3_600 - CUSTOMERS);
  return stripe;
}

async function runStuck(transformation: Record<string, unknown>) {
  const config = configWith({
    pipelines: [
      {
        name: 'stuck',
        transformation: { ...transformation, timeout_ms: TIMEOUT_MS },
        on_error: 'skip',
      },
    ],
  });
  const started = performance.now();
  const run = await runEngine(account(), config, { name: 'stuck', syncMode: 'full_refresh' });
  return { run, seconds: (performance.now() - started) / 1000 };
}

describe('a transformation stuck on every customer, with on_error: skip', () => {
  it('JavaScript for(;;){} stops the pipeline after 3 customers, in seconds', async () => {
    const { run, seconds } = await runStuck({
      type: 'javascript',
      source: 'function transform(c) { for (;;) {} }',
    });
    expect(run.failure).toBeInstanceOf(DataError);
    expect(run.failure?.message).toMatch(
      /^pipelines\[0\] \("stuck"\)\.transformation\.source: transform\(\) ran longer than `timeout_ms` \(500 ms\) for 3 customers in a row \(cus_0299, cus_0298, cus_0297\): .*whatever `on_error` says/,
    );
    expect(run.items).toEqual([]);
    expect(run.skipped).toEqual([]);
    // Three timeouts; 300 would take 150 s.
    expect(seconds).toBeLessThan(3 * (TIMEOUT_MS / 1000) + 5);
  });

  it('Python time.sleep(10**9) stops the pipeline after 3 customers, in seconds', async () => {
    const { run, seconds } = await runStuck({
      type: 'python',
      source: 'import time\n\ndef transform(c):\n    time.sleep(10**9)\n',
    });
    expect(run.failure).toBeInstanceOf(DataError);
    expect(run.failure?.message).toMatch(
      /transform\(\) ran longer than `timeout_ms` \(500 ms\) for 3 customers in a row \(cus_0299, cus_0298, cus_0297\)/,
    );
    expect(run.items).toEqual([]);
    // Loading Pyodide (a few seconds) and three timeouts.
    expect(seconds).toBeLessThan(3 * (TIMEOUT_MS / 1000) + 20);
  }, 60_000);
});
