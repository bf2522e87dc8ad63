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
 * interrupt buffer) and, if the code swallows that or waits where Python does not look
 * (WebAssembly itself), terminates the worker and starts a fresh one (about 2-3 s) for the next
 * customers. `time.sleep` sleeps in short slices, so a sleeping customer is interrupted like a
 * busy one, without a restart. A customer that times out ends its batch there; the connector
 * runs the rest (sandbox-batches.ts), and stops the pipeline after STUCK_AFTER_TIMEOUTS timeouts
 * in a row. The interpreter's WebAssembly memory may grow by at most `memory_limit_mb` over what
 * the loaded interpreter uses (about 30 MB): past that allocations fail with MemoryError. A
 * customer that crashes the interpreter gets an error; the others are run again on a fresh one.
 *
 * Batches cross into the sandbox as one JSON string and come back as one JSON string.
 */
import { ConfigError, ConnectorError, DataError } from '../errors';
import { field, words, type ConfigPath } from '../words';
import { clip, parseBatchOutput } from './code-results';
import { type InitStatus, PythonProcess, SandboxRestartError } from './python/process';
import {
  type BatchAttempt,
  TimeoutStreak,
  oneBatchAtATime,
  transformInOrder,
} from './sandbox-batches';
import type { CodeLimits, TransformationPlace, Transformer } from './types';

function statusError(
  status: InitStatus,
  limits: CodeLimits,
  at: ConfigPath,
): ConfigError | undefined {
  if ('ok' in status) return undefined;
  const source = [...at, 'source'];
  switch (status.error) {
    case 'syntax':
    case 'load':
      return new ConfigError({
        at: source,
        problem: status.line
          ? `line ${status.line}: ${clip(status.message)}`
          : clip(status.message),
      });
    case 'timeout':
      return new ConfigError({
        at: source,
        problem: words`the top-level code did not finish within ${field([...at, 'timeout_ms'])} (${limits.timeoutMs} ms)`,
        fix: 'define transform(customer) and keep work inside it',
      });
    case 'missing':
      return new ConfigError({
        at: source,
        problem: 'no function named transform',
        fix: 'define one, e.g. "def transform(customer):\\n    return {\\"email\\": customer[\\"email\\"]}"',
      });
  }
}

export async function createPythonTransformer(
  source: string,
  limits: CodeLimits,
  place: TransformationPlace,
): Promise<Transformer> {
  const started = await PythonProcess.start(source, limits);
  const problem = statusError(started.status, limits, place.at);
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

  const attempt = async (
    customers: ReadonlyArray<Record<string, unknown>>,
  ): Promise<BatchAttempt> => {
    const current = await ensure();
    let answer;
    try {
      answer = await current.run(JSON.stringify(customers));
    } catch (error) {
      if (error instanceof SandboxRestartError) {
        const message = { at: [...place.at, 'source'], problem: error.message };
        const details = place.names ? { names: place.names } : {};
        throw error.blame === 'code'
          ? new DataError(message, details)
          : new ConnectorError('system', message, details);
      }
      // The process died under the batch, on a customer it cannot name.
      return {
        kind: 'stopped',
        index: -1,
        failure: {
          kind: 'error',
          message: clip(error instanceof Error ? error.message : String(error)),
        },
      };
    }
    if (answer.kind === 'stopped') {
      const before =
        answer.before === undefined ? undefined : parseBatchOutput(answer.before, answer.index);
      return {
        kind: 'stopped',
        index: answer.index,
        failure: {
          kind: 'error',
          message: clip(answer.message),
          ...(answer.timedOut ? { timedOut: true as const } : {}),
        },
        ...(before ? { before } : {}),
      };
    }
    const outcomes = parseBatchOutput(answer.json, customers.length);
    return outcomes
      ? { kind: 'done', outcomes }
      : {
          kind: 'stopped',
          index: -1,
          failure: { kind: 'error', message: 'the Python sandbox returned an unexpected result' },
        };
  };

  const streak = new TimeoutStreak(limits.timeoutMs, place);
  return oneBatchAtATime(
    'Python',
    (customers) => transformInOrder(customers, attempt, streak),
    async () => {
      await proc?.close();
      proc = undefined;
    },
  );
}
