/**
 * The one command line of the product: the Airbyte protocol's commands (protocol/) and the
 * standalone tool's (standalone/) under one binary, with one help page listing them all. Only
 * here do the two shells meet: neither imports the other.
 */
import { EXIT } from '../command-line/exit-codes';
import { USAGE } from '../command-line/usage';
import { runAirbyteCli } from '../protocol/cli';

/** The standalone tool's commands: they print for people, not Airbyte messages. */
const STANDALONE_COMMANDS: readonly string[] = ['sync', 'serve'];

/**
 * Runs one command line. Help (`--help`, `help [COMMAND]`, no arguments) is for people: plain
 * text listing every command, on stdout when asked for, on stderr (exit 2) when nothing was.
 */
export async function runCommandLine(
  argv: string[],
  stdout: NodeJS.WritableStream & import('node:stream').Writable,
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(USAGE);
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h' || (first === 'help' && rest.length === 0)) {
    stdout.write(USAGE);
    return EXIT.ok;
  }
  if (first === 'help') return runCommandLine([...rest, '--help'], stdout);
  if (STANDALONE_COMMANDS.includes(first)) {
    // Loaded only when asked for: the Airbyte commands never load DuckDB or PostgreSQL.
    return (await import('../standalone/cli.js')).runStandaloneCli(argv);
  }
  return runAirbyteCli(argv, stdout);
}
