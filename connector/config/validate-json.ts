import Ajv, { type AnySchema, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { CONNECTION_SPECIFICATION } from './specification';
import { ConfigError, type IssueInput } from '../errors';
import { filterTooDeep } from '../filter';
import { closest, didYouMean, modelTooDeep } from '../model';
import { MAX_CONFIG_DEPTH, pathBeyondDepth } from '../util/nesting';
import type { ConfigPath } from '../words';
import type { RawConfig } from './raw-config';

/** Keywords Airbyte's form reads; they carry no validation. */
const AIRBYTE_KEYWORDS = [
  'airbyte_secret',
  'airbyte_hidden',
  'always_show',
  'display_type',
  'group',
  'groups',
  'multiline',
  'order',
  'pattern_descriptor',
];

// strict: a misspelt keyword in the spec ("requried") fails here instead of silently validating
// nothing. discriminator: a transformation with a known `type` is checked against that variant
// only, so its errors name the field instead of "must match exactly one schema in oneOf".
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  useDefaults: true,
  verbose: true,
  discriminator: true,
});
addFormats(ajv);
for (const keyword of AIRBYTE_KEYWORDS) ajv.addKeyword(keyword);
const validateSpec = ajv.compile<RawConfig>(withDiscriminators(CONNECTION_SPECIFICATION));

const TOP_LEVEL_FIELDS = Object.keys(CONNECTION_SPECIFICATION.properties);

export interface ValidatedConfig {
  config: RawConfig;
  /** Fields the connector does not know and ignores, each in a sentence that says so. */
  warnings: string[];
}

/**
 * Checks a raw config against the connection specification (filling defaults) and throws one
 * ConfigError listing every problem at its field, with what was expected. Values are never
 * quoted back: a misplaced secret must not end up in an error message.
 *
 * The spec allows unknown top-level fields (Airbyte requires `additionalProperties: true`), the
 * connector does not ignore them silently: one within a typo of a known field (`pipelnes`) is an
 * error naming that field, since ignoring it would run something else than meant (every customer
 * into the default pipeline); any other is a warning.
 */
export function validateConfigJson(raw: unknown): ValidatedConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('The config must be a JSON object such as {"api_key": "sk_test_..."}.');
  }
  refuseDeepNesting(raw as Record<string, unknown>);
  const problems: IssueInput[] = [];
  const warnings: string[] = [];
  for (const key of Object.keys(raw).filter((key) => !TOP_LEVEL_FIELDS.includes(key))) {
    const meant = closest(key, TOP_LEVEL_FIELDS);
    if (meant !== undefined)
      problems.push({ at: [key], problem: `not a known field (did you mean "${meant}"?)` });
    else
      warnings.push(
        `The config's \`${key}\` is not a known field, so it is ignored: remove it, or check its spelling.`,
      );
  }
  const config: unknown = structuredClone(raw);
  if (!validateSpec(config)) problems.push(...(validateSpec.errors ?? []).map(describeError));
  if (problems.length > 0) throw new ConfigError({ at: [], issues: distinct(problems) });
  return { config: config as RawConfig, warnings };
}

/**
 * Refuses a config nested deeper than any valid one, before anything recursive (structuredClone,
 * the filter and model parsers) walks it: naming the pipeline's filter or the model row when
 * the depth is there, as their own, lower limits would.
 */
function refuseDeepNesting(raw: Record<string, unknown>): void {
  const path = pathBeyondDepth(raw, MAX_CONFIG_DEPTH);
  if (!path) return;
  const [field, index, inner] = path;
  if (field === 'pipelines' && typeof index === 'number' && typeof inner === 'string') {
    if (inner.startsWith('filter')) throw filterTooDeep([field, index, inner]);
  }
  if (field === 'customer_model' && typeof index === 'number') {
    throw modelTooDeep([field, index]);
  }
  throw new ConfigError({
    at: path.slice(0, 3),
    problem: `nests more than ${MAX_CONFIG_DEPTH} levels deep, deeper than any field of the config goes`,
    fix: 'check what wrote it',
  });
}

