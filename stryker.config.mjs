/**
 * Mutation testing of the folders that guard "every customer, once", run by `npm run mutate`
 * (test/mutation/mutate.ts) one folder at a time: MUTATE_FOLDER names it. Slow on two cores, so it
 * runs outside CI, in incremental mode: a later run only tests the mutants whose code or covering
 * tests changed. Every report lands under coverage/mutation/ (ignored by git and Prettier).
 */
import FOLDERS from './test/mutation/folders.json' with { type: 'json' };

const folder = process.env.MUTATE_FOLDER;
if (folder !== undefined && !FOLDERS.includes(folder)) {
  throw new Error(`MUTATE_FOLDER must be one of ${FOLDERS.join(', ')}, got ${folder}`);
}
/** Reports of one folder, or of all of them at once when MUTATE_FOLDER is not set. */
const reportName = folder ? folder.replace('/', '-') : 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.mts' },
  coverageAnalysis: 'perTest',
  // Mutants in code run at module load (constants, tables) would each need every test: left out.
  ignoreStatic: true,
  mutate: (folder ? [folder] : FOLDERS).map((path) => `${path}/**/*.ts`),
  ignorePatterns: ['dist', 'coverage', 'n8n-node', '.bench', 'docs'],
  incremental: true,
  incrementalFile: `coverage/mutation/${reportName}.incremental.json`,
  tempDirName: 'coverage/.stryker-tmp',
  reporters: ['progress', 'clear-text', 'json', 'html'],
  jsonReporter: { fileName: `coverage/mutation/${reportName}.json` },
  htmlReporter: { fileName: `coverage/mutation/${reportName}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // Two cores, shared: one mutant at a time leaves the other to everyone else.
  concurrency: 1,
  timeoutMS: 20_000,
  cleanTempDir: 'always',
};
