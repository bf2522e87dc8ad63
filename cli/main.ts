#!/usr/bin/env node
import { runCommandLine } from './dispatch';

runCommandLine(process.argv.slice(2), process.stdout).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Only a bug in the command line itself gets here; every command reports its own failures.
    process.stderr.write(`source-stripe-customers: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
