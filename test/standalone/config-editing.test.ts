import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../connector';
import { loadConfigFile } from '../../standalone/config-file';
import { ConfigStore } from '../../standalone/config-store';
import { changeRows, readEditorForm } from '../../standalone/serve/editor-form';
import { renderEditor } from '../../standalone/serve/editor-page';
import {
  applyEditorDraft,
  readEditorDraft,
  removePipeline,
  writePipeline,
} from '../../standalone/pipeline-draft';

const ENV = { STRIPE_API_KEY: 'sk_test_from_env' };

function configFile(document: unknown, mode = 0o640): string {
  const path = join(mkdtempSync(join(tmpdir(), 'config-store-')), 'config.json');
  writeFileSync(path, JSON.stringify(document, null, 4), { mode });
  return path;
}

async function storeFor(document: unknown) {
  const path = configFile(document);
  const store = new ConfigStore(path, await loadConfigFile(path, ENV), { env: ENV });
  return { path, store };
}

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

const FORM_SHAPED = {
  name: 'pro',
  filter_match: 'all',
  filter_conditions: [{ property: 'metadata.plan', operator: 'is one of', values: ['pro'] }],
  transformation: { type: 'none' },
};

describe('config editing: what the page writes into the config file', () => {
  it('writes atomically with a backup, keeps what it did not edit, and never writes the key', async () => {
    const { path, store } = await storeFor({
      notes: 'unknown, kept',
      pipelines: [{ name: 'customers', enabled: false, extra_thing: undefined }],
    });
    const before = readFileSync(path, 'utf8');
    const version = store.current.version;
    const outcome = await store.save(version, (document) =>
      applyEditorDraft(
        document,
        {
          pipeline: { ...readEditorDraft(document, undefined).pipeline, name: 'eu' },
          model: [],
        },
        undefined,
      ),
    );
    expect(outcome.kind).toBe('saved');
    expect(read(path)).toEqual({
      notes: 'unknown, kept',
      pipelines: [{ name: 'customers', enabled: false }, { name: 'eu' }],
    });
    expect(readFileSync(`${path}.bak`, 'utf8')).toBe(before);
    // The file keeps its permissions, and no temporary file is left beside it.
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(path, '..')).sort()).toEqual(['config.json', 'config.json.bak']);
    expect(store.current.config.pipelines.map((p) => p.name)).toEqual(['customers', 'eu']);
    expect(store.current.config.connection.apiKey).toBe('sk_test_from_env');
  });

  it('refuses a save against another version, saying what changed, and writes nothing', async () => {
    const { path, store } = await storeFor({
      pipelines: [{ name: 'customers' }, { name: 'pro' }],
    });
    const opened = store.current.version;
    // Another browser saved meanwhile.
    await store.save(opened, (document) => removePipeline(document, 'pro'));
    const afterFirst = readFileSync(path, 'utf8');
    const second = await store.save(opened, (document) => ({
      ...document,
      requests_per_second: 5,
    }));
    expect(second).toMatchObject({ kind: 'conflict', changes: ['pipeline "pro" was deleted'] });
    expect(readFileSync(path, 'utf8')).toBe(afterFirst);
  });

  it("refuses what the engine's validation refuses, with its message, and writes nothing", async () => {
    const { path, store } = await storeFor({ pipelines: [{ name: 'customers' }] });
    const before = readFileSync(path, 'utf8');
    const outcome = await store.save(store.current.version, (document) => ({
      ...document,
      pipelines: [{ name: 'customers' }, { name: 'Customers' }],
    }));
    expect(outcome.kind).toBe('invalid');
    expect(outcome.kind === 'invalid' && String(outcome.error)).toMatch(
      /differs only in upper\/lower case/,
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('picks up a file changed on disk, and keeps the running version when the change is invalid', async () => {
    const { path, store } = await storeFor({ pipelines: [{ name: 'customers' }] });
    expect(await store.refresh()).toBeUndefined();
    writeFileSync(path, JSON.stringify({ pipelines: [{ name: 'customers' }, { name: 'b' }] }));
    const next = await store.refresh();
    expect(next?.config.pipelines.map((p) => p.name)).toEqual(['customers', 'b']);
    writeFileSync(path, JSON.stringify({ pipelnes: [] }));
    expect(await store.refresh()).toBeUndefined();
    expect(store.rejectedChange?.error).toMatch(/did you mean "pipelines"/);
    expect(store.current.config.pipelines.map((p) => p.name)).toEqual(['customers', 'b']);
  });

  it('validates alerts itself, hides them from the engine, and keeps them in the file', async () => {
    const alerts = { webhook_url: 'https://hooks.slack.com/services/T/B/x', on: ['failure'] };
    const { path, store } = await storeFor({ alerts, pipelines: [{ name: 'customers' }] });
    expect(store.current.alerts?.on).toEqual(new Set(['failure']));
    expect(store.current.config.warnings).toEqual([]);
    await store.save(store.current.version, (document) => removePipeline(document, 'nothing'));
    expect(read(path).alerts).toEqual(alerts);
    for (const [bad, message] of [
      [{ webhook_url: 'hooks.slack.com/x' }, /is not a URL: write it in full/],
      [{ webhook_url: 'ftp://x.example/y' }, /must be an http:\/\/ or https:\/\/ URL/],
      [{ webhook_url: 'https://x.example', on: ['failures'] }, /alerts\.on\[0\]` is "failures"/],
      [{ webhook_url: 'https://x.example', when: [] }, /`alerts\.when` is not a known field/],
      [{}, /`alerts\.webhook_url` is missing/],
    ] as const) {
      const file = configFile({ alerts: bad });
      await expect(loadConfigFile(file, ENV)).rejects.toThrow(message);
    }
  });

  it('reads a pipeline in any shape, and writes an unchanged filter back as it was written, so its fingerprint stays', () => {
    const document = { pipelines: [{ name: 'customers' }, FORM_SHAPED] };
    const draft = readEditorDraft(document, 'pro');
    expect(draft.pipeline.filter).toEqual({
      kind: 'rows',
      logical: 'all',
      conditions: [
        { property: 'metadata.plan', operator: 'is_one_of', values: ['pro'], caseSensitive: false },
      ],
    });
    // Only the description changed: the filter's spelling (and so the fingerprint) is kept.
    const edited = applyEditorDraft(
      document,
      { ...draft, pipeline: { ...draft.pipeline, description: 'Pro' } },
      'pro',
    );
    const fingerprint = (raw: unknown) =>
      parseConfig({ api_key: 'sk_test_x', ...(raw as object) }).pipelines[1]!.fingerprint;
    expect((edited.pipelines as unknown[])[1]).toEqual({ ...FORM_SHAPED, description: 'Pro' });
    expect(fingerprint(edited)).toBe(fingerprint(document));
    // A changed filter stays in the form's fields (filter_json holds nested groups too).
    const conditions =
      draft.pipeline.filter.kind === 'rows' ? draft.pipeline.filter.conditions : [];
    const changed = writePipeline(
      {
        ...draft.pipeline,
        filter: {
          kind: 'rows',
          logical: 'any',
          conditions: [...conditions, { ...conditions[0]!, values: ['team'] }],
        },
      },
      FORM_SHAPED,
    );
    expect(changed).toEqual({
      name: 'pro',
      transformation: { type: 'none' },
      filter_json: JSON.stringify({
        logical: 'any',
        conditions: [
          { property: 'metadata.plan', operator: 'is_one_of', values: ['pro'] },
          { property: 'metadata.plan', operator: 'is_one_of', values: ['team'] },
        ],
      }),
    });
  });

  it("keeps the engine's default pipeline when the first one is added, and writes typed values and nested groups", () => {
    const added = applyEditorDraft(
      { api_key: 'rk_live_x' },
      {
        pipeline: {
          ...readEditorDraft({}, undefined).pipeline,
          name: 'rich',
          filter: {
            kind: 'rows',
            logical: 'all',
            conditions: [
              {
                property: 'balance',
                operator: 'greater_than',
                values: ['100'],
                caseSensitive: false,
              },
              { property: 'delinquent', operator: 'is', values: ['false'], caseSensitive: false },
            ],
          },
        },
        model: [],
      },
      undefined,
    );
    expect(added).toEqual({
      api_key: 'rk_live_x',
      pipelines: [
        { name: 'customers' },
        {
          name: 'rich',
          filter: {
            logical: 'all',
            conditions: [
              { property: 'balance', operator: 'greater_than', values: [100] },
              { property: 'delinquent', operator: 'is', values: [false] },
            ],
          },
        },
      ],
    });
    const nested = { logical: 'any', conditions: [{ logical: 'all', conditions: [] }] };
    const draft = readEditorDraft({ pipelines: [{ name: 'n', filter: nested }] }, 'n');
    expect(draft.pipeline.filter).toEqual({ kind: 'json', text: JSON.stringify(nested, null, 2) });
  });

  it("reads the form's rows (mapping, Customer Model, code) into the config the engine validates", () => {
    const form = new URLSearchParams({
      version: 'v1',
      original: '',
      name: 'crm',
      description: '',
      enabled: 'on',
      schedule: '1h',
      on_error: 'skip',
      filter_mode: 'rows',
      logical: 'any',
      'c.0.property': 'email',
      'c.0.operator': 'ends_with',
      'c.0.values': '@example.com\r\n',
      transformation: 'mapping',
      'm.0.to': 'email',
      'm.0.from': 'lower(email)',
      'm.1.to': 'balance',
      'm.1.from': 'balance',
      'model.0.name': 'email',
      'model.0.type': 'string',
      'model.0.description': 'Lower-cased',
      'model.1.name': 'balance',
      'model.1.type': 'decimal',
      'model.1.nullable': 'on',
      'model.1.precision': '12',
      'model.1.scale': '2',
      'model.2.name': 'tags',
      'model.2.type': 'array',
      'model.2.nullable': 'on',
      'model.2.nested': '{"type": "string"}',
      op: 'save',
    });
    const posted = readEditorForm(form);
    expect(posted).toMatchObject({ version: 'v1', originalName: undefined, op: { kind: 'save' } });
    const document = applyEditorDraft({ api_key: 'sk_test_x' }, posted.draft, undefined);
    expect(document).toEqual({
      api_key: 'sk_test_x',
      pipelines: [
        { name: 'customers' },
        {
          name: 'crm',
          incremental: false,
          schedule: '1h',
          on_error: 'skip',
          filter: {
            logical: 'any',
            conditions: [{ property: 'email', operator: 'ends_with', values: ['@example.com'] }],
          },
          transformation: {
            type: 'mapping',
            mappings: [
              { to: 'email', from: 'lower(email)' },
              { to: 'balance', from: 'balance' },
            ],
          },
        },
      ],
      customer_model: [
        { name: 'email', type: 'string', nullable: false, description: 'Lower-cased' },
        { name: 'balance', type: 'decimal', precision: 12, scale: 2 },
        { name: 'tags', type: 'array', items: { type: 'string' } },
      ],
    });
    expect(parseConfig(document).pipelines[1]!.onError).toBe('skip');

    // Code, and the row buttons: the server redraws the form with a row more or less.
    const code = readEditorForm(
      new URLSearchParams({
        name: 'js',
        transformation: 'javascript',
        source: 'function transform(c) {\r\n  return { email: c.email };\r\n}',
        timeout_ms: '500',
        op: 'remove:property:0',
        'model.0.name': 'email',
        'model.0.type': 'string',
      }),
    );
    expect(code.op).toEqual({ kind: 'remove', list: 'property', index: 0 });
    expect(code.draft.pipeline.transformation).toEqual({
      type: 'javascript',
      source: 'function transform(c) {\n  return { email: c.email };\n}',
      timeoutMs: '500',
      memoryLimitMb: '',
    });
    expect(changeRows(code.draft, code.op).model).toEqual([]);
    const added = changeRows(code.draft, { kind: 'add', list: 'condition' });
    expect(added.pipeline.filter).toEqual({
      kind: 'rows',
      logical: 'all',
      conditions: [{ property: '', operator: '', values: [], caseSensitive: false }],
    });
  });

  it('marks the field an error names by its config path, and only that one', () => {
    const draft = readEditorDraft({ pipelines: [{ name: 'customers' }, FORM_SHAPED] }, 'pro');
    const render = (errorAt: Array<string | number>) =>
      renderEditor({
        draft,
        version: 'v',
        originalName: 'pro',
        index: 1,
        error: 'operator "is_true" does not apply to string property "metadata.plan".',
        errorAt,
        destination: 'duckdb:w.duckdb',
        timeZone: 'UTC',
      });
    const invalid = (html: string) =>
      [...html.matchAll(/data-at="([^"]+)" aria-invalid="true"/g)].map((match) =>
        match[1]!.replace(/&quot;/g, '"'),
      );
    expect(invalid(render(['pipelines', 1, 'filter', 'conditions', 0, 'operator']))).toEqual([
      '["pipelines",1,"filter","conditions",0,"operator"]',
    ]);
    // An error about a place inside a field (a value of the values list) marks that field.
    expect(invalid(render(['pipelines', 1, 'filter', 'conditions', 0, 'values', 1]))).toEqual([
      '["pipelines",1,"filter","conditions",0,"values"]',
    ]);
    expect(invalid(render(['pipelines', 0, 'name']))).toEqual([]);
  });
});
