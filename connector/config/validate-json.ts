import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import specification from '../../spec/connection-specification.json';
import { ConfigError } from '../errors';

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true });
addFormats(ajv);
// Keywords Airbyte's UI reads; they carry no validation.
for (const keyword of ['airbyte_secret', 'order', 'airbyte_hidden', 'always_show', 'multiline']) {
  ajv.addKeyword(keyword);
}
const validateSpec = ajv.compile(specification);

export const CONNECTION_SPECIFICATION = specification;

/**
 * Checks a raw config against the connection specification (filling defaults) and throws one
 * ConfigError listing every problem by field path, with what was expected. Values are never
 * quoted back: a misplaced secret must not end up in an error message.
 */
export function validateConfigJson(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('The config must be a JSON object such as {"api_key": "sk_test_..."}.');
  }
  const config = structuredClone(raw) as Record<string, unknown>;
  if (!validateSpec(config)) {
    const problems = (validateSpec.errors ?? []).map(describeError);
    throw new ConfigError(`Invalid config: ${[...new Set(problems)].join('; ')}.`);
  }
  return config;
}

export function fieldPath(instancePath: string, extra?: string): string {
  const segments = instancePath.split('/').filter(Boolean);
  if (extra) segments.push(extra);
  return segments.reduce(
    (path, segment) =>
      /^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment,
    '',
  );
}

function describeError(error: ErrorObject): string {
  const schema = error.parentSchema as { title?: string; description?: string } | undefined;
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
    case 'enum':
      return `\`${fieldPath(error.instancePath)}\` must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `\`${fieldPath(error.instancePath) || 'config'}\` ${error.message ?? 'is invalid'}`;
  }
}
