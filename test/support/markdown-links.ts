import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** A relative link (or image) of a markdown file that does not resolve, and why. */
export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  problem: string;
}

const LINK = /!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (const { text } of outsideCode(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const base = (heading[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const seen = counts.get(base) ?? 0;
    counts.set(base, seen + 1);
    anchors.add(seen === 0 ? base : `${base}-${seen}`);
  }
  return anchors;
}

/** Every relative link and image of `file` (relative to `root`) that does not resolve. */
export function brokenLinks(root: string, file: string): BrokenLink[] {
  const path = join(root, file);
  const markdown = readFileSync(path, 'utf8');
  const broken: BrokenLink[] = [];
  for (const { text, line } of outsideCode(markdown)) {
    for (const match of text.replace(/`[^`]*`/g, '').matchAll(LINK)) {
      const target = match[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [pathPart = '', fragment] = target.split('#', 2);
      const linked = pathPart === '' ? path : resolve(dirname(path), decodeURI(pathPart));
      const report = (problem: string) => broken.push({ file, line, target, problem });
      if (!existsSync(linked)) {
        report(`${relative(root, linked)} does not exist`);
        continue;
      }
      if (fragment === undefined) continue;
      if (statSync(linked).isDirectory() || !linked.endsWith('.md')) {
        report('an anchor into something that is not a markdown file');
      } else if (!headingAnchors(readFileSync(linked, 'utf8')).has(fragment)) {
        report(`${relative(root, linked)} has no heading whose anchor is #${fragment}`);
      }
    }
  }
  return broken;
}

function* outsideCode(markdown: string): Generator<{ text: string; line: number }> {
  let fenced = false;
  for (const [index, text] of markdown.split('\n').entries()) {
    if (/^\s*```/.test(text)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) yield { text, line: index + 1 };
  }
}

/** The ```json blocks of a markdown file, with the line each starts on. */
export function jsonBlocks(markdown: string): Array<{ line: number; text: string }> {
  const blocks: Array<{ line: number; text: string }> = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    if (!/^\s*```json\s*$/.test(lines[index] as string)) continue;
    const start = index + 1;
    while (index + 1 < lines.length && !/^\s*```/.test(lines[index + 1] as string)) index++;
    blocks.push({ line: start, text: lines.slice(start, index + 1).join('\n') });
    index++;
  }
  return blocks;
}
