/**
 * The Airbyte shell's words for the engine's config errors: the form's titles and row numbers,
 * operators by the labels of the form's condition rows, the path inside a JSON text field as
 * written. Each config error is placed (`at`) by the engine; only the wording is the shell's.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, describeError, parseConfig, type ConfigPath } from '../../connector';
import { formWording } from '../../protocol/form-words';

const KEY = 'sk_test_form_words';

function refused(config: Record<string, unknown>): { error: ConfigError; words: string } {
  const raw = { api_key: KEY, ...config };
  try {
    parseConfig(raw, new Date('2026-01-15T12:00:00Z'));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { error: error as ConfigError, words: describeError(error, formWording(raw)) };
  }
  throw new Error('expected a ConfigError');
}

describe('config errors in the words of Airbyte’s form', () => {
  it('a condition row: pipeline and row by what the form lists them by, the field by its title', () => {
    const { error, words } = refused({
      pipelines: [{ name: 'eu', filter_conditions: [{ property: 'email', operator: 'is true' }] }],
    });
    expect(error.at).toEqual(['pipelines', 0, 'filter_conditions', 0, 'operator']);
    expect(words).toMatch(
      /^Pipelines › row 1 \(eu\) › Filter conditions › row 1 \(email\) › Operator: operator "is true" does not apply to string property "email"\. Operators for string properties: is, is not, is one of,/,
    );
  });

  it('operators keep their ids in a filter written as JSON, where ids are what is written', () => {
    const { words } = refused({
      pipelines: [
        {
          name: 'eu',
          filter_json: '{"conditions": [{"property": "email", "operator": "is_true"}]}',
        },
      ],
    });
    expect(words).toMatch(
      /^Pipelines › row 1 \(eu\) › Filter as JSON › conditions\[0\]\.operator: operator "is_true" does not apply to string property "email"\. Operators for string properties: is, is_not,/,
    );
  });

  it('a value of a row by its number', () => {
    const { words } = refused({
      pipelines: [
        {
          name: 'eu',
          filter_conditions: [
            { property: 'balance', operator: 'is between', values: ['1', 'lots'] },
          ],
        },
      ],
    });
    expect(words).toMatch(
      /^Pipelines › row 1 \(eu\) › Filter conditions › row 1 \(balance\) › Values › value 2: must be a number/,
    );
  });

  it('fields named in the sentence by their titles', () => {
    const { words } = refused({
      pipelines: [
        {
          name: 'eu',
          filter_json: '{}',
          filter_conditions: [{ property: 'email', operator: 'is not empty' }],
        },
      ],
    });
    expect(words).toBe(
      'Pipelines › row 1 (eu): its filter is set twice, in "Filter conditions" and "Filter as JSON": the connector cannot tell which one you mean. Keep "Filter conditions" for a flat list of conditions, or "Filter as JSON" for nested groups (it can hold the conditions too), and clear the other.',
    );
  });

  it('a transformation by its kind, a Customer Model row by its name', () => {
    expect(
      refused({ pipelines: [{ name: 'eu', transformation: { type: 'mapping', mappings: [] } }] })
        .words,
    ).toBe(
      'Pipelines › row 1 (eu) › Transformation (Mapping) › Columns: needs at least one column. Add one.',
    );
    expect(
      refused({ customer_model: [{ name: 'tags', type: 'map', nested_json: '{"type": "strng"}' }] })
        .words,
    ).toMatch(
      /^Customer Model › row 1 \(tags\) › Nested type as JSON › type: "strng" is not a type/,
    );
    expect(
      refused({
        customer_model: [
          { name: 'a', type: 'string' },
          { name: 'A', type: 'string' },
        ],
      }).words,
    ).toMatch(
      /^Customer Model › row 2 \(A\) › Name: "A" is already used by Customer Model › row 1 \(a\)/,
    );
  });

  it('top-level fields by their titles; several problems listed', () => {
    const { words } = refused({ max_share_of_rate_limits: 3, start_date: 'soon' });
    expect(words).toBe(
      "The config has 2 problems:\n- Start date: malformed. A UTC date like 2024-01-01 or a date-time like 2024-01-01T00:00:00Z: only customers created at or after it are imported. Leave empty to import all.\n- Share of Stripe's rate limits: must be <= 1.",
    );
  });

  it('within a stream, its pipeline goes without saying', () => {
    const raw = { api_key: KEY, pipelines: [{ name: 'eu', on_error: 'fail' }] };
    const within: ConfigPath = ['pipelines', 0];
    const wording = formWording(raw, within);
    expect(wording.place(within)).toBe('');
    expect(wording.place([...within, 'transformation'])).toBe('Transformation');
    expect(
      describeError(
        new ConfigError({
          at: within,
          problem: 'customer cus_1 failed',
          fix: [
            'set ',
            { kind: 'field', at: [...within, 'on_error'] },
            ' to ',
            { kind: 'value', of: [...within, 'on_error'], value: 'skip' },
          ],
        }),
        wording,
      ),
    ).toBe('Customer cus_1 failed. Set "On transformation error" to "skip".');
  });
});
