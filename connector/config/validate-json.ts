import Ajv, { type AnySchema, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { CONNECTION_SPECIFICATION } from '../../spec/connection-specification';
import { ConfigError } from '../errors';
import { filterTooDeep } from '../filter';
import { closest, didYouMean, modelTooDeep } from '../model';
import { MAX_CONFIG_DEPTH, pathBeyondDepth } from '../util/nesting';
import type { PathSegment } from '../util/value-path';
import type { RawConfig } from './raw-config';

export { CONNECTION_SPECIFICATION };

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
 * ConfigError listing every problem by field path, with what was expected. Values are never
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
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const key of Object.keys(raw).filter((key) => !TOP_LEVEL_FIELDS.includes(key))) {
    const meant = closest(key, TOP_LEVEL_FIELDS);
    if (meant !== undefined)
      problems.push(`\`${key}\` is not a known field (did you mean "${meant}"?)`);
    else
      warnings.push(
        `The config's \`${key}\` is not a known field, so it is ignored: remove it, or check its spelling.`,
      );
  }
  const config: unknown = structuredClone(raw);
  if (!validateSpec(config)) problems.push(...(validateSpec.errors ?? []).map(describeError));
  if (problems.length > 0) {
    throw new ConfigError(`Invalid config: ${[...new Set(problems)].join('; ')}.`);
  }
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
  if (field === 'pipelines' && typeof index === 'number' && inner === 'filter') {
    const pipeline = (raw.pipelines as Array<{ name?: unknown }>)[index];
    const name = typeof pipeline?.name === 'string' ? pipeline.name : `pipelines[${index}]`;
    throw filterTooDeep(name);
  }
  if (field === 'customer_model' && typeof index === 'number') {
    throw modelTooDeep(`customer_model[${index}]`);
  }
  throw new ConfigError(
    `Invalid config: \`${showPath(path.slice(0, 3))}\` nests more than ${MAX_CONFIG_DEPTH} levels deep, deeper than any field of the config goes: check what wrote it.`,
  );
}

const showPath = (path: PathSegment[]): string =>
  path.reduce<string>(
    (shown, segment) =>
      typeof segment === 'number'
        ? `${shown}[${segment}]`
        : shown
          ? `${shown}.${segment}`
          : segment,
    '',
  );

export function fieldPath(instancePath: string, extra?: string): string {
  const segments = instancePath.split('/').filter(Boolean);
  if (extra) segments.push(extra);
  return segments.reduce(
    (path, segment) =>
      /^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment,
    '',
  );
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

function describeError(error: ErrorObject): string {
  const schema = error.parentSchema as
    { title?: string; description?: string; oneOf?: Array<{ properties?: object }> } | undefined;
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const hint =
        missing === 'api_key' ? ' (a Stripe secret or restricted key, sk_... or rk_...)' : '';
      return `\`${fieldPath(error.instancePath, missing)}\` is required${hint}`;
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return `\`${fieldPath(error.instancePath, extra)}\` is not a known field (check its spelling)`;
    }
    case 'pattern':
    case 'format':
      return `\`${fieldPath(error.instancePath)}\` is malformed: ${(schema?.description ?? schema?.title ?? error.message ?? '').replace(/\.$/, '')}`;
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
      return `\`${fieldPath(error.instancePath)}\` must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}${hint}`;
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
      return `\`${fieldPath(error.instancePath, tag)}\` must be one of ${variants.map((v) => JSON.stringify(v)).join(', ')}${hint}`;
    }
    default:
      return `\`${fieldPath(error.instancePath) || 'config'}\` ${error.message ?? 'is invalid'}`;
  }
}
