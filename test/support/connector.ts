import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocolErrors } from './protocol-schema';

/** The built CLI, as the platform runs it (global-setup compiles it once per test run). */
export const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

export type Message = { type: string; [key: string]: any };

export interface CliRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  messages: Message[];
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Called with every parsed message as it arrives; return true to SIGKILL the process. */
  onMessage?: (message: Message, all: Message[]) => boolean | void;
  /** Send SIGTERM (instead of SIGKILL) when onMessage returns true. */
  gracefulStop?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the connector CLI as a subprocess, parses stdout line by line, and checks every line is
 * an Airbyte message that validates against the official protocol schema.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const messages: Message[] = [];
    let stdout = '';
    let stderr = '';
    let pending = '';
    let stopped = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        let message: Message;
        try {
          message = JSON.parse(line);
        } catch {
          reject(new Error(`stdout line is not JSON: ${line.slice(0, 200)}`));
          return;
        }
        let errors: string | undefined;
        try {
          errors = protocolErrors(message);
        } catch (error) {
          reject(error);
          return;
        }
        if (errors) {
          reject(
            new Error(
              `message does not validate against the protocol: ${line.slice(0, 300)}\n${errors}`,
            ),
          );
          return;
        }
        messages.push(message);
        if (!stopped && options.onMessage?.(message, messages)) {
          stopped = true;
          child.kill(options.gracefulStop ? 'SIGTERM' : 'SIGKILL');
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode, signal) =>
      resolve({ exitCode, signal, messages, stdout, stderr }),
    );
  });
}

/** Writes JSON files into a fresh temp folder and returns their paths. */
export function writeFiles(files: Record<string, unknown>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'stripe-customers-'));
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    paths[name] = path;
  }
  return paths;
}

export const ofType = (messages: Message[], type: string) =>
  messages.filter((m) => m.type === type);
export const records = (messages: Message[]) =>
  ofType(messages, 'RECORD').map((m) => m.record.data);
export const states = (messages: Message[]) => ofType(messages, 'STATE').map((m) => m.state);
export const lastState = (messages: Message[]) => states(messages).at(-1);
export const logs = (messages: Message[]) =>
  ofType(messages, 'LOG').map((m) => `${m.log.level} ${m.log.message}`);
export const traceErrors = (messages: Message[]) =>
  ofType(messages, 'TRACE')
    .filter((m) => m.trace.type === 'ERROR')
    .map((m) => m.trace.error);
export const streamStatuses = (messages: Message[]) =>
  ofType(messages, 'TRACE')
    .filter((m) => m.trace.type === 'STREAM_STATUS')
    .map((m) => `${m.trace.stream_status.stream_descriptor.name}:${m.trace.stream_status.status}`);

/** A configured catalog reading the given streams (all incremental + dedup by default). */
export function catalogFor(
  streams: Array<{ name: string; syncMode?: 'full_refresh' | 'incremental'; schema?: object }>,
) {
  return {
    streams: streams.map(({ name, syncMode = 'incremental', schema = {} }) => ({
      stream: { name, json_schema: schema, supported_sync_modes: ['full_refresh', 'incremental'] },
      sync_mode: syncMode,
      destination_sync_mode: syncMode === 'incremental' ? 'append_dedup' : 'overwrite',
    })),
  };
}

/** The state file the platform would pass back: the last STATE of each stream. */
export function stateFileFrom(messages: Message[]) {
  const byStream = new Map<string, Message>();
  for (const state of states(messages)) byStream.set(state.stream.stream_descriptor.name, state);
  return [...byStream.values()].map((state) => ({ type: 'STREAM', stream: state.stream }));
}

export interface ReadOptions extends CliOptions {
  /** The state file's content (what the platform passes back), if any. */
  state?: unknown;
  /** Streams of the configured catalog; default the one pipeline `customers`. */
  streams?: string[];
  syncMode?: 'full_refresh' | 'incremental';
}

/** `read` as the platform runs it: config, catalog and state written to files, then the CLI. */
export function readCli(config: object, options: ReadOptions = {}): Promise<CliRun> {
  const { state, streams = ['customers'], syncMode, ...cli } = options;
  const files = writeFiles({
    config,
    catalog: catalogFor(streams.map((name) => ({ name, syncMode }))),
    ...(state !== undefined ? { state } : {}),
  });
  const args = ['read', '--config', files.config as string, '--catalog', files.catalog as string];
  if (files.state) args.push('--state', files.state);
  return runCli(args, cli);
}
