import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStreams, parseConfig, redactSecrets } from '../../connector';
import { parseDestination, redactPassword } from '../../standalone/destination';
import { exitCodeFor } from '../../command-line/exit-codes';
import { formatLogLine } from '../../standalone/serve/log-line';
import { renderPage } from '../../standalone/serve/page';
import { summarizeFilter } from '../../standalone/serve/filter-summary';
import { withAdvice } from '../../standalone/sync/advice';
import { closingNotes } from '../../standalone/sync/pipeline-run';
import { SkipWarnings } from '../../standalone/sync/skip-warnings';
import { parseSchedule } from '../../standalone/serve/schedule';
import { rowEncoder, tableLayout, type Alterations } from '../../standalone/warehouse';
import { MODEL, PRO_PIPELINE } from './support/fixtures';

describe('destination URLs', () => {
  it('reads DuckDB files and PostgreSQL URLs, with an optional schema, and never shows a password', () => {
    expect(parseDestination('duckdb:./stripe_customers.duckdb')).toEqual({
      kind: 'duckdb',
      path: resolve('stripe_customers.duckdb'),
      schema: 'main',
      settings: {},
      display: 'duckdb:./stripe_customers.duckdb',
      secrets: [],
    });
    expect(parseDestination('duckdb:/data/w.duckdb?schema=stripe&memory_limit=1GB')).toMatchObject({
      path: '/data/w.duckdb',
      schema: 'stripe',
      settings: { memory_limit: '1GB' },
    });
    const postgres = parseDestination(
      'postgres://sync:s3cret@db.example:5433/warehouse?schema=stripe&sslmode=require',
    );
    expect(postgres).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://sync:s3cret@db.example:5433/warehouse?sslmode=require',
      schema: 'stripe',
      display: 'postgres://sync:***@db.example:5433/warehouse?sslmode=require',
      secrets: ['s3cret'],
    });
    expect(parseDestination('postgresql://db/warehouse')).toMatchObject({ schema: 'public' });
  });

  it('masks the password in every URL form, and knows it as written and decoded', () => {
    const forms: Array<[url: string, secrets: string[]]> = [
      ['postgres://sync:Pw-1secret@db:5432/w', ['Pw-1secret']],
      ['postgres://sync@db/w?password=Pw-2secret&sslmode=require', ['Pw-2secret']],
      [
        'postgresql://sync@db/w?sslmode=verify-full&sslkey=/keys/client.key&sslpassword=Pw-3secret',
        ['Pw-3secret'],
      ],
      ['postgres://sync:Pw%404secret%3A@db/w', ['Pw%404secret%3A', 'Pw@4secret:']],
      ['postgres://sync@db/w?password=Pw%205secret', ['Pw%205secret', 'Pw 5secret']],
      ['postgres://sync@db/w?PASSWORD=Pw-6secret', ['Pw-6secret']],
      ['postgres://sync:Pw@7secret@db/w?schema=stripe', ['Pw%407secret', 'Pw@7secret']],
      ['duckdb:./w.duckdb?s3_secret_access_key=Pw-8secret&threads=2', ['Pw-8secret']],
    ];
    for (const [url, secrets] of forms) {
      const destination = parseDestination(url);
      expect(destination.secrets, url).toEqual(secrets);
      // Every password here starts with Pw: no part of one is shown.
      expect(destination.display, url).not.toMatch(/Pw/);
      expect(destination.display, url).toContain('***');
    }
    // What is not secret stays readable: the user, host, database and other parameters.
    expect(parseDestination(forms[2]![0]).display).toBe(
      'postgresql://sync@db/w?sslmode=verify-full&sslkey=/keys/client.key&sslpassword=***',
    );
    expect(parseDestination(forms[6]![0]).display).toBe('postgres://sync:***@db/w');
    // Text that quotes a URL, such as an error from elsewhere, is masked too.
    expect(
      redactPassword(
        'could not connect to postgres://u:hunter22@h/db?sslmode=require&password=x9secret (refused)',
      ),
    ).toBe('could not connect to postgres://u:***@h/db?sslmode=require&password=*** (refused)');
  });

  it('refuses anything else with the forms it takes, without echoing a password', () => {
    expect(() => parseDestination('mysql://root:hunter2@db/x')).toThrow(
      /"mysql:\/\/root:\*\*\*@db\/x" is not a destination: use duckdb:.* or postgres:\/\//,
    );
    expect(() => parseDestination('duckdb:')).toThrow(/names no file/);
    expect(() => parseDestination('duckdb:x.duckdb?schema=bad-name')).toThrow(/not a plain name/);
  });
});

