/**
 * QuickJS compiled to WebAssembly, one instance per sandbox, each with a WebAssembly memory of
 * its own capped at `memory_limit_mb` plus headroom: QuickJS' heap limit does not see every
 * allocation, the cap on the memory does.
 */
import { readFile } from 'node:fs/promises';
import variant from '@jitl/quickjs-wasmfile-release-sync';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import type { CodeLimits } from '../types';

/** WebAssembly memory beyond memory_limit_mb: QuickJS' static data, C stack and batch text. */
const MEMORY_HEADROOM_MB = 16;
const PAGE = 65536;
const WASM32_MAX_PAGES = 32_768;

/** The bits of the WebAssembly API used here (@types/node 20 does not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
export interface WasmMemory {
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
export async function newModule(
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
