/**
 * Dense accounts (`dense` / `--dense`): bulk imports put up to thousands of customers in one
 * second with some seconds of an import empty, bulk updates put hundreds or thousands of events in
 * one second; the default account stays sparse and seeds exactly as before.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from './index.js';

const KEY = 'sk_test_emulator';
const NOW = 1_760_000_000;

/** Every item of a list endpoint, page after page. */
async function listAll(url: string, path: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let after: string | undefined;
  for (;;) {
    const query = `limit=100${after ? `&starting_after=${after}` : ''}`;
    const page = (await fetch(`${url}${path}${path.includes('?') ? '&' : '?'}${query}`, {
      headers: { Authorization: `Bearer ${KEY}` },
    }).then((r) => r.json())) as { data: Array<Record<string, unknown>>; has_more: boolean };
    items.push(...page.data);
    if (!page.has_more) return items;
    after = String(page.data.at(-1)?.id);
  }
}

function perSecond(items: Array<Record<string, unknown>>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const item of items) {
    const second = item.created as number;
    counts.set(second, (counts.get(second) ?? 0) + 1);
  }
  return counts;
}

const busiest = (counts: Map<number, number>) => Math.max(...counts.values());

describe('dense accounts', () => {
  it('put thousands of customers in one second, with empty seconds inside an import', async () => {
    const emulator = await startEmulator({ customers: 10_000, seed: 5, now: NOW, dense: true });
    try {
      const customers = await listAll(emulator.url, '/v1/customers');
      expect(customers).toHaveLength(10_000);
      expect(new Set(customers.map((customer) => customer.id)).size).toBe(10_000);
      const seconds = perSecond(customers);
      expect(busiest(seconds)).toBeGreaterThanOrEqual(1_000);
      // Half the customers came in bulk: a few hundred seconds hold them all.
      const bulkSeconds = [...seconds].filter(([, count]) => count > 10).map(([second]) => second);
      expect(bulkSeconds.length).toBeLessThan(100);
      // Within an import, some seconds stay empty (the importer paused).
      const sorted = bulkSeconds.sort((a, b) => a - b);
      const gaps = sorted.slice(1).filter((second, i) => second - sorted[i]! === 2);
      expect(gaps.length).toBeGreaterThan(0);
      // Bulk updates: hundreds of customer.updated events in one second.
      const events = await listAll(emulator.url, '/v1/events?type=customer.updated');
      expect(busiest(perSecond(events))).toBeGreaterThanOrEqual(100);
    } finally {
      await emulator.close();
    }
  });

  it('stay sparse by default, seeded exactly as without the knob', async () => {
    const sparse = await startEmulator({ customers: 3_000, seed: 5, now: NOW });
    const off = await startEmulator({ customers: 3_000, seed: 5, now: NOW, dense: false });
    try {
      const customers = await listAll(sparse.url, '/v1/customers');
      expect(busiest(perSecond(customers))).toBeLessThan(10);
      expect(await listAll(off.url, '/v1/customers')).toEqual(customers);
    } finally {
      await sparse.close();
      await off.close();
    }
  });

  it('take their numbers from the knob', async () => {
    const emulator = await startEmulator({
      customers: 2_000,
      seed: 9,
      now: NOW,
      dense: { bulkImportShare: 1, perSecond: 50 },
    });
    try {
      const seconds = perSecond(await listAll(emulator.url, '/v1/customers'));
      expect(busiest(seconds)).toBeLessThanOrEqual(50);
      expect(seconds.size).toBeLessThan(2_000 / 10);
    } finally {
      await emulator.close();
    }
    await expect(startEmulator({ dense: { perSecond: 0 } })).rejects.toThrow(
      /dense.perSecond must be a whole number >= 1/,
    );
    await expect(startEmulator({ dense: { bulkImportShare: 2 } })).rejects.toThrow(
      /dense.bulkImportShare must be a number from 0 to 1/,
    );
  });
});

describe('--dense', () => {
  const running: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of running.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
  const launch = (args: string[]) => {
    const child = spawn(
      'node_modules/.bin/tsx',
      ['test/emulator/main.ts', '--port', '0', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    running.push(child);
    return child;
  };
  const start = async (args: string[]) => {
    const child = launch(args);
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    });
    return line.slice('listening on '.length);
  };

  it('alone takes the preset, with NAME=NUMBER pairs changes it, and refuses anything else', async () => {
    const common = ['--customers', '2000', '--seed', '9', '--now', String(NOW)];
    const [preset, tuned] = await Promise.all([
      start([...common, '--dense']),
      start(['--dense', 'bulkImportShare=1,perSecond=50', ...common]),
    ]);
    expect(busiest(perSecond(await listAll(preset, '/v1/customers')))).toBeGreaterThan(50);
    expect(busiest(perSecond(await listAll(tuned, '/v1/customers')))).toBeLessThanOrEqual(50);

    const bad = launch(['--dense', 'perSecnd=5']);
    let stderr = '';
    bad.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => bad.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--dense expects NAME=NUMBER pairs with NAME one of bulkImportShare/);
  });
});
