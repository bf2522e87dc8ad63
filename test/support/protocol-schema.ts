import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * The official Airbyte protocol schema (airbytehq/airbyte-protocol 0.3.2), vendored so the tests
 * run from any clone; test/reference.test.ts checks it still equals the team's reference copy.
 */
export const PROTOCOL_YAML = join(__dirname, '..', 'reference', 'airbyte_protocol.yaml');

let validator: ValidateFunction | undefined;

/** Validates one message against definitions.AirbyteMessage; returns ajv's errors as text. */
export function protocolErrors(message: unknown): string | undefined {
  if (!validator) {
    const schema = parse(readFileSync(PROTOCOL_YAML, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(schema, 'protocol');
    validator = ajv.compile({ $ref: 'protocol#/definitions/AirbyteMessage' });
  }
  return validator(message) ? undefined : JSON.stringify(validator.errors);
}
