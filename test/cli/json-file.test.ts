/**
 * A JSON file given by a flag that is not JSON: the error names the flag, the file and where the
 * JSON stops being JSON, and never quotes the text there (it may be part of the API key).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonFile } from '../../command-line/json-file';

const folder = mkdtempSync(join(tmpdir(), 'json-file-'));
let files = 0;

async function refusal(text: string): Promise<string> {
  const path = join(folder, `config-${++files}.json`);
  writeFileSync(path, text);
  try {
    await readJsonFile(path, '--config');
  } catch (error) {
    return (error as Error).message.replace(path, 'FILE');
  }
  throw new Error('expected a refusal');
}

describe('a flag’s JSON file that is not JSON', () => {
  it('says where, by line and column, whatever the parser’s own message says', async () => {
    expect(await refusal('sk_live_SecretInTheFile')).toBe(
      'The --config file "FILE" is not valid JSON (at line 1, column 1): check its quotes, commas and brackets.',
    );
    expect(await refusal('{"a": 1,\n  "api_key": sk_test_Secret}')).toBe(
      'The --config file "FILE" is not valid JSON (at line 2, column 14): check its quotes, commas and brackets.',
    );
    expect(await refusal('{"api_key": "sk_test_x",\n')).toBe(
      'The --config file "FILE" is not valid JSON (it ends too early): check its quotes, commas and brackets.',
    );
  });

  it('never quotes the file', async () => {
    expect(await refusal('{"api_key": sk_test_Secret}')).not.toContain('Secret');
  });
});
