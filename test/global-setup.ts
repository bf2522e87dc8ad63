import { execFileSync } from 'node:child_process';

/** The CLI is tested as the platform runs it: the compiled `dist/` started as a subprocess. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
