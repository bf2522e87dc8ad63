/**
 * The command line as people read it: every command, Airbyte's and the standalone tool's, on one
 * page. `--help`, `help` and no arguments print it; `help COMMAND` prints that command's options.
 */
export const COMMANDS = {
  spec: 'print the connection specification',
  check: 'check that the config can read Stripe customers',
  discover: 'print the catalog of streams (one per enabled pipeline)',
  read: 'read customers as Airbyte RECORD and STATE messages',
  sync: 'run every enabled pipeline once into DuckDB or PostgreSQL, then print a summary',
  serve: 'run pipelines on their schedules, with a pipelines page and a JSON API',
} as const;

export const USAGE = `Usage: source-stripe-customers <command> [options]

Airbyte protocol commands (every line on stdout is an Airbyte message):
  spec                                                 ${COMMANDS.spec}
  check    --config FILE                               ${COMMANDS.check}
  discover --config FILE                               ${COMMANDS.discover}
  read     --config FILE --catalog FILE [--state FILE] ${COMMANDS.read}

Standalone commands (write into your own warehouse):
  sync     --config FILE [--destination URL] [--pipeline NAME...] [--rebuild NAME...] [--json]
           ${COMMANDS.sync}
  serve    --config FILE [--destination URL] [--port 8080] [--host 127.0.0.1]
           ${COMMANDS.serve}

  --destination: duckdb:./stripe_customers.duckdb (default) or postgres://user@host:5432/db

Run "source-stripe-customers help COMMAND" for a command's options.

Exit status: 0 success; 1 a pipeline failed on its data or code; 2 wrong command line or
config; 3 transient (Stripe or the warehouse unreachable, a lock held, a connection lost:
safe to retry); 143 stopped by SIGTERM.
`;

/** After one command's options: where the others are. */
export const OTHER_COMMANDS = `
Commands: ${Object.keys(COMMANDS).join(', ')} (source-stripe-customers --help lists them all).
Exit status: 0 success, 1 data or code, 2 command line or config, 3 transient (safe to retry), 143 SIGTERM.`;
