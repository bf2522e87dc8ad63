import { Command, CommanderError } from 'commander';
import { checkCommand, discoverCommand, readCommand, specCommand, traceError } from './commands';
import { EXIT, exitCodeFor, failureKindOf } from '../command-line/exit-codes';
import { COMMANDS, OTHER_COMMANDS } from '../command-line/usage';
import { MessageWriter } from './output';

/** The Airbyte protocol's commands; the standalone tool's are its own (standalone/cli.ts). */
export const AIRBYTE_COMMANDS: readonly string[] = ['spec', 'check', 'discover', 'read'];

/**
 * The connector's command line, as the Airbyte platform calls it:
 *   spec | check --config F | discover --config F | read --config F --catalog F [--state F]
 * Everything it prints on stdout is an Airbyte message; failures end as a TRACE ERROR. Help of
 * a command (`check --help`) is for people: plain text. Exit statuses: command-line/exit-codes.ts.
 */
export async function runAirbyteCli(
  argv: string[],
  stdout: NodeJS.WritableStream & import('node:stream').Writable,
): Promise<number> {
  const out = new MessageWriter(stdout, secretsFromEnvironment());
  let stopRequested = false;
  const onTerm = () => {
    stopRequested = true;
    void out.log('WARN', 'SIGTERM received: stopping at the next checkpoint.');
  };
  process.on('SIGTERM', onTerm);
  let exitCode: number = EXIT.ok;
  const program = new Command()
    .name('source-stripe-customers')
    .description('Airbyte source connector for Stripe customers')
    .exitOverride()
    // Only help is written out: for a person at a terminal, as text.
    .configureOutput({ writeOut: (text) => void stdout.write(text), writeErr: () => {} });
  program
    .command('spec')
    .description(COMMANDS.spec)
    .addHelpText('after', OTHER_COMMANDS)
    .action(async () => {
      exitCode = await specCommand(out);
    });
  program
    .command('check')
    .description(COMMANDS.check)
    .addHelpText('after', OTHER_COMMANDS)
    .requiredOption('--config <path>', 'config JSON file')
    .action(async (options: { config: string }) => {
      exitCode = await checkCommand(out, options.config);
    });
  program
    .command('discover')
    .description(COMMANDS.discover)
    .addHelpText('after', OTHER_COMMANDS)
    .requiredOption('--config <path>', 'config JSON file')
    .action(async (options: { config: string }) => {
      exitCode = await discoverCommand(out, options.config);
    });
  program
    .command('read')
    .description(COMMANDS.read)
    .addHelpText('after', OTHER_COMMANDS)
    .requiredOption('--config <path>', 'config JSON file')
    .requiredOption('--catalog <path>', 'configured catalog JSON file')
    .option('--state <path>', 'state JSON file from the previous run')
    .action(async (options: { config: string; catalog: string; state?: string }) => {
      exitCode = await readCommand(out, {
        configPath: options.config,
        catalogPath: options.catalog,
        statePath: options.state,
        stopRequested: () => stopRequested,
      });
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) exitCode = EXIT.ok;
      else {
        exitCode = EXIT.usage;
        await out.error(
          `${error.message.replace(/^error: /, '')}. Usage: spec | check --config F | discover --config F | read --config F --catalog F [--state F] | sync --config F [--destination URL] | serve --config F [--port P] (help: source-stripe-customers --help)`,
          'config_error',
        );
      }
    } else {
      exitCode = exitCodeFor([failureKindOf(error)]);
      await traceError(out, error);
    }
  } finally {
    process.off('SIGTERM', onTerm);
    await out.flush();
  }
  return exitCode;
}

/** Keys found in the environment are scrubbed from output too (the config's key always is). */
function secretsFromEnvironment(): string[] {
  return Object.values(process.env).filter(
    (value): value is string => !!value && /^(sk|rk)_(test|live)_/.test(value),
  );
}
