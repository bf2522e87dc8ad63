import { readFile } from 'node:fs/promises';
import { ConfigError, errorMessage } from '../connector/errors';

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
    throw new ConfigError(`The ${flag} file "${path}" is not valid JSON: ${errorMessage(error)}.`);
  }
}
