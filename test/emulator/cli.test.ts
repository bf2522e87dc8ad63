/**
 * The emulator's CLI flags for Stripe's behaviours (`npm run emulator -- ...`), checked on a
 * subprocess through its admin endpoints and the API, as benchmarks and scripts drive it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from './index.js';

const KEY = 'sk_test_emulator';
const NOW = 1_760_000_000;

interface Started {
  child: ChildProcess;
  url: string;
}

const running: ChildProcess[] = [];

function launch(args: string[]): ChildProcess {
  const child = spawn('node_modules/.bin/tsx', ['test/emulator/main.ts', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  return child;
}

async function startCli(args: string[]): Promise<Started> {
  const child = launch(args);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
  return { child, url: line.slice('listening on '.length) };
}

async function failure(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = launch(args);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

const knobs = (url: string) =>
  fetch(`${url}/_emulator/faults`).then((r) => r.json() as Promise<Record<string, unknown>>);

describe('emulator CLI flags', () => {
  it('--stripe-limits and the data knobs show in /_emulator/faults and act on the API', async () => {
    const { url } = await startCli([
      '--customers',
      '30',
      '--stripe-limits',
      '--search-rate-limit',
      '15',
      '--rate-limit-retry-after',
      '1',
      '--event-delay-share',
      '0.3',
      '--event-delay-max-seconds',
      '90',
      '--search-lag-seconds',
      '60',
      '--previous-attributes-empty-as',
      'empty_string',
      '--event-api-version',
      '2019-09-09',
      '--webhook-url',
      'http://127.0.0.1:9/a',
      '--webhook-url',
      'https://hooks.example.com/b',
      '--webhook-secret',
      'whsec_cli',
      '--webhook-drop-share',
      '0.1',
      '--webhook-duplicate-share',
      '0.05',
      '--webhook-delay-max-ms',
      '2000',
      '--webhook-retry-scale',
      '0.001',
      '--customer-updated-for-related-changes',
    ]);
    expect(await knobs(url)).toEqual({
      latencyMs: 0,
      rateLimit: { live: 100, test: 25 },
      endpointRateLimit: 25,
      searchRateLimit: 15,
      stripeLimits: false,
      rateLimitRetryAfter: 1,
      failRate: 0,
      failNext: [],
      eventDelayShare: 0.3,
      eventDelayMaxSeconds: 90,
      searchLagSeconds: 60,
      previousAttributesEmptyAs: 'empty_string',
      eventApiVersion: '2019-09-09',
      webhookUrls: ['http://127.0.0.1:9/a', 'https://hooks.example.com/b'],
      webhookSecret: 'whsec_cli',
      webhookDropShare: 0.1,
      webhookDuplicateShare: 0.05,
      webhookDelayMaxMs: 2000,
      webhookRetryScale: 0.001,
      customerUpdatedForRelatedChanges: true,
      connectedAccountLimits: 'account_and_platform',
    });
    // Test mode's global 25/s answers a burst of 40, with Retry-After.
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        fetch(`${url}/v1/customers?limit=1`, { headers: { Authorization: `Bearer ${KEY}` } }),
      ),
    );
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((r) => r.headers.get('retry-after') === '1')).toBe(true);
    const stats = (await fetch(`${url}/_emulator/stats`).then((r) => r.json())) as {
      byEndpoint: Record<string, { requests: number; rateLimited: number }>;
    };
    expect(stats.byEndpoint['GET /v1/customers']).toEqual({
      requests: 40,
      rateLimited: limited.length,
    });
  });

  it('--connected-accounts N lists N accounts, --connected-account-limits account is a knob', async () => {
    const { url } = await startCli([
      '--customers',
      '3',
      '--connected-accounts',
      '4',
      '--connected-account-limits',
      'account',
    ]);
    expect(await knobs(url)).toMatchObject({ connectedAccountLimits: 'account' });
    const admin = (await fetch(`${url}/_emulator/accounts`).then((r) => r.json())) as {
      data: Array<{ id: string }>;
    };
    expect(admin.data).toHaveLength(4);
    const listed = (await fetch(`${url}/v1/accounts?limit=100`, {
      headers: { Authorization: `Bearer ${KEY}` },
    }).then((r) => r.json())) as { data: Array<{ id: string }> };
    expect(listed.data.map((account) => account.id)).toEqual(
      admin.data.map((account) => account.id),
    );
    const [first] = listed.data;
    const customers = (await fetch(`${url}/v1/customers?limit=100`, {
      headers: { Authorization: `Bearer ${KEY}`, 'Stripe-Account': first?.id ?? '' },
    }).then((r) => r.json())) as { data: unknown[] };
    expect(customers.data).toHaveLength(3);
  });

  it('--rate-limit takes one number or live=N,test=N', async () => {
    const perMode = await startCli(['--rate-limit', 'live=100,test=25']);
    expect(await knobs(perMode.url)).toMatchObject({
      rateLimit: { live: 100, test: 25 },
      endpointRateLimit: 0,
      searchRateLimit: 0,
    });
    const both = await startCli(['--rate-limit', '40']);
    expect(await knobs(both.url)).toMatchObject({ rateLimit: 40, endpointRateLimit: 0 });
  });

  it('--same-second-events oldest_first lists events of one second the other way round', async () => {
    const args = ['--customers', '3000', '--seed', '7', '--now', String(NOW)];
    const { url } = await startCli([...args, '--same-second-events', 'oldest_first']);
    const reference = await startEmulator({ customers: 3000, seed: 7, now: NOW });
    try {
      const page = async (base: string) => {
        const res = await fetch(`${base}/v1/events?limit=100`, {
          headers: { Authorization: `Bearer ${KEY}` },
        });
        return ((await res.json()) as { data: Array<{ id: string; created: number }> }).data;
      };
      const newestFirst = await page(reference.url);
      const oldestFirst = await page(url);
      // Same events per second; within a second the order is reversed.
      const bySecond = (events: Array<{ id: string; created: number }>) => {
        const groups = new Map<number, string[]>();
        for (const e of events) groups.set(e.created, [...(groups.get(e.created) ?? []), e.id]);
        return groups;
      };
      const a = bySecond(newestFirst);
      const b = bySecond(oldestFirst);
      const shared = [...a.entries()].filter(([, ids]) => ids.length > 1);
      expect(shared.length).toBeGreaterThan(0);
      for (const [second, ids] of shared) {
        // The page boundary may cut the oldest second short; compare whole seconds only.
        if (second === newestFirst[newestFirst.length - 1]!.created) continue;
        expect(b.get(second)).toEqual(ids.slice().reverse());
      }
    } finally {
      await reference.close();
    }
  });

  it('refuses bad values with exit code 2 and a message naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--rate-limit', 'fast'], /--rate-limit expects a number \(both modes\) or live=N,test=N/],
      [['--same-second-events', 'random'], /--same-second-events must be one of newest_first/],
      [['--event-delay-share', '1.5'], /eventDelayShare must be a number from 0 to 1/],
      [
        ['--webhook-secret', 'sk_test_x'],
        /webhookSecret must be a signing secret starting with whsec_/,
      ],
      [['--webhook-url', 'ftp://x'], /webhookUrls: "ftp:\/\/x" is not an http\(s\) URL/],
      [['--webhook-drop-share', '2'], /webhookDropShare must be a number from 0 to 1/],
    ];
    const outcomes = await Promise.all(cases.map(([args]) => failure(args)));
    outcomes.forEach(({ code, stderr }, i) => {
      const [args, message] = cases[i]!;
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    });
  });
});

describe('knob validation', () => {
  it('startEmulator refuses bad knobs with a TypeError naming the field', async () => {
    const cases: Array<[Parameters<typeof startEmulator>[0], RegExp]> = [
      [{ eventDelayShare: 2 }, /eventDelayShare must be a number from 0 to 1/],
      [{ eventDelayMaxSeconds: -5 }, /eventDelayMaxSeconds must be a number of seconds >= 0/],
      [{ searchLagSeconds: Number.NaN }, /searchLagSeconds must be a number of seconds >= 0/],
      [{ rateLimit: { live: -1 } }, /rateLimit.live must be a number >= 0/],
      [{ endpointRateLimit: -25 }, /endpointRateLimit must be a number >= 0/],
      [{ sameSecondEvents: 'random' as 'newest_first' }, /sameSecondEvents must be/],
      [
        { previousAttributesEmptyAs: 'undefined' as 'null' },
        /previousAttributesEmptyAs must be 'null' or 'empty_string'/,
      ],
      [{ webhookDuplicateShare: -0.1 }, /webhookDuplicateShare must be a number from 0 to 1/],
      [{ webhookDelayMaxMs: Number.NaN }, /webhookDelayMaxMs must be a number of milliseconds/],
      [{ webhookRetryScale: 0 }, /webhookRetryScale must be a number > 0/],
    ];
    for (const [options, message] of cases) {
      await expect(startEmulator(options)).rejects.toThrow(message);
    }
  });

  it('POST /_emulator/faults answers 400 for a bad field and changes nothing', async () => {
    const emu = await startEmulator({ customers: 1 });
    try {
      const post = (body: unknown) =>
        fetch(`${emu.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify(body) });
      const bad = await post({ searchLagSeconds: 30, eventDelayShare: 'most' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
        /eventDelayShare/,
      );
      expect(await knobs(emu.url)).toMatchObject({ searchLagSeconds: 0, eventDelayShare: 0 });
      const good = await post({ rateLimit: { test: 25 }, searchLagSeconds: 30 });
      expect(await good.json()).toMatchObject({
        rateLimit: { live: 0, test: 25 },
        searchLagSeconds: 30,
      });
    } finally {
      await emu.close();
    }
  });
});
