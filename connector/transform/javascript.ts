/**
 * `javascript` transformations, run in QuickJS compiled to WebAssembly (quickjs-emscripten): a
 * separate JavaScript engine with its own heap, so user code has no way to reach Node's objects
 * (no process, require, import of host modules, timers, file system or network: the context is
 * created with QuickJS' plain intrinsics only and no host functions are installed in it).
 *
 * The source must define `transform(customer)` (a function declaration, or `const transform =
 * (c) => ...`), or evaluate to a function (a bare arrow function or function expression). It
 * returns a plain object (the raw record), or `null` to skip the customer; `undefined`, arrays,
 * Promises and other values are errors.
 *
 * Limits: each customer has `timeout_ms` (default 1000) of run time, enforced by QuickJS'
 * interrupt handler (uncatchable for user code). Memory: QuickJS' heap limit is
 * `memory_limit_mb` (default 128) and, because that limit does not see every allocation, each
 * sandbox is a QuickJS WebAssembly instance of its own whose memory cannot grow past
 * `memory_limit_mb` + 16 MB. QuickJS' stack is limited to 256 KB (about 1,300 nested calls) so
 * runaway recursion ends as a "stack overflow" error inside the sandbox. A customer that times
 * out or runs out of memory gets an error; the sandbox is then replaced (a new instance, the
 * source evaluated again) and the batch continues with the next customer.
 *
 * Customers go in as one JSON string per batch and results come back as one JSON string: one
 * sandbox crossing per batch, no host call per customer.
 */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import variant from '@jitl/quickjs-wasmfile-release-sync';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import { ConfigError } from '../errors';
import { clip, parseBatchOutput } from './code-results';
import type { CodeLimits, TransformOutcome, Transformer } from './types';

const FILENAME = 'transform.js';
/**
 * QuickJS' own stack limit; small enough that deep recursion stops inside QuickJS ("stack
 * overflow", about 1,300 frames) before the WebAssembly frames exhaust Node's native stack.
 */
const MAX_STACK_BYTES = 256 * 1024;
/** WebAssembly memory beyond memory_limit_mb: QuickJS' static data, C stack and batch text. */
const MEMORY_HEADROOM_MB = 16;
const PAGE = 65536;
const WASM32_MAX_PAGES = 32_768;

/** The bits of the WebAssembly API used here (@types/node 20 does not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiledWasm: Promise<object | undefined> | undefined;

/**
 * A QuickJS WebAssembly instance of its own, with its own memory capped at the limit (QuickJS'
 * malloc limit alone does not cover every allocation). A sandbox that times out or runs out of
 * memory is dropped whole (instance and memory) rather than disposed: QuickJS may abort when
 * freeing a runtime left inconsistent by an interrupted allocation.
 */
async function newModule(
  limits: CodeLimits,
): Promise<{ module: QuickJSWASMModule; memory: WasmMemory }> {
  // Compiled once per process. Where the package cannot be resolved (a bundle), emscripten
  // loads its .wasm file itself, next to its glue.
  compiledWasm ??= (async () => {
    try {
      const path = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
      return await wasm.compile(await readFile(path));
    } catch {
      return undefined;
    }
  })();
  const wasmModule = await compiledWasm;
  // QuickJS is built for 32-bit WebAssembly: its module declares at most 2 GB of memory, and a
  // larger maximum would fail to link. At the top of the range the heap limit is the cap alone.
  const maximumPages = Math.min(
    WASM32_MAX_PAGES,
    ((limits.memoryLimitMb + MEMORY_HEADROOM_MB) * 1024 * 1024) / PAGE,
  );
  const wasmMemory = new wasm.Memory({ initial: (16 * 1024 * 1024) / PAGE, maximum: maximumPages });
  const options = (wasmModule
    ? { wasmModule, wasmMemory }
    : { wasmMemory }) as unknown as Parameters<typeof newVariant>[1];
  return {
    module: await newQuickJSWASMModuleFromVariant(newVariant(variant, options)),
    memory: wasmMemory,
  };
}

/**
 * Trusted driver, evaluated before the user's code: it captures the intrinsics it uses so that
 * user code changing globals cannot break the batch protocol, and it is never stored where user
 * code can reach it (its completion value is kept by the host only).
 */