describe('schedules', () => {
  const pipeline = (schedule?: string) =>
    parseConfig({ api_key: 'sk_test_x', pipelines: [{ name: 'nightly', schedule }] }).pipelines[0]!;

  it('reads intervals as round-time cron expressions, and cron expressions as written', () => {
    expect(parseSchedule(pipeline('1h'), 'UTC')).toEqual({
      written: '1h',
      cron: '0 * * * *',
      label: 'every 1h',
    });
    expect(parseSchedule(pipeline('5m'), 'UTC')?.cron).toBe('*/5 * * * *');
    expect(parseSchedule(pipeline('24h'), 'UTC')?.cron).toBe('0 0 * * *');
    expect(parseSchedule(pipeline('0 6 * * 1-5'), 'Europe/Paris')).toMatchObject({
      cron: '0 6 * * 1-5',
      label: 'cron 0 6 * * 1-5',
    });
    expect(parseSchedule(pipeline(undefined), 'UTC')).toBeUndefined();
  });

  it('refuses what it cannot read, naming the pipeline and the forms it takes', () => {
    expect(() => parseSchedule(pipeline('every hour'), 'UTC')).toThrow(
      /pipelines\[0\] \("nightly"\): schedule "every hour" is neither an interval \(5m, 15m, 30m, 1h, 2h, 3h, 6h, 8h, 12h, 24h\) nor a cron expression/,
    );
    expect(() => parseSchedule(pipeline('7m'), 'UTC')).toThrow(/schedule "7m"/);
  });
});

describe('filter summaries', () => {
  it('says what a filter selects in one line, groups in parentheses', () => {
    expect(summarizeFilter(undefined)).toBe('every customer');
    expect(summarizeFilter(PRO_PIPELINE.filter)).toBe('metadata.plan is pro');
    expect(
      summarizeFilter({
        logical: 'any',
        conditions: [
          { property: 'address.country', operator: 'is one of', values: ['FR', 'DE'] },
          {
            logical: 'all',
            conditions: [
              { property: 'balance', operator: 'is_between', values: [0, 100] },
              { property: 'email', operator: 'is_not_empty' },
            ],
          },
        ],
      }),
    ).toBe(
      'address.country is one of FR, DE or (balance is between 0 and 100 and email is not empty)',
    );
    // Operators spelled as loosely as the engine accepts them.
    expect(
      summarizeFilter({
        conditions: [
          { property: 'balance', operator: 'Is-Between', values: [0, 100] },
          { property: 'email', operator: 'IS NOT EMPTY' },
        ],
      }),
    ).toBe('balance is between 0 and 100 and email is not empty');
  });
});

