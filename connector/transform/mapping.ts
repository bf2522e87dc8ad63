/**
 * `mapping` transformations: each model column gets an expression over the Stripe customer.
 *
 * ```json
 * { "type": "mapping", "mappings": [
 *     { "to": "email", "from": "lower(trim(email))" },
 *     { "to": "city", "from": "address.city" },
 *     { "to": "source", "from": "metadata[\"signup.source\"]" },
 *     { "to": "country", "from": "$.address.country" },
 *     { "to": "name", "from": "coalesce(name, concat(metadata.first, \" \", metadata.last))" },
 *     { "to": "locales", "from": "map(preferred_locales, upper(item))" } ] }
 * ```
 *
 * `from` is one expression:
 * - a path: `email`, `address.city`, `metadata.plan` (any metadata key is text),
 *   `metadata["signup.source"]`, `invoice_settings.custom_fields[0].name`. Missing fields and
 *   nulls along the way give null.
 * - a JSONPath starting with `$` (jsonpath-plus): its first match, or null when nothing matches.
 *   Use map(...) to collect all elements of an array.
 * - a constant: 'text' or "text", numbers, true, false, null.
 * - a call: coalesce(a, b, ...) first non-null; if(cond, then, else?); eq(a, b), ne(a, b) (exact
 *   JSON equality, so eq(balance, "0") is false); and(...), or(...), not(a); lower, upper,
 *   initcap, trim, ltrim, rtrim (text); substring(text, start, length?) with start counted from
 *   1 as in SQL; len(text or array); concat(...) (null counts as ""); split(text, separator);
 *   replace(text, search, replacement) (every occurrence, literally); json_parse(text);
 *   array(...); map(array, expression) where `item` (or `_`) is the current element.
 *   Conditions are false for null, false, 0, "" and [] and true otherwise.
 *
 * Everything is checked when the config is loaded: paths against the Stripe customer schema,
 * function names and argument counts, and that the result can become the target column's type.
 *
 * With a Customer Model, `to` must be a model property; unmapped properties are null (a
 * non-nullable one must be mapped). Without a model, the output holds exactly the mapped columns,
 * untyped (values as the expressions give them). Either way the output is raw: the pipeline
 * converts it with `model.convert`.
 */
import { ConfigError } from '../errors';
import { field, words, type ConfigPath } from '../words';
import { isPlainObject } from '../util/is-plain-object';
import { type CustomerModel, columnNameProblem, didYouMean } from '../model';
import { compileNode } from './expression/compile';
import { EvaluationError, type Evaluator } from './expression/compiled';
import { ExpressionError, parseExpression } from './expression/parser';
import { type StaticType, describe, incompatibility, jsonSchemaOf } from './expression/types';
import type { JsonSchema } from '../stripe/customer-schema';
import type { TransformOutcome, Transformer } from './types';

interface CompiledMapping {
  to: string;
  index: number;
  evaluate: Evaluator;
  /** What the expression can give, as far as it is known when the config is loaded. */
  type: StaticType;
}

function expressionError(at: ConfigPath, source: string, error: ExpressionError): ConfigError {
  const column = error.position + 1;
  const snippet = source.length <= 120 ? ` in ${JSON.stringify(source)}` : '';
  return new ConfigError({ at, problem: `at column ${column}: ${error.message}${snippet}` });
}

const MODEL: ConfigPath = ['customer_model'];

