/**
 * What the benchmarks share: the emulator in a process of its own, driven through its admin
 * endpoints, and the built CLI's `read` measured from outside (records, state, peak RSS, CPU).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';

export const ROOT = join(__dirname, '..');

export interface ReadRun {
  seconds: number;
  records: number;
  /** Distinct customer ids among the records. */
  distinct: number;
  maxRssMb: number;
  cpuSeconds: number;
  state: unknown[];
  exitCode: number | null;
}

export interface EmulatorStats {
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  byEndpoint?: Record<string, { requests: number; rateLimited: number }>;
}

/** `npm run emulator` as a child process, driven through its admin endpoints. */
export class EmulatorProcess {
  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    readonly url: string,
  ) {}

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** The official SDK, talking to this emulator with the benchmark's live-mode key. */
  sdk(): Stripe {
    return new Stripe('sk_live_emulator', {
      host: '127.0.0.1',
      port: this.port,
      protocol: 'http',
      telemetry: false,
    });
  }

  static start(args: string[]): Promise<EmulatorProcess> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/emulator/main.ts'), '--port', '0', ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const match = /listening on (\S+)/.exec(out);
        if (match) resolve(new EmulatorProcess(child, match[1] as string));
      });
      child.on('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
    });
  }

  async admin(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(new URL(path, this.url), {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return response.json();
  }

  stats(): Promise<EmulatorStats> {
    return this.admin('GET', '/_emulator/stats') as Promise<EmulatorStats>;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

export function readOnce(config: string, catalog: string, state?: string): Promise<ReadRun> {
  return new Promise((resolve, reject) => {
    const args = [
      '--require',
      join(__dirname, 'max-rss.cjs'),
      join(ROOT, 'dist/cli/main.js'),
      'read',
      '--config',
      config,
      '--catalog',
      catalog,
    ];
    if (state) args.push('--state', state);
    const started = Date.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let records = 0;
    const ids = new Set<string>();
    let pending = '';
    let stderr = '';
    const states = new Map<string, unknown>();
    // Counting, not parsing: the reader must stay cheaper than the connector it measures.
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const text = pending + chunk;
      let start = 0;
      for (
        let end = text.indexOf('\n');
        end !== -1;
        start = end + 1, end = text.indexOf('\n', start)
      ) {
        if (text.startsWith('{"type":"RECORD"', start)) {
          records++;
          // The record's own id: the first `"id":"cus_` of its data.
          const at = text.indexOf('"id":"cus_', start);
          if (at !== -1 && at < end) ids.add(text.slice(at + 6, text.indexOf('"', at + 6)));
        } else if (text.startsWith('{"type":"STATE"', start)) {
          const message = JSON.parse(text.slice(start, end));
          states.set(message.state.stream.stream_descriptor.name, {
            type: 'STREAM',
            stream: message.state.stream,
          });
        } else if (text.startsWith('{"type":"TRACE","trace":{"type":"ERROR"', start)) {
          process.stderr.write(`${text.slice(start, end)}\n`);
        }
      }
      pending = text.slice(start);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const rss = /BENCH_MAX_RSS_KB=(\d+)/.exec(stderr);
      const cpu = /BENCH_CPU_MS=(\d+)/.exec(stderr);
      resolve({
        seconds: (Date.now() - started) / 1000,
        records,
        distinct: ids.size,
        maxRssMb: rss ? Number(rss[1]) / 1024 : NaN,
        cpuSeconds: cpu ? Number(cpu[1]) / 1000 : NaN,
        state: [...states.values()],
        exitCode,
      });
    });
  });
}

export function write(dir: string, name: string, content: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en');
export const pct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
