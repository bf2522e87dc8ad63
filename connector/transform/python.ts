/**
 * `python` transformations, run by Pyodide (CPython compiled to WebAssembly) loaded offline from
 * the `pyodide` npm package's own files (no CDN, no network).
 *
 * The source must define `def transform(customer):` returning a dict (the raw record) or None
 * (skip the customer). `import` is limited to a list of pure modules (json, re, datetime, math,
 * decimal, hashlib, ...); `open()` and the bridges to JavaScript (`js`, `pyodide_js`, `ctypes`)
 * are unavailable.
 *
 * Sandbox, from the inside out:
 * 1. Python guard rails (restricted builtins and imports; see python/driver.ts). Not a boundary
 *    on their own: Python code can always introspect its way around them.
 * 2. The JavaScript realm around the interpreter is empty: Pyodide's `js` module is an empty
 *    object and unregistered, `pyodide_js` is unregistered, and the worker's Node globals
 *    (`process`, `require`, `fetch`, `Buffer`, ...) are deleted before user code runs. Code
 *    generation from strings is disabled for the whole process
 *    (`--disallow-code-generation-from-strings`), so a JavaScript object reached from Python
 *    cannot be turned into `Function("return process")()`, `eval` or `import()`.
 * 3. A separate Node process with an empty environment, started with Node's permission model
 *    (`--permission`/`--experimental-permission`): it may read only the pyodide package files,
 *    write nothing, start no child processes and load no native addons.
 *
 * Limits: the interpreter runs in a worker thread of that process; its controller thread gives
 * every customer `timeout_ms`, then interrupts Python (KeyboardInterrupt through Pyodide's
 * interrupt buffer) and, if the code swallows that, terminates the worker and starts a fresh one
 * (about 2-3 s) for the next customers. The interpreter's WebAssembly memory may grow by at most
 * `memory_limit_mb` over what the loaded interpreter uses (about 30 MB): past that allocations
 * fail with MemoryError. A customer that crashes the interpreter gets an error; the others are
 * run again on a fresh one.
 *
 * Batches cross into the sandbox as one JSON string and come back as one JSON string.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../errors';
import { clip, parseBatchOutput } from './code-results';
import { PYTHON_DRIVER } from './python/driver';
import { CONTROLLER_SCRIPT, WORKER_SCRIPT } from './python/scripts';
import type { CodeLimits, TransformOutcome, Transformer } from './types';

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

type InitStatus =
  | { ok: true }
  | { error: 'syntax' | 'load'; line?: number | null; message: string }
  | { error: 'timeout' | 'missing' };

type FromChild =
  | { t: 'ready'; status: string }
  | { t: 'init_failed'; message: string }
  | { t: 'result'; id: number; json: string }
  | { t: 'error'; id: number; message: string };

/** The sandbox process: one per Python transformer (per pipeline and read). */
class PythonProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<
    number,
    { resolve: (json: string) => void; reject: (error: Error) => void }
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
      if (message.t === 'result') request.resolve(message.json);
      else request.reject(new Error(message.message));
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

  run(json: string): Promise<string> {
    if (this.exited) return Promise.reject(new Error('the Python sandbox process is not running'));
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
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

function statusError(
  status: InitStatus,
  limits: CodeLimits,
  prefix: string,
): ConfigError | undefined {
  if ('ok' in status) return undefined;
  switch (status.error) {
    case 'syntax':
    case 'load':
      return new ConfigError(
        `${prefix}.source${status.line ? ` line ${status.line}` : ''}: ${clip(status.message)}`,
      );
    case 'timeout':
      return new ConfigError(
        `${prefix}.source: the top-level code did not finish within timeout_ms (${limits.timeoutMs} ms); define transform(customer) and keep work inside it`,
      );
    case 'missing':
      return new ConfigError(
        `${prefix}.source: define a function named transform, e.g. "def transform(customer):\\n    return {\\"email\\": customer[\\"email\\"]}"`,
      );
  }
}

export async function createPythonTransformer(
  source: string,
  limits: CodeLimits,
  prefix: string,
): Promise<Transformer> {
  const started = await PythonProcess.start(source, limits);
  const problem = statusError(started.status, limits, prefix);
  if (problem) {
    await started.process.close();
    throw problem;
  }
  let proc: PythonProcess | undefined = started.process;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const ensure = async (): Promise<PythonProcess> => {
    if (proc?.alive) return proc;
    proc?.kill();
    proc = (await PythonProcess.start(source, limits)).process;
    return proc;
  };

  /** The process died under this batch: run each customer alone to find the one responsible. */
  const isolate = async (
    customers: ReadonlyArray<Record<string, unknown>>,
    why: string,
  ): Promise<TransformOutcome[]> => {
    if (customers.length === 1) return [{ kind: 'error', message: clip(why) }];
    const outcomes: TransformOutcome[] = [];
    for (const customer of customers) outcomes.push(...(await runBatch([customer])));
    return outcomes;
  };

  const runBatch = async (
    customers: ReadonlyArray<Record<string, unknown>>,
  ): Promise<TransformOutcome[]> => {
    const current = await ensure();
    let json: string;
    try {
      json = await current.run(JSON.stringify(customers));
    } catch (error) {
      return isolate(customers, error instanceof Error ? error.message : String(error));
    }
    const outcomes = parseBatchOutput(json, customers.length);
    return outcomes ?? isolate(customers, 'the Python sandbox returned an unexpected result');
  };

  return {
    transformBatch(customers) {
      if (closed) return Promise.reject(new Error('the Python transformer is closed'));
      if (customers.length === 0) return Promise.resolve([]);
      const result = queue.then(() => runBatch(customers));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      closed = true;
      await queue;
      await proc?.close();
      proc = undefined;
    },
  };
}
