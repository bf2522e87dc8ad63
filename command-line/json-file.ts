import { readFile } from 'node:fs/promises';
import { ConfigError, errorMessage } from '../connector';

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
  } catch (error) {
    throw new ConfigError(
      `The ${flag} file "${path}" is not valid JSON${whereParsingFailed(text, errorMessage(error))}: check its quotes, commas and brackets.`,
    );
  }
}

/**
 * Where JSON.parse stopped, as line and column. V8's own message quotes the text around that
 * point, which in a config file can be part of the API key: it is never passed on.
 */
function whereParsingFailed(text: string, message: string): string {
  const position = Number(/at position (\d+)/.exec(message)?.[1]);
  if (!Number.isInteger(position)) {
    return /end of (JSON|data) input/i.test(message) ? ' (it ends too early)' : '';
  }
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return ` (at line ${line}, column ${column})`;
}