describe('tables and rows', () => {
  const config = parseConfig({
    api_key: 'sk_test_x',
    customer_model: MODEL,
    pipelines: [{ name: 'customers' }, PRO_PIPELINE],
  });
  const [passThrough, mapped] = describeStreams(config);

  it('types columns from the stream schema, refined by the model, key first', () => {
    const customers = tableLayout(passThrough!);
    expect(customers.columns[0]).toEqual({ name: 'id', kind: { type: 'text' } });
    const kind = (name: string) =>
      customers.columns.find((column) => column.name === name)?.kind.type;
    expect([
      kind('balance'),
      kind('address'),
      kind('delinquent'),
      kind('_ab_cdc_deleted_at'),
      kind('_extra'),
    ]).toEqual(['bigint', 'json', 'boolean', 'timestamptz', 'json']);
    const pro = tableLayout(mapped!, config.model);
    expect(pro.primaryKey).toBe('_stripe_id');
    expect(pro.columns.map((column) => column.name)).toEqual([
      '_stripe_id',
      'email',
      'plan',
      'balance',
      'signed_up',
      'metadata',
      '_stripe_updated',
      '_stripe_is_deleted',
      '_ab_cdc_deleted_at',
    ]);
    expect(pro.columns.find((column) => column.name === 'balance')!.kind).toEqual({
      type: 'decimal',
      precision: 12,
      scale: 2,
    });
    expect(pro.extra).toBeUndefined();
    const long = tableLayout({ ...passThrough!, name: `p${'x'.repeat(62)}` });
    expect(long.stagingTable.length).toBeLessThanOrEqual(63);
  });

  it('keeps values that do not fit their column, and unknown keys, in _extra; makes text storable', () => {
    const layout = tableLayout(passThrough!);
    const alterations: Alterations = { misfits: 0, replacedCharacters: 0 };
    const record = {
      id: 'cus_1',
      email: 42,
      balance: '12',
      name: 'a\u0000b\ud800',
      surprise: { deep: ['x\u0000'] },
      is_deleted: false,
    };
    const cell = (row: { cells: unknown[] }, name: string) =>
      row.cells[layout.columns.findIndex((column) => column.name === name)];
    const postgres = rowEncoder(layout, { allowsNul: false })(record, alterations);
    expect(cell(postgres, 'email')).toBeNull();
    expect(cell(postgres, 'name')).toBe('a\uFFFDb\uFFFD');
    expect(JSON.parse(cell(postgres, '_extra') as string)).toEqual({
      email: 42,
      balance: '12',
      surprise: { deep: ['x\uFFFD'] },
    });
    expect(alterations).toEqual({ misfits: 2, replacedCharacters: 2 });
    const duckdb = rowEncoder(layout, { allowsNul: true })(record, alterations);
    expect(cell(duckdb, 'name')).toBe('a\u0000b\uFFFD');
    expect(postgres.deleted).toBe(false);
  });
});

