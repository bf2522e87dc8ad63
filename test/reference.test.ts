import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_YAML } from './support/protocol-schema';

const SHARED = join(__dirname, '..', '..', 'shared', 'reference', 'airbyte_protocol.yaml');

describe('vendored Airbyte protocol schema', () => {
  it.runIf(existsSync(SHARED))('is identical to the shared reference copy', () => {
    expect(readFileSync(PROTOCOL_YAML, 'utf8')).toBe(readFileSync(SHARED, 'utf8'));
  });

  it('is protocol version 0.3.2 with AirbyteMessage', () => {
    const text = readFileSync(PROTOCOL_YAML, 'utf8');
    expect(text).toMatch(/^version: 0\.3\.2$/m);
    expect(text).toMatch(/^ {2}AirbyteMessage:$/m);
  });
});