/** The same problem reported twice (ajv repeats some through `oneOf`) counts once. */
function distinct(issues: IssueInput[]): IssueInput[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = JSON.stringify(issue);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** ajv's JSON pointer (`/pipelines/0/name`) as a config path, with `extra` after it. */
function pathOf(instancePath: string, extra?: string): ConfigPath {
  const segments: Array<string | number> = instancePath
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  return extra === undefined ? segments : [...segments, extra];
}

/**
 * A copy of the spec where every `oneOf` names its discriminator for ajv (`discriminator`, an
 * OpenAPI keyword Airbyte's form does not know, so the printed spec goes without it).
 */
function withDiscriminators(schema: unknown): AnySchema {
  if (Array.isArray(schema)) return schema.map(withDiscriminators) as AnySchema;
  if (typeof schema !== 'object' || schema === null) return schema as AnySchema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = withDiscriminators(value);
  const variants = copy.oneOf;
  if (Array.isArray(variants)) {
    const tag = constProperty(variants);
    if (tag) copy.discriminator = { propertyName: tag };
  }
  return copy;
}

/** The property every variant fixes with `const`. */
function constProperty(variants: unknown[]): string | undefined {
  const [first] = variants as Array<{ properties?: Record<string, { const?: unknown }> }>;
  return Object.keys(first?.properties ?? {}).find((key) =>
    (variants as Array<{ properties?: Record<string, { const?: unknown }> }>).every(
      (variant) => variant.properties?.[key]?.const !== undefined,
    ),
  );
}

function describeError(error: ErrorObject): IssueInput {
  const schema = error.parentSchema as
    | {
        title?: string;
        description?: string;
        oneOf?: Array<{ properties?: object }>;
        items?: { title?: string };
      }
    | undefined;
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return {
        at: pathOf(error.instancePath, missing),
        problem: 'missing (required)',
        ...(missing === 'api_key'
          ? { fix: 'give a Stripe secret or restricted key (sk_... or rk_...)' }
          : {}),
      };
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return {
        at: pathOf(error.instancePath, extra),
        problem: 'not a known field (check its spelling)',
      };
    }
    case 'pattern':
    case 'format':
      return {
        at: pathOf(error.instancePath),
        problem: 'malformed',
        fix: schema?.description ?? schema?.title ?? error.message ?? '',
      };
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      const given = error.data;
      const hint =
        typeof given === 'string'
          ? didYouMean(
              given,
              allowed.filter((v): v is string => typeof v === 'string'),
            )
          : '';
      return {
        at: pathOf(error.instancePath),
        problem: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}${hint}`,
      };
    }
    case 'discriminator': {
      const { tag } = error.params as { tag: string };
      const variants = (schema?.oneOf ?? []).map(
        (variant) => (variant.properties as Record<string, { const?: unknown }>)[tag]?.const,
      );
      const given = (error.data as Record<string, unknown> | undefined)?.[tag];
      const hint =
        typeof given === 'string'
          ? didYouMean(
              given,
              variants.filter((v): v is string => typeof v === 'string'),
            )
          : '';
      return {
        at: pathOf(error.instancePath, tag),
        problem: `must be one of ${variants.map((v) => JSON.stringify(v)).join(', ')}${hint}`,
      };
    }
    case 'minItems': {
      const { limit } = error.params as { limit: number };
      const item = (schema?.items?.title ?? 'entry').toLowerCase();
      return {
        at: pathOf(error.instancePath),
        problem: `needs at least ${limit === 1 ? `one ${item}` : `${limit} ${item}s`}`,
        fix: `add ${limit === 1 ? 'one' : 'them'}`,
      };
    }
    default:
      return { at: pathOf(error.instancePath), problem: error.message ?? 'is invalid' };
  }
}
