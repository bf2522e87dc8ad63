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
import { ConfigError } from '../errors';
import { clip, parseBatchOutput } from './code-results';
import { type InitStatus, PythonProcess } from './python/process';
import { oneBatchAtATime, runEachAlone } from './sandbox-batches';
import type { CodeLimits, TransformOutcome, Transformer } from './types';

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
    return runEachAlone(customers, runBatch);
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

  return oneBatchAtATime('Python', runBatch, async () => {
    await proc?.close();
    proc = undefined;
  });
}
