import type { ConfigPath, NameLookup } from '../words';

export type TransformationSpec =
  | { type: 'mapping'; mappings: Array<{ to: string; from: string }> }
  | { type: 'javascript'; source: string; timeout_ms?: number; memory_limit_mb?: number }
  | { type: 'python'; source: string; timeout_ms?: number; memory_limit_mb?: number };

export type TransformOutcome =
  | { kind: 'record'; record: Record<string, unknown> }
  | { kind: 'skip' }
  /** `timedOut`: the customer ran longer than `timeout_ms` and was stopped. */
  | { kind: 'error'; message: string; timedOut?: true };

export interface Transformer {
  /** One outcome per customer, in order. Never rejects for a single customer's failure. */
  transformBatch(customers: ReadonlyArray<Record<string, unknown>>): Promise<TransformOutcome[]>;
  /** Releases the sandbox. */
  close(): Promise<void>;
}

/** Limits of a code transformation, per customer. */
export interface CodeLimits {
  timeoutMs: number;
  memoryLimitMb: number;
}

export const DEFAULT_TIMEOUT_MS = 1000;
export const DEFAULT_MEMORY_LIMIT_MB = 128;
export const MAX_TIMEOUT_MS = 60_000;
export const MIN_MEMORY_LIMIT_MB = 16;
export const MAX_MEMORY_LIMIT_MB = 2048;

/** Where a transformation sits in the config, and the names of what its paths pass through. */
export interface TransformationPlace {
  /** The transformation's path, e.g. `["pipelines", 0, "transformation"]`. */
  at: ConfigPath;
  names?: NameLookup;
}
