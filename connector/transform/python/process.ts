/**
 * The Python sandbox process (see ../python.ts for the layers around the interpreter): a Node
 * process started with the permission model and an empty environment, whose controller runs
 * Pyodide in a worker (scripts.ts) with the trusted driver (driver.ts). Batches cross its IPC
 * channel as JSON text.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CodeLimits } from '../types';
import { PYTHON_DRIVER } from './driver';
import { CONTROLLER_SCRIPT, WORKER_SCRIPT } from './scripts';

const START_TIMEOUT_MS = 120_000;

let pyodideDirectory: string | undefined;
function pyodideDir(): string {
  pyodideDirectory ??= realpathSync(dirname(require.resolve('pyodide/package.json')));
  return pyodideDirectory;
}

/** `--permission` from Node 22.13 / 23.5; `--experimental-permission` before. */
export function permissionFlags(readable: string): string[] {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const stable = major >= 24 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13);
  return [
    stable ? '--permission' : '--experimental-permission',
    `--allow-fs-read=${readable}/*`,
    '--allow-worker',
  ];
}

/** How loading the user's source went, as the driver reports it. */
export type InitStatus =
  | { ok: true }
  | { error: 'syntax' | 'load'; line?: number | null; message: string }
  | { error: 'timeout' | 'missing' };

/** How a batch came back: whole, or stopped on one customer (see python.ts). */
export type BatchAnswer =
  | { kind: 'done'; json: string }
  | {
      kind: 'stopped';
      /** The customer it stopped on; -1 when the sandbox could not say which. */
      index: number;
      message: string;
      timedOut: boolean;
      /** The outcomes of the customers before it (JSON), when the interpreter survived. */
      before?: string;
    };

/**
 * The sandbox could not go on after a customer stopped it: its interpreter did not restart
 * (`sandbox`), or the user's top-level code no longer loads as it did (`code`).
 */
export class SandboxRestartError extends Error {
  constructor(
    message: string,
    readonly blame: 'code' | 'sandbox',
  ) {
    super(message);
    this.name = 'SandboxRestartError';
  }
}

type FromChild =
  | { t: 'ready'; status: string }
  | { t: 'init_failed'; message: string }
  | { t: 'result'; id: number; json: string }
  | {
      t: 'stopped';
      id: number;
      index: number;
      message: string;
      timedOut: boolean;
      before?: string;
    }
  | { t: 'error'; id: number; message: string; blame: 'code' | 'sandbox' };

/** The sandbox process: one per Python transformer (per pipeline and read). */
export class PythonProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<
    number,
    { resolve: (answer: BatchAnswer) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  private stderr = '';
  private exited = false;
  private onReady?: (message: FromChild) => void;

  private constructor() {
    const dir = pyodideDir();
    this.child = spawn(
      process.execPath,
      [
        '--disallow-code-generation-from-strings',
        '--no-warnings',
        '--max-old-space-size=128',
        ...permissionFlags(dir),
        '-e',
        CONTROLLER_SCRIPT,
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: {}, serialization: 'json' },
    );
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-2000);
    });
    this.child.on('message', (message: FromChild) => {
      if (message.t === 'ready' || message.t === 'init_failed') {
        this.onReady?.(message);
        return;
      }
      const request = this.pending.get(message.id);
      if (!request) return;
      this.pending.delete(message.id);
      this.idle();
      if (message.t === 'result') request.resolve({ kind: 'done', json: message.json });
      else if (message.t === 'stopped') {
        request.resolve({
          kind: 'stopped',
          index: message.index,
          message: message.message,
          timedOut: message.timedOut,
          ...(message.before !== undefined ? { before: message.before } : {}),
        });
      } else request.reject(new SandboxRestartError(message.message, message.blame));
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      const why = `the Python sandbox process exited (${signal ?? `code ${code}`})${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      this.onReady?.({ t: 'init_failed', message: why });
      for (const request of this.pending.values()) request.reject(new Error(why));
      this.pending.clear();
    });
    this.child.on('error', () => {
      // 'exit' follows and reports it.
    });
  }

  /** Starts the process and loads the user's source; resolves with the load status. */
  static async start(
    source: string,
    limits: CodeLimits,
  ): Promise<{ process: PythonProcess; status: InitStatus }> {
    const proc = new PythonProcess();
    const message = await new Promise<FromChild>((resolve) => {
      const timer = setTimeout(
        () =>
          resolve({
            t: 'init_failed',
            message: `Pyodide did not load within ${START_TIMEOUT_MS / 1000} s`,
          }),
        START_TIMEOUT_MS,
      );
      proc.onReady = (m) => {
        clearTimeout(timer);
        proc.onReady = undefined;
        resolve(m);
      };
      proc.child.send({
        t: 'init',
        pyodideDir: pyodideDir(),
        source,
        timeoutMs: limits.timeoutMs,
        memoryLimitMb: limits.memoryLimitMb,
        driver: PYTHON_DRIVER,
        workerScript: WORKER_SCRIPT,
      });
    });
    if (message.t !== 'ready') {
      proc.kill();
      throw new Error(
        `the Python sandbox failed to start: ${message.t === 'init_failed' ? message.message : 'unexpected reply'}`,
      );
    }
    proc.idle();
    return { process: proc, status: JSON.parse(message.status) as InitStatus };
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Keeps the event loop alive only while a batch is in flight. */
  private busy(): void {
    this.child.ref();
    this.child.channel?.ref();
    (this.child.stderr as { ref?(): void } | null)?.ref?.();
  }
  private idle(): void {
    if (this.pending.size > 0) return;
    this.child.unref();
    this.child.channel?.unref();
    (this.child.stderr as { unref?(): void } | null)?.unref?.();
  }

  /**
   * Runs a batch (JSON text). Rejects with a SandboxRestartError when the sandbox cannot go on,
   * and with an Error when the process died under the batch.
   */
  run(json: string): Promise<BatchAnswer> {
    if (this.exited) return Promise.reject(new Error('the Python sandbox process is not running'));
    const id = this.nextId++;
    return new Promise<BatchAnswer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.busy();
      this.child.send({ t: 'batch', id, json });
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.ref();
    if (this.child.connected) this.child.send({ t: 'close' });
    const timer = setTimeout(() => this.kill(), 2000);
    await exited;
    clearTimeout(timer);
  }
}
