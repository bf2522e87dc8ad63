import { readFile } from 'node:fs/promises';
import { parse, type ParseError } from 'jsonc-parser';
import { ConfigError } from '../connector';

/** Reads a JSON file the platform passed, with errors that name the flag and the file. */
export async function readJsonFile(path: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `Cannot read the ${flag} file "${path}"${code ? ` (${code})` : ''}: check the path and that the file is mounted/readable.`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(
      `The ${flag} file "${path}" is not valid JSON${whereParsingFailed(text)}: check its quotes, commas and brackets.`,
    );
  }
}

/**
 * Where the JSON stops being JSON, as line and column, from a parser that reports positions
 * (JSON.parse only says so inside a message, which also quotes the text around that point: in a
 * config file, possibly part of the API key; it is never passed on).
 */
function whereParsingFailed(text: string): string {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false });
  const [first] = errors;
  if (!first) return '';
  if (first.offset >= text.trimEnd().length) return ' (it ends too early)';
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = first.offset - before.lastIndexOf('\n');
  return ` (at line ${line}, column ${column})`;
}