const driverSource = (magic: readonly [number, number]): string => `(function () {
  'use strict';
  // Progress slot the host reads from WebAssembly memory (found through the magic numbers):
  // [magic, magic, index of the customer being transformed, probe].
  const progress = new Int32Array(4);
  progress[0] = ${magic[0]};
  progress[1] = ${magic[1]};
  progress[2] = -1;
  const probe = () => progress[3];
  const parse = JSON.parse, stringify = JSON.stringify, isArray = Array.isArray;
  const PromiseCtor = Promise, StringCtor = String, exec = RegExp.prototype.exec;
  const linePattern = /transform\\.js:(\\d+)/;
  const describe = (e) => {
    try {
      if (e !== null && typeof e === 'object' && typeof e.message === 'string') {
        const name = typeof e.name === 'string' ? e.name : 'Error';
        const m = typeof e.stack === 'string' ? exec.call(linePattern, e.stack) : null;
        return name + ': ' + e.message + (m ? ' (line ' + m[1] + ')' : '');
      }
      return 'threw ' + StringCtor(e);
    } catch (_) {
      return 'threw a value that cannot be described';
    }
  };
  const kind = (v) => (v === null ? 'null' : isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : 'a ' + typeof v);
  const run = function run(transform, input) {
    const records = parse(input);
    const out = [];
    for (let i = 0; i < records.length; i++) {
      progress[2] = i;
      let result;
      try {
        result = transform(records[i]);
      } catch (e) {
        out[i] = stringify({ e: describe(e) });
        continue;
      }
      if (result === null) {
        out[i] = '{"s":1}';
      } else if (result === undefined) {
        out[i] = stringify({ e: 'transform returned undefined: return an object, or null to skip the customer' });
      } else if (result instanceof PromiseCtor || (typeof result === 'object' && typeof result.then === 'function')) {
        out[i] = stringify({ e: 'transform returned a Promise: transformations must be synchronous (no async/await)' });
      } else if (typeof result !== 'object' || isArray(result)) {
        out[i] = stringify({ e: 'transform returned ' + kind(result) + ': return a plain object (the record), or null to skip the customer' });
      } else {
        try {
          out[i] = '{"r":' + stringify(result) + '}';
        } catch (e) {
          out[i] = stringify({ e: 'the returned object cannot be converted to JSON: ' + describe(e) });
        }
      }
    }
    progress[2] = records.length;
    let joined = '[';
    for (let i = 0; i < out.length; i++) joined += (i ? ',' : '') + out[i];
    progress[2] = -1;
    return joined + ']';
  };
  return [run, probe];
})()`;

interface Failure {
  /** Index (within the batch) of the customer being transformed, or the batch length when the failure came after all of them. */
  index: number;
  message: string;
  /** The runtime must be recreated (timeout, out of memory, broken state). */
  fatal: true;
}

type Dumped = { name?: unknown; message?: unknown; stack?: unknown; lineNumber?: unknown };

function describeDumped(error: unknown): { text: string; line?: number } {
  if (error && typeof error === 'object') {
    const e = error as Dumped;
    const name = typeof e.name === 'string' ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : JSON.stringify(error);
    let line = typeof e.lineNumber === 'number' ? e.lineNumber : undefined;
    if (line === undefined && typeof e.stack === 'string') {
      const m = /transform\.js:(\d+)/.exec(e.stack);
      if (m) line = Number(m[1]);
    }
    return { text: `${name}: ${message}`, line };
  }
  return { text: String(error) };
}

/**
 * One QuickJS instance + runtime + context with the driver and the user's transform loaded.
 *
 * Time limit per customer without a host call per customer (a call into the host costs ~20 us,
 * as much as a whole small transform): the driver writes the index of the customer it is on into
 * an Int32Array; the host finds that array's bytes in the instance's WebAssembly memory once
 * (by two random marker values, confirmed by a probe), and QuickJS' interrupt handler, which it
 * calls every few thousand instructions, reads the index there and times each customer.
 */
class QuickJsSandbox {
  private readonly runtime: QuickJSRuntime;
  private readonly vm: QuickJSContext;
  private readonly handles: QuickJSHandle[] = [];
  private driver!: QuickJSHandle;
  private transform!: QuickJSHandle;
  /** Int32 index of the progress slot in the WebAssembly memory; -1 before it is located. */
  private slot = -1;
  private view: Int32Array;
  /** Index seen by the interrupt handler and when it first saw it. */
  private seenIndex = -2;
  private seenAt = 0;
  /** Hard stop (top-level code, whole batch). */
  private deadline = Infinity;
  private running = false;

  static async create(source: string, limits: CodeLimits, prefix: string): Promise<QuickJsSandbox> {
    const { module, memory } = await newModule(limits);
    return new QuickJsSandbox(module, memory, source, limits, prefix);
  }

