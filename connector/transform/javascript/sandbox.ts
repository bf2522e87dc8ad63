/**
 * One QuickJS sandbox: a WebAssembly instance (wasm-module.ts) with the driver (driver.ts) and
 * the user's source loaded, that runs a batch per call under the per-customer time limit.
 */
import { randomInt } from 'node:crypto';
import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import { ConfigError } from '../../errors';
import { field, words, type ConfigPath } from '../../words';
import { clip } from '../code-results';
import type { CodeLimits, TransformationPlace } from '../types';
import { driverSource } from './driver';
import { type WasmMemory, newModule } from './wasm-module';

const FILENAME = 'transform.js';
/**
 * QuickJS' own stack limit; small enough that deep recursion stops inside QuickJS ("stack
 * overflow", about 1,300 frames) before the WebAssembly frames exhaust Node's native stack.
 */
const MAX_STACK_BYTES = 256 * 1024;

/** A batch that died on one customer: the sandbox must be replaced. */
export interface SandboxFailure {
  /** Index (within the batch) of the customer being transformed, or the batch length when the failure came after all of them. */
  index: number;
  message: string;
  /** The customer ran longer than `timeout_ms`. */
  timedOut: boolean;
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
export class QuickJsSandbox {
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
  /** The interrupt handler stopped the code: the error it ends with is a timeout. */
  private interrupted = false;

  static async create(
    source: string,
    limits: CodeLimits,
    place: TransformationPlace,
  ): Promise<QuickJsSandbox> {
    const { module, memory } = await newModule(limits);
    return new QuickJsSandbox(module, memory, source, limits, place.at);
  }

  private constructor(
    module: QuickJSWASMModule,
    private readonly memory: WasmMemory,
    private readonly source: string,
    private readonly limits: CodeLimits,
    /** Where the transformation is in the config: its problems are placed there. */
    private readonly at: ConfigPath,
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
    // Once over time, the whole evaluation ends: the error it ends with is the timeout.
    if (!this.interrupted && this.overTime()) this.interrupted = true;
    return this.interrupted;
  }

  private overTime(): boolean {
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
    this.interrupted = false;
    let loaded;
    try {
      loaded = vm.evalCode(this.source, FILENAME, { type: 'global' });
    } catch (error) {
      throw new ConfigError({
        at: [...this.at, 'source'],
        problem: `the top-level code failed: ${String(error)}`,
      });
    } finally {
      this.deadline = Infinity;
    }
    if (loaded.error) {
      const { text, line } = this.describe(loaded.error);
      if (this.interrupted) {
        throw new ConfigError({
          at: [...this.at, 'source'],
          problem: words`the top-level code did not finish within ${field([...this.at, 'timeout_ms'])} (${this.limits.timeoutMs} ms)`,
          fix: 'define transform(customer) and keep work inside it',
        });
      }
      throw new ConfigError({
        at: [...this.at, 'source'],
        problem: line === undefined ? clip(text) : `line ${line}: ${clip(text)}`,
      });
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
      throw new ConfigError({
        at: [...this.at, 'source'],
        problem: 'no function named transform',
        fix: 'define one, e.g. "function transform(customer) { return { email: customer.email }; }"',
      });
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

  /** Runs the driver over a batch (JSON array text); returns its JSON output or throws a SandboxFailure. */
  run(input: string, count: number): string {
    const vm = this.vm;
    this.seenIndex = -2;
    // Safety net over the whole batch besides the per-customer limit.
    this.deadline = performance.now() + this.limits.timeoutMs * (count + 1);
    this.running = true;
    this.interrupted = false;
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
        timedOut: false,
        fatal: true,
      } satisfies SandboxFailure;
    } finally {
      this.running = false;
      this.deadline = Infinity;
    }
    if (result.error) {
      const index = this.progress();
      const { text } = this.describe(result.error);
      let message = clip(text);
      const timedOut = this.interrupted;
      if (timedOut) {
        message = `timed out: the transform ran longer than timeout_ms (${this.limits.timeoutMs} ms) and was stopped`;
      } else if (/out of memory/i.test(text)) {
        message = `ran out of memory: the sandbox is limited to memory_limit_mb (${this.limits.memoryLimitMb} MB)`;
      }
      throw {
        index: index < 0 ? count : index,
        message,
        timedOut,
        fatal: true,
      } satisfies SandboxFailure;
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

export const isSandboxFailure = (error: unknown): error is SandboxFailure =>
  typeof error === 'object' && error !== null && (error as SandboxFailure).fatal === true;
