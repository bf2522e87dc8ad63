import { join } from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { CONNECTION_SPECIFICATION } from '../../connector/config/specification';

const JSON_FILE = join(__dirname, '..', '..', 'spec', 'connection-specification.json');

describe('spec/connection-specification.json', () => {
  // The TypeScript module is the source; the JSON file is what Airbyte tooling and readers open.
  // After changing the module: npx vitest run test/spec/spec-file.test.ts -u
  it('is generated from connector/config/specification.ts', async () => {
    const options = (await prettier.resolveConfig(JSON_FILE)) ?? {};
    const text = await prettier.format(JSON.stringify(CONNECTION_SPECIFICATION), {
      ...options,
      filepath: JSON_FILE,
    });
    await expect(text).toMatchFileSnapshot(JSON_FILE);
  });
});