describe('what a run tells', () => {
  it('lists the first ten customers skipped after errors, then how many more', () => {
    const warnings = new SkipWarnings();
    const skip = (from: number, count: number) =>
      Array.from({ length: count }, (_, index) => ({
        id: `cus_${from + index}`,
        cause: 'error' as const,
        reason: 'transformation failed: no luck',
      }));
    const first = warnings.lines([...skip(0, 4), { id: 'cus_null', cause: 'transformation' }]);
    expect(first).toEqual(
      [0, 1, 2, 3].map(
        (n) =>
          `skipped customer cus_${n}: transformation failed: no luck (on_error: skip; its row from earlier runs is kept).`,
      ),
    );
    expect(warnings.lines(skip(4, 30))).toHaveLength(6);
    expect(warnings.lines(skip(34, 5))).toEqual([]);
    expect(warnings.closing()).toBe(
      'and 29 more customer(s) skipped after errors, not listed one by one (the first 10 are above; the summary counts them all).',
    );
    expect(new SkipWarnings().closing()).toBeUndefined();
  });

  it("words the engine's topics in the standalone's own terms, never another platform's", () => {
    const changed = withAdvice('Pipeline "pro": its definition changed.', 'definition_changed');
    expect(changed).toMatch(/^Pipeline "pro": its definition changed\. This import is staged: /);
    expect(changed).toMatch(
      /rows it leaves out are deleted then \(marked deleted with --soft-delete\)/,
    );
    const expired = withAdvice('Pipeline "pro": the saved cursor expired.', 'cursor_expired');
    expect(expired).toMatch(/customers deleted during the gap are removed then/);
    for (const text of [changed, expired]) expect(text).not.toMatch(/Airbyte|Refresh and remove/);
    expect(withAdvice('plain', undefined)).toBe('plain');
  });

  it('says when changes wait for the next run, and counts skips of both kinds', () => {
    const report = {
      pipeline: 'customers',
      table: 'customers',
      status: 'succeeded_with_skips' as const,
      startedAt: 0,
      seconds: 1,
      read: 10,
      inserted: 5,
      updated: 0,
      deleted: 0,
      filteredOut: 0,
      skipped: 1,
      errors: 3,
      skippedAfterErrors: 2,
      notes: [],
    };
    const facts = { misfits: 0, replacedCharacters: 0, extraColumn: undefined, settleSeconds: 10 };
    expect(closingNotes(report, { ...facts, malformed: 1, settlingEvents: 3 })).toEqual([
      '2 skipped after errors (on_error: skip): rows imported for them earlier are kept; the WARN lines say why.',
      '1 customer object(s) from Stripe were too malformed to key and were left out (the WARN lines name what they could).',
      '1 skipped by the transformation (it returned null): rows imported for them earlier are kept.',
      '3 change(s) made in the last 10 s come with the next run (events that recent may still be listed late, so they are left to settle).',
    ]);
    expect(
      closingNotes(
        { ...report, status: 'succeeded', skipped: 0, errors: 0, skippedAfterErrors: 0 },
        { ...facts, malformed: 0, settlingEvents: 0 },
      ),
    ).toEqual([]);
  });

  it('exits with the code of the failure a retry will not fix: 2, then 1, then 3', () => {
    expect(exitCodeFor([])).toBe(0);
    expect(exitCodeFor(['transient'])).toBe(3);
    expect(exitCodeFor(['data'])).toBe(1);
    expect(exitCodeFor(['system', 'transient'])).toBe(1);
    expect(exitCodeFor(['transient', 'data', 'config'])).toBe(2);
  });

  it('shows a run with skips on the page as such, not plain green, even one recorded as succeeded with 250 errors', () => {
    const run = (status: 'succeeded' | 'succeeded_with_skips', errors: number) => ({
      runId: `r-${status}`,
      pipeline: 'customers',
      trigger: 'sync' as const,
      startedAt: 0,
      finishedAt: 1_000,
      status,
      errors,
    });
    const html = renderPage({
      destination: 'duckdb:w.duckdb',
      timeZone: 'UTC',
      now: 0,
      pipelines: [
        {
          name: 'customers',
          table: 'customers',
          incremental: true,
          filter: 'every customer',
          enabled: true,
          enabledBy: 'config',
          configEnabled: true,
          stale: false,
          lastRuns: [run('succeeded_with_skips', 2), run('succeeded', 250), run('succeeded', 0)],
        },
      ],
    });
    const items = [
      ...html.matchAll(
        /<li class="(st-[a-z_]+)"><span class="status st-[a-z_]+">([a-z ]+)<\/span>/g,
      ),
    ];
    expect(items.map((item) => [item[1], item[2]])).toEqual([
      ['st-succeeded_with_skips', 'succeeded with skips'],
      ['st-succeeded_with_skips', 'succeeded with skips'],
      ['st-succeeded', 'succeeded'],
    ]);
    expect(html).toMatch(/\.st-succeeded_with_skips \.status[^{]*\{ color: #9a6700; \}/);
    expect(html).toContain('All good: 1 pipeline(s) · 1 with skips');
  });

  it("starts every line of serve's log about a pipeline with its name, even when the message quotes it", () => {
    const at = new Date(Date.UTC(2026, 10, 25, 14));
    expect(
      formatLogLine(
        at,
        'ERROR',
        'pro',
        'the run failed (0 read): Pipeline "pro": Stripe answered 500.',
      ),
    ).toBe(
      '2026-11-25T14:00:00.000Z ERROR pro: the run failed (0 read): Pipeline "pro": Stripe answered 500.\n',
    );
    expect(formatLogLine(at, 'INFO', undefined, 'stopped.')).toBe(
      '2026-11-25T14:00:00.000Z INFO stopped.\n',
    );
  });
});

describe('secrets in messages', () => {
  it('scrubs Stripe keys and webhook signing secrets, whole or masked', () => {
    expect(
      redactSecrets(
        'key sk_live_51Habc*** and rk_test_9zZ, secret whsec_5f3K+a/b=c_d-e, masked whsec_****wxyz.',
      ),
    ).toBe(
      'key sk_live_[redacted] and rk_test_[redacted], secret whsec_[redacted], masked whsec_[redacted].',
    );
  });
});
