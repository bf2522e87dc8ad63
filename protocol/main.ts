#!/usr/bin/env node
import { runCli } from './cli';

runCli(process.argv.slice(2), process.stdout).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Only a bug in the CLI itself gets here; runCli reports everything else as TRACE messages.
    process.stderr.write(`source-stripe-customers: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
