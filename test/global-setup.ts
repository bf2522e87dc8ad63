import { execFileSync } from 'node:child_process';

/**
 * The CLI is tested as the platform runs it: the compiled `dist/` started as a subprocess, so it
 * is compiled once per test run. `SKIP_CLI_BUILD=1` skips that for runs of in-process suites only
 * (test/engine, test/filter...), which never start the CLI.
 */
export default function setup(): void {
  if (process.env.SKIP_CLI_BUILD === '1') return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
