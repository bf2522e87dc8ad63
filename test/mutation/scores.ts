/**
 * The mutation score per folder, from the JSON reports `npm run mutate` leaves in
 * coverage/mutation/, with the mutants listed in equivalent-mutants.md (changes no test can see,
 * each with why) taken out of the count. Score = detected / (detected + undetected), where
 * detected is killed or timed out and undetected is survived or not covered, as Stryker counts it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import FOLDERS from './folders.json';

const ROOT = join(__dirname, '..', '..');
const REPORTS = join(ROOT, 'coverage', 'mutation');
const EQUIVALENTS = join(__dirname, 'equivalent-mutants.md');

interface Mutant {
  mutatorName: string;
  status: string;
  replacement?: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

interface FolderScore {
  folder: string;
  killed: number;
  survived: number;
  noCoverage: number;
  equivalent: number;
  /** Survived or not covered, and not listed as equivalent. */
  undetected: string[];
}

/** `file:line:column mutator` of every mutant the list calls equivalent. */
export function listedEquivalents(text = readIfThere(EQUIVALENTS) ?? ''): Set<string> {
  const keys = new Set<string>();
  for (const match of text.matchAll(/^\|\s*`?([\w./-]+\.ts):(\d+):(\d+)`?\s*\|\s*(\w+)\s*\|/gm)) {
    keys.add(`${match[1]}:${match[2]}:${match[3]} ${match[4]}`);
  }
  return keys;
}

function readIfThere(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** The latest report holding each folder: its own run's, else a run of every folder at once. */
function reportFor(folder: string): Report | undefined {
  for (const name of [folder.replace('/', '-'), 'all']) {
    const text = readIfThere(join(REPORTS, `${name}.json`));
    if (text === undefined) continue;
    const report = JSON.parse(text) as Report;
    if (Object.keys(report.files).some((file) => file.startsWith(`${folder}/`))) return report;
  }
  return undefined;
}

export function scoreOf(folder: string, report: Report, equivalents: Set<string>): FolderScore {
  const score: FolderScore = {
    folder,
    killed: 0,
    survived: 0,
    noCoverage: 0,
    equivalent: 0,
    undetected: [],
  };
  for (const [file, { mutants, source }] of Object.entries(report.files)) {
    if (!file.startsWith(`${folder}/`)) continue;
    const lines = source.split('\n');
    for (const mutant of mutants) {
      const { line, column } = mutant.location.start;
      const key = `${file}:${line}:${column} ${mutant.mutatorName}`;
      if (mutant.status === 'Killed' || mutant.status === 'Timeout') score.killed++;
      else if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
      else if (equivalents.has(key)) score.equivalent++;
      else {
        if (mutant.status === 'Survived') score.survived++;
        else score.noCoverage++;
        const line = lines[mutant.location.start.line - 1]?.trim() ?? '';
        score.undetected.push(
          `${key} [${mutant.status}] ${line.slice(0, 100)}  =>  ${(mutant.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80)}`,
        );
      }
    }
  }
  return score;
}

const percent = (part: number, whole: number) =>
  whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;

export function printScores(out: NodeJS.WritableStream, verbose = false): void {
  const equivalents = listedEquivalents();
  const rows = [
    ['folder', 'score', 'killed', 'survived', 'no coverage', 'equivalent', 'raw score'],
  ];
  const undetected: string[] = [];
  for (const folder of FOLDERS) {
    const report = reportFor(folder);
    if (!report) {
      rows.push([folder, 'not run', '', '', '', '', '']);
      continue;
    }
    const s = scoreOf(folder, report, equivalents);
    const detected = s.killed;
    const counted = s.killed + s.survived + s.noCoverage;
    rows.push([
      folder,
      percent(detected, counted),
      String(s.killed),
      String(s.survived),
      String(s.noCoverage),
      String(s.equivalent),
      percent(detected, counted + s.equivalent),
    ]);
    undetected.push(...s.undetected);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  out.write(
    '\nMutation score per folder (equivalent mutants listed in test/mutation/equivalent-mutants.md left out; raw: counted as survivors)\n',
  );
  for (const row of rows) {
    out.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}\n`);
  }
  if (verbose) for (const key of undetected) out.write(`undetected: ${key}\n`);
}

if (require.main === module) printScores(process.stdout, process.argv.includes('--list'));