/** Validates and compiles every mapping (a ConfigError at `[...at, "mappings", i]`, with the fix). */
function parseMappings(
  spec: Record<string, unknown>,
  model: CustomerModel | undefined,
  at: ConfigPath,
): CompiledMapping[] {
  for (const key of Object.keys(spec)) {
    if (key !== 'type' && key !== 'mappings') {
      throw new ConfigError({
        at: [...at, key],
        problem: `unknown key "${key}" for a mapping transformation${didYouMean(key, ['mappings'])}`,
        fix: 'it takes "type" and "mappings"',
      });
    }
  }
  const raw = spec.mappings;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new ConfigError({
      at: [...at, 'mappings'],
      problem: 'no column to fill',
      fix: 'list the columns to fill, e.g. [{ "to": "email", "from": "lower(email)" }]',
    });
  }
  const mappings: CompiledMapping[] = [];
  /** Filled columns by lower-cased name. */
  const seen = new Map<string, { index: number; to: string }>();
  raw.forEach((entry, index) => {
    const row: ConfigPath = [...at, 'mappings', index];
    if (!isPlainObject(entry)) {
      throw new ConfigError({
        at: row,
        problem: 'each mapping is an object like { "to": "email", "from": "email" }',
      });
    }
    for (const key of Object.keys(entry)) {
      if (key !== 'to' && key !== 'from') {
        throw new ConfigError({
          at: [...row, key],
          problem: `unknown key "${key}"${didYouMean(key, ['to', 'from'])}`,
          fix: 'a mapping has "to" (the column) and "from" (the expression)',
        });
      }
    }
    const to = entry.to;
    if (typeof to !== 'string' || to === '') {
      throw new ConfigError({
        at: [...row, 'to'],
        problem: 'no column named',
        fix: 'name the column to fill, e.g. "email"',
      });
    }
    const property = model?.property(to);
    if (model && !property) {
      throw new ConfigError({
        at: [...row, 'to'],
        problem: words`"${to}" is not a property of ${field(MODEL)}${didYouMean(to, model.names)}; the properties are ${model.names.join(', ')}`,
        fix: words`add it to ${field(MODEL)} or map another one`,
      });
    }
    if (!model) {
      const problem = columnNameProblem(to);
      if (problem) throw new ConfigError({ at: [...row, 'to'], problem });
    }
    // Compared case-insensitively, as the model's names are: warehouses fold column names, so
    // "Email" and "email" would be one column filled twice.
    const previous = seen.get(to.toLowerCase());
    if (previous) {
      const note =
        previous.to === to
          ? ''
          : ` (as "${previous.to}"; column names are compared case-insensitively, as warehouses do)`;
      throw new ConfigError({
        at: [...row, 'to'],
        problem: words`"${to}" is already filled by ${field([...at, 'mappings', previous.index])}${note}`,
        fix: 'keep one of them',
      });
    }
    seen.set(to.toLowerCase(), { index, to });

    const from = entry.from;
    if (typeof from !== 'string') {
      throw new ConfigError({
        at: [...row, 'from'],
        problem: 'no expression given',
        fix: 'give an expression as text, e.g. "email", "address.city" or "lower(email)"',
      });
    }
    let compiled;
    try {
      compiled = compileNode(parseExpression(from));
    } catch (error) {
      if (error instanceof ExpressionError) throw expressionError([...row, 'from'], from, error);
      throw error;
    }
    if (property) {
      const problem = incompatibility(compiled.type, property);
      if (problem) {
        throw new ConfigError({
          at: [...row, 'from'],
          problem: `column "${to}" is ${property.type} but ${problem} (the expression gives ${describe(compiled.type)})`,
          fix: words`map a field of a matching type, or change the column's type in ${field(MODEL)}`,
        });
      }
    }
    if (compiled.constant) {
      let value: unknown;
      try {
        value = compiled.evaluate({}, []);
      } catch (error) {
        if (error instanceof EvaluationError) {
          throw new ConfigError({ at: [...row, 'from'], problem: error.message });
        }
        throw error;
      }
      if (model) {
        const converted = model.convertValue(to, value);
        if (!converted.ok) {
          throw new ConfigError({
            at: [...row, 'from'],
            problem: `the constant does not fit column ${converted.error}`,
            fix: "change the constant or the column's type",
          });
        }
      }
      // Objects and arrays (array(...), json_parse('{...}')) are copied per record: records are
      // handed on (n8n items, code steps) and one changed in place must not change the others.
      // Primitives are immutable and keep the copy-free path.
      const shared = value;
      const evaluate: Evaluator =
        typeof shared === 'object' && shared !== null
          ? () => structuredClone(shared)
          : () => shared;
      mappings.push({ to, index, evaluate, type: compiled.type });
    } else {
      mappings.push({ to, index, evaluate: compiled.evaluate, type: compiled.type });
    }
  });

  if (model) {
    model.properties.forEach((property) => {
      if (!property.nullable && !seen.has(property.name.toLowerCase())) {
        throw new ConfigError({
          at: [...at, 'mappings'],
          problem: words`property "${property.name}" of ${field(MODEL)} is not nullable but no mapping fills it`,
          fix: `add { "to": "${property.name}", "from": "..." } or make it nullable`,
        });
      }
    });
  }

  return mappings;
}

/**
 * The columns a mapping fills when there is no Customer Model, for `discover`: one JSON Schema
 * per `to`, from the expression's static type (`{}` where that is a mix or unknown, e.g. a
 * JSONPath with wildcards). Every column is nullable: paths can be missing, and deletion records
 * carry no columns. Throws ConfigError like compileMapping.
 */
export function mappingColumnSchemas(
  spec: Record<string, unknown>,
  at: ConfigPath,
): Record<string, JsonSchema> {
  const columns: Record<string, JsonSchema> = {};
  for (const mapping of parseMappings(spec, undefined, at)) {
    columns[mapping.to] = jsonSchemaOf(mapping.type, true);
  }
  return columns;
}

export function compileMapping(
  spec: Record<string, unknown>,
  model: CustomerModel | undefined,
  at: ConfigPath,
): Transformer {
  const mappings = parseMappings(spec, model, at);
  // Output columns in model order (unmapped ones null), or in mapping order without a model.
  const byName = new Map(mappings.map((m) => [m.to, m]));
  const columns: Array<{ to: string; mapping: CompiledMapping | undefined }> = model
    ? model.names.map((name) => ({ to: name, mapping: byName.get(name) }))
    : mappings.map((m) => ({ to: m.to, mapping: m }));

  const transformOne = (customer: Record<string, unknown>): TransformOutcome => {
    const record: Record<string, unknown> = {};
    const env: unknown[] = [];
    for (const { to, mapping } of columns) {
      if (!mapping) {
        record[to] = null;
        continue;
      }
      try {
        const value = mapping.evaluate(customer, env);
        record[to] = value === undefined ? null : value;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { kind: 'error', message: `mappings[${mapping.index}] (to "${to}"): ${message}` };
      }
    }
    return { kind: 'record', record };
  };

  return {
    transformBatch: (customers) => Promise.resolve(customers.map(transformOne)),
    close: () => Promise.resolve(),
  };
}
