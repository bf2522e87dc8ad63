/**
 * `npm run mutate [-- FOLDER...]`: StrykerJS on each folder in turn (default: all four), then the
 * mutation score per folder. A folder's run is incremental (coverage/mutation/*.incremental.json):
 * only mutants whose code or covering tests changed since its last run are tested again.
 *
 *   npm run mutate                          every folder (hours on two cores the first time)
 *   npm run mutate -- connector/pipeline    one folder
 *   npm run mutate -- --scores              just print the scores of the reports there are
 *   npm run mutate -- --force FOLDER        test every mutant again, not only the changed ones
 *
 * Incremental mode reuses a surviving mutant's result when neither its code nor the tests that
 * covered it changed: a new test file that would kill it is not always noticed. Run with --force
 * before quoting a score.
 */
import { spawnSync } from 'node:child_process';
import FOLDERS from './folders.json';
import { printScores } from './scores';

const args = process.argv.slice(2);
const scoresOnly = args.includes('--scores');
const force = args.includes('--force') ? ['--force'] : [];
const asked = args.filter((arg) => !arg.startsWith('--'));
for (const folder of asked) {
  if (!FOLDERS.includes(folder)) {
    process.stderr.write(
      `mutate: unknown folder ${folder}; the folders are ${FOLDERS.join(', ')}\n`,
    );
    process.exit(2);
  }
}
let failed = false;
if (!scoresOnly) {
  for (const folder of asked.length ? asked : FOLDERS) {
    process.stdout.write(`\n=== mutating ${folder} ===\n`);
    const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...force], {
      stdio: 'inherit',
      env: { ...process.env, MUTATE_FOLDER: folder },
    });
    if (run.signal) {
      process.stderr.write(`mutate: Stryker was stopped (${run.signal}); not going on\n`);
      process.exit(1);
    }
    if (run.status !== 0) {
      process.stderr.write(`mutate: Stryker failed on ${folder} (exit ${run.status})\n`);
      failed = true;
    }
  }
}
printScores(process.stdout);
process.exitCode = failed ? 1 : 0;
