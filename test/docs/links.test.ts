import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../connector';
import { parseConfiguredCatalog, parseInputState } from '../../protocol/catalog';
import { brokenLinks, headingAnchors, jsonBlocks } from '../support/markdown-links';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

function markdownFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => join(entry.parentPath, entry.name).slice(ROOT.length + 1));
}

const DOCS = markdownFiles('docs').filter((file) => !file.startsWith('docs/drafts/'));
const FILES = ['README.md', 'n8n-node/README.md', ...DOCS];

describe('the documentation', () => {
  it('has a README short enough to read in five minutes that links every document', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    expect(DOCS.length).toBeGreaterThanOrEqual(10);
    for (const doc of DOCS) expect(readme, `README links ${doc}`).toContain(`](${doc})`);
  });

  it.each(FILES)('%s: every relative link and anchor resolves', (file) => {
    expect(brokenLinks(ROOT, file)).toEqual([]);
  });

  it.each(FILES)('%s: every JSON example is JSON', (file) => {
    for (const block of jsonBlocks(read(file))) {
      expect(() => JSON.parse(block.text), `${file} line ${block.line}`).not.toThrow();
    }
  });

  it('ships example files that the connector reads as they are', () => {
    const example = (name: string): unknown => JSON.parse(read(`docs/examples/${name}`));
    const config = parseConfig(example('config.json'));
    expect(config.pipelines.map((pipeline) => pipeline.name)).toEqual(['customers', 'eu_pro']);
    const catalog = parseConfiguredCatalog(example('catalog.json'));
    expect(catalog.streams.map((stream) => stream.stream.name)).toEqual(['customers', 'eu_pro']);
    const state = parseInputState(example('state.json'));
    expect([...state.keys()]).toEqual(['customers']);
    // The state belongs to the example's pipeline as configured: a rerun continues from it.
    const customers = config.pipelines.find((pipeline) => pipeline.name === 'customers');
    expect(state.get('customers')).toMatchObject({ fingerprint: customers?.fingerprint });
  });
});

describe('the link checker', () => {
  it('numbers repeated headings and drops punctuation as GitHub does', () => {
    const anchors = headingAnchors("# Airbyte's form\n## `sync`\n## Sync\n```\n# not one\n```\n");
    expect([...anchors]).toEqual(['airbytes-form', 'sync', 'sync-1']);
  });

  it('finds missing files, missing anchors and anchors into files that are not markdown', () => {
    const root = mkdtempSync(join(tmpdir(), 'links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'a.md'), '# A\n## Present\n');
    writeFileSync(join(root, 'img.png'), '');
    writeFileSync(
      join(root, 'README.md'),
      [
        '[ok](docs/a.md#present) [ok](#top) ![ok](img.png) [web](https://example.com/x#y)',
        '# Top',
        '[gone](docs/b.md)',
        '[no anchor](docs/a.md#absent)',
        '[into png](img.png#x)',
        '`[in code](nowhere.md)`',
      ].join('\n'),
    );
    expect(brokenLinks(root, 'README.md').map((link) => [link.line, link.target])).toEqual([
      [3, 'docs/b.md'],
      [4, 'docs/a.md#absent'],
      [5, 'img.png#x'],
    ]);
  });
});