  private constructor(
    module: QuickJSWASMModule,
    private readonly memory: WasmMemory,
    private readonly source: string,
    private readonly limits: CodeLimits,
    private readonly prefix: string,
  ) {
    this.view = new Int32Array(memory.buffer);
    this.runtime = module.newRuntime();
    this.runtime.setMemoryLimit(limits.memoryLimitMb * 1024 * 1024);
    this.runtime.setMaxStackSize(MAX_STACK_BYTES);
    this.runtime.setInterruptHandler(() => this.shouldInterrupt());
    this.vm = this.runtime.newContext();
    try {
      this.load();
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  private heap(): Int32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Int32Array(this.memory.buffer);
    return this.view;
  }

  /** The index the driver is on (-1: not in a batch). */
  private progress(): number {
    return this.slot < 0 ? -1 : (this.heap()[this.slot] ?? -1);
  }

  private shouldInterrupt(): boolean {
    const now = performance.now();
    if (now > this.deadline) return true;
    if (!this.running) return false;
    const index = this.progress();
    if (index !== this.seenIndex) {
      this.seenIndex = index;
      this.seenAt = now;
      return false;
    }
    return now - this.seenAt > this.limits.timeoutMs;
  }

  private keep(handle: QuickJSHandle): QuickJSHandle {
    this.handles.push(handle);
    return handle;
  }

  private describe(handle: QuickJSHandle): { text: string; line?: number } {
    try {
      const dumped: unknown = this.vm.dump(handle);
      return dumped === null ? { text: 'out of memory' } : describeDumped(dumped);
    } catch {
      return { text: 'the sandbox failed (the error could not be read, likely out of memory)' };
    } finally {
      if (handle.alive) handle.dispose();
    }
  }

  private load(): void {
    const vm = this.vm;
    const magic: [number, number] = [randomInt(1, 2 ** 31 - 1), -randomInt(1, 2 ** 31 - 1)];
    const loadedDriver = vm.evalCode(driverSource(magic), 'driver.js', {
      type: 'global',
      strict: true,
    });
    if (loadedDriver.error) {
      throw new Error(
        `the JavaScript sandbox driver failed to load: ${this.describe(loadedDriver.error).text}`,
      );
    }
    const pair = this.keep(loadedDriver.value);
    this.driver = this.keep(vm.getProp(pair, 0));
    const probe = this.keep(vm.getProp(pair, 1));
    this.locateProgress(magic, probe);

    this.deadline = performance.now() + this.limits.timeoutMs;
    let loaded;
    try {
      loaded = vm.evalCode(this.source, FILENAME, { type: 'global' });
    } catch (error) {
      throw new ConfigError(`${this.prefix}.source: the top-level code failed: ${String(error)}`);
    } finally {
      this.deadline = Infinity;
    }
    if (loaded.error) {
      const { text, line } = this.describe(loaded.error);
      if (/interrupted/.test(text)) {
        throw new ConfigError(
          `${this.prefix}.source: the top-level code did not finish within timeout_ms (${this.limits.timeoutMs} ms); define transform(customer) and keep work inside it`,
        );
      }
      throw new ConfigError(
        `${this.prefix}.source${line === undefined ? '' : ` line ${line}`}: ${clip(text)}`,
      );
    }
    const completion = this.keep(loaded.value);
    const lookup = vm.evalCode(
      'typeof transform === "function" ? transform : undefined',
      'lookup.js',
    );
    let transform: QuickJSHandle | undefined;
    if (lookup.error) {
      lookup.error.dispose();
    } else if (vm.typeof(lookup.value) === 'function') {
      transform = this.keep(lookup.value);
    } else {
      lookup.value.dispose();
    }
    if (!transform && vm.typeof(completion) === 'function') transform = completion;
    if (!transform) {
      throw new ConfigError(
        `${this.prefix}.source: define a function named transform, e.g. "function transform(customer) { return { email: customer.email }; }"`,
      );
    }
    this.transform = transform;
  }

  /** Finds the driver's progress array in memory: the marker pair, confirmed through the probe. */
  private locateProgress(magic: readonly [number, number], probe: QuickJSHandle): void {
    const heap = this.heap();
    for (let i = 0; i < heap.length - 3; i++) {
      if (heap[i] !== magic[0] || heap[i + 1] !== magic[1]) continue;
      const check = randomInt(1, 2 ** 31 - 1);
      heap[i + 3] = check;
      const answer = this.vm.callFunction(probe, this.vm.undefined);
      const value = answer.error ? undefined : this.vm.getNumber(answer.value);
      (answer.error ?? answer.value).dispose();
      if (value === check) {
        this.slot = i + 2;
        return;
      }
    }
    throw new Error('the JavaScript sandbox could not locate its progress marker');
  }

  /** Runs the driver over a batch (JSON array text); returns its JSON output or throws a Failure. */
  run(input: string, count: number): string {
    const vm = this.vm;
    this.seenIndex = -2;
    // Safety net over the whole batch besides the per-customer limit.
    this.deadline = performance.now() + this.limits.timeoutMs * (count + 1);
    this.running = true;
    let result;
    try {
      const inputHandle = vm.newString(input);
      try {
        result = vm.callFunction(this.driver, vm.undefined, this.transform, inputHandle);
      } finally {
        if (inputHandle.alive) inputHandle.dispose();
      }
    } catch (error) {
      // The engine itself failed (e.g. its memory is exhausted, or the native stack).
      const index = this.progress();
      throw {
        index: index < 0 ? count : index,
        message: `the JavaScript sandbox failed: ${clip(String(error))}`,
        fatal: true,
      } satisfies Failure;
    } finally {
      this.running = false;
      this.deadline = Infinity;
    }
    if (result.error) {
      const index = this.progress();
      const { text } = this.describe(result.error);
      let message = clip(text);
      if (/interrupted/.test(text)) {
        message = `timed out: the transform ran longer than timeout_ms (${this.limits.timeoutMs} ms) and was stopped`;
      } else if (/out of memory/i.test(text)) {
        message = `ran out of memory: the sandbox is limited to memory_limit_mb (${this.limits.memoryLimitMb} MB)`;
      }
      throw { index: index < 0 ? count : index, message, fatal: true } satisfies Failure;
    }
    const output = vm.getString(result.value);
    result.value.dispose();
    return output;
  }

  /**
   * Lets go of the sandbox. Nothing is freed inside QuickJS: the instance and its memory are
   * garbage once unreferenced, and freeing a runtime that user code left inconsistent (an
   * out-of-memory it caught itself, say) makes QuickJS abort.
   */
  dispose(): void {
    this.handles.length = 0;
  }
}

const isFailure = (error: unknown): error is Failure =>
  typeof error === 'object' && error !== null && (error as Failure).fatal === true;

export async function createJavaScriptTransformer(
  source: string,
  limits: CodeLimits,
  prefix: string,
): Promise<Transformer> {
  let sandbox: QuickJsSandbox | undefined = await QuickJsSandbox.create(source, limits, prefix);
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  /** Drops the current sandbox (without freeing: it may be inconsistent) and loads a new one. */
  const replace = async (): Promise<QuickJsSandbox> => {
    sandbox = await QuickJsSandbox.create(source, limits, prefix);
    return sandbox;
  };

  /**
   * Runs `customers` in one crossing; when the batch dies on one customer (timeout, memory),
   * that customer gets the error, the sandbox is replaced and the others are run again.
   */
  const runBatch = async (
    customers: ReadonlyArray<Record<string, unknown>>,
  ): Promise<TransformOutcome[]> => {
    if (customers.length === 0) return [];
    const current = sandbox ?? (await replace());
    let output: string;
    try {
      output = current.run(JSON.stringify(customers), customers.length);
    } catch (error) {
      if (!isFailure(error)) throw error;
      await replace();
      if (error.index >= customers.length) {
        // Failed after every transform returned (e.g. the joined output was too large): find
        // which customer by running each alone.
        if (customers.length === 1) return [{ kind: 'error', message: error.message }];
        const outcomes: TransformOutcome[] = [];
        for (const customer of customers) outcomes.push(...(await runBatch([customer])));
        return outcomes;
      }
      return [
        ...(await runBatch(customers.slice(0, error.index))),
        { kind: 'error', message: error.message },
        ...(await runBatch(customers.slice(error.index + 1))),
      ];
    }
    const outcomes = parseBatchOutput(output, customers.length);
    if (!outcomes) {
      await replace();
      if (customers.length === 1) {
        return [{ kind: 'error', message: 'the sandbox returned an unexpected result' }];
      }
      const isolated: TransformOutcome[] = [];
      for (const customer of customers) isolated.push(...(await runBatch([customer])));
      return isolated;
    }
    if (
      outcomes.some((o) => o.kind === 'error' && /out of memory|stack overflow/i.test(o.message))
    ) {
      await replace();
    }
    return outcomes;
  };

  return {
    transformBatch(customers) {
      if (closed) return Promise.reject(new Error('the JavaScript transformer is closed'));
      const result = queue.then(() => runBatch(customers));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      closed = true;
      await queue;
      sandbox?.dispose();
      sandbox = undefined;
    },
  };
}
