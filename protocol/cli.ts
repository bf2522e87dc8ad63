import { Command, CommanderError } from 'commander';
import { errorMessage } from '../connector';
import { checkCommand, discoverCommand, readCommand, specCommand, traceError } from './commands';
import { MessageWriter } from './output';

/**
 * The connector's command line, as the Airbyte platform calls it:
 *   spec | check --config F | discover --config F | read --config F --catalog F [--state F]
 * Everything it prints on stdout is an Airbyte message; failures end as a TRACE ERROR.
 */
export async function runCli(
  argv: string[],
  stdout: NodeJS.WritableStream & import('node:stream').Writable,
): Promise<number> {
  // The standalone tool's commands print for people, not Airbyte messages: they have their own CLI.
  if (argv[0] === 'sync' || argv[0] === 'serve') {
    return (await import('../standalone/cli.js')).runStandaloneCli(argv);
  }
  const out = new MessageWriter(stdout, secretsFromEnvironment());
  let stopRequested = false;
  const onTerm = () => {
    stopRequested = true;
    void out.log('WARN', 'SIGTERM received: stopping at the next checkpoint.');
  };
  process.on('SIGTERM', onTerm);
  let exitCode = 0;
  const program = new Command()
    .name('source-stripe-customers')
    .description('Airbyte source connector for Stripe customers')
    .exitOverride()
    .configureOutput({ writeOut: (text) => void out.log('INFO', text.trim()), writeErr: () => {} });
  program
    .command('spec')
    .description('print the connection specification')
    .action(async () => {
      exitCode = await specCommand(out);
    });
  program
    .command('check')
    .description('check that the config can read Stripe customers')
    .requiredOption('--config <path>', 'config JSON file')
    .action(async (options: { config: string }) => {
      exitCode = await checkCommand(out, options.config);
    });
  program
    .command('discover')
    .description('print the catalog of streams (one per enabled pipeline)')
    .requiredOption('--config <path>', 'config JSON file')
    .action(async (options: { config: string }) => {
      exitCode = await discoverCommand(out, options.config);
    });
  program
    .command('read')
    .description('read customers as Airbyte RECORD and STATE messages')
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
    exitCode = 1;
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) exitCode = 0;
      else
        await out.error(
          `${error.message.replace(/^error: /, '')}. Usage: spec | check --config F | discover --config F | read --config F --catalog F [--state F] | sync --config F [--destination URL] | serve --config F [--port P]`,
          'config_error',
        );
    } else {
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
