/**
 * Transformations (pipeline config `transformation`): turn a Stripe customer into the record a
 * pipeline emits. `type` picks one:
 * - `mapping`: column <- expression, type-checked against the Stripe schema when the config is
 *   loaded (see `mapping.ts`).
 * - `javascript`: `function transform(customer) { ... }` in a QuickJS WebAssembly sandbox (see
 *   `javascript.ts`).
 * - `python`: `def transform(customer): ...` in Pyodide, in a locked-down child process (see
 *   `python.ts`).
 *
 * One rule for all three: a Transformer returns the RAW record (`{ kind: 'record' }`), a skip
 * (code returned null/None) or a per-customer error; it never converts to the Customer Model.
 * The pipeline then calls `model.convert(record)` on each record. (A mapping with a model still
 * checks at load time that each expression can produce its column's type, and its output has
 * exactly the model's columns, unmapped ones null. Code with a model must return exactly the
 * model's columns: a missing one is an error, as an extra one is; see code-results.ts.)
 *
 * Code transformations take `timeout_ms` (per customer, default 1000, at most 60000) and
 * `memory_limit_mb` (default 128, 16-2048). A customer that times out or exhausts memory gets an
 * error outcome; the next customers still run. Code that times out on STUCK_AFTER_TIMEOUTS
 * customers in a row is stuck: `transformBatch` then rejects with a DataError, whatever the
 * pipeline's `on_error` says (see sandbox-batches.ts).
 */
import { ConfigError } from '../errors';
import type { ConfigPath } from '../words';
import { isPlainObject } from '../util/is-plain-object';
import { isWholeNumberIn } from '../util/whole-number';
import { didYouMean, type CustomerModel } from '../model';
import { createJavaScriptTransformer } from './javascript';
import { requireColumns } from './code-results';
import { compileMapping, mappingColumnSchemas } from './mapping';
import type { JsonSchema } from '../stripe/customer-schema';
import { createPythonTransformer } from './python';
import {
  type CodeLimits,
  DEFAULT_MEMORY_LIMIT_MB,
  DEFAULT_TIMEOUT_MS,
  MAX_MEMORY_LIMIT_MB,
  MAX_TIMEOUT_MS,
  MIN_MEMORY_LIMIT_MB,
  type TransformationPlace,
  type Transformer,
} from './types';

export type {
  CodeLimits,
  TransformationPlace,
  TransformationSpec,
  TransformOutcome,
  Transformer,
} from './types';
export { FUNCTION_NAMES } from './expression/functions';

const TYPES = ['mapping', 'javascript', 'python'] as const;
const CODE_KEYS = ['type', 'source', 'timeout_ms', 'memory_limit_mb'];

/** Per code language: the sandbox that runs it, and the example its config errors show. */
const CODE_LANGUAGES = {
  javascript: {
    create: createJavaScriptTransformer,
    example: 'function transform(customer) { return { email: customer.email }; }',
  },
  python: {
    create: createPythonTransformer,
    example: 'def transform(customer):\n    return {"email": customer["email"]}',
  },
} as const;

function parseLimits(spec: Record<string, unknown>, at: ConfigPath): CodeLimits {
  const timeout = spec.timeout_ms ?? DEFAULT_TIMEOUT_MS;
  if (!isWholeNumberIn(timeout, 1, MAX_TIMEOUT_MS)) {
    throw new ConfigError({
      at: [...at, 'timeout_ms'],
      problem: `must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS} (the time each customer may take; default ${DEFAULT_TIMEOUT_MS})`,
    });
  }
  const memory = spec.memory_limit_mb ?? DEFAULT_MEMORY_LIMIT_MB;
  if (!isWholeNumberIn(memory, MIN_MEMORY_LIMIT_MB, MAX_MEMORY_LIMIT_MB)) {
    throw new ConfigError({
      at: [...at, 'memory_limit_mb'],
      problem: `must be a whole number from ${MIN_MEMORY_LIMIT_MB} to ${MAX_MEMORY_LIMIT_MB} (default ${DEFAULT_MEMORY_LIMIT_MB})`,
    });
  }
  return { timeoutMs: timeout, memoryLimitMb: memory };
}

function parseCodeSpec(
  spec: Record<string, unknown>,
  at: ConfigPath,
  example: string,
): { source: string; limits: CodeLimits } {
  for (const key of Object.keys(spec)) {
    if (!CODE_KEYS.includes(key)) {
      throw new ConfigError({
        at: [...at, key],
        problem: `unknown key "${key}"${didYouMean(key, CODE_KEYS)}`,
        fix: `a ${String(spec.type)} transformation takes ${CODE_KEYS.join(', ')}`,
      });
    }
  }
  const source = spec.source;
  if (typeof source !== 'string' || source.trim() === '') {
    throw new ConfigError({
      at: [...at, 'source'],
      problem: 'no code given',
      fix: `give the code as text, e.g. ${JSON.stringify(example)}`,
    });
  }
  return { source, limits: parseLimits(spec, at) };
}

/**
 * Validates the spec (syntax errors -> a ConfigError at `[...at, "source"]` naming the line)
 * and loads the sandbox once. Problems are placed under `place.at`.
 */
export async function createTransformer(
  spec: unknown,
  model: CustomerModel | undefined,
  place: TransformationPlace,
): Promise<Transformer> {
  try {
    return await create(spec, model, place);
  } catch (error) {
    throw error instanceof ConfigError && place.names ? error.named(place.names) : error;
  }
}

async function create(
  spec: unknown,
  model: CustomerModel | undefined,
  place: TransformationPlace,
): Promise<Transformer> {
  const { at } = place;
  if (!isPlainObject(spec)) {
    throw new ConfigError({
      at,
      problem: `must be an object with a "type" (${TYPES.join(', ')})`,
      fix: 'e.g. { "type": "mapping", "mappings": [...] }',
    });
  }
  const type = spec.type;
  switch (type) {
    case 'mapping':
      return compileMapping(spec, model, at);
    case 'javascript':
    case 'python': {
      const language = CODE_LANGUAGES[type];
      const { source, limits } = parseCodeSpec(spec, at, language.example);
      return requireColumns(await language.create(source, limits, place), model?.names);
    }
    default:
      throw new ConfigError({
        at: [...at, 'type'],
        problem:
          typeof type === 'string'
            ? `"${type}" is not a transformation type${didYouMean(type, TYPES)}`
            : 'missing (required)',
        fix: `use one of ${TYPES.map((t) => `"${t}"`).join(', ')}`,
      });
  }
}

/**
 * The typed columns of a transformation used without a Customer Model, for `discover`: a
 * mapping's `to` names with the types of their expressions. undefined for code transformations
 * (their columns are only known when they run) and for a mapping with config errors: `check`
 * and `read` report those when they load the transformation, per pipeline, so describing the
 * streams does not fail every stream over one pipeline's mistake.
 */
export function transformationColumns(
  spec: unknown,
  at: ConfigPath,
): Record<string, JsonSchema> | undefined {
  if (!isPlainObject(spec) || spec.type !== 'mapping') return undefined;
  try {
    return mappingColumnSchemas(spec, at);
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}
