/**
 * A condition's `values`, coerced to the operands its property type compares with: text for
 * text and lists, numbers (also from numeric text), booleans (also "true"/"false"), and time
 * ranges for timestamps (see dates.ts). Form fields often hold every value as text, hence the
 * coercions; anything else is a problem naming the value, the property and the fix.
 */
import { operator as op, propertyType, words, type ConfigPath, type Words } from '../words.js';
import { TIME_VALUE_HELP, type TimeRange, parseTimeValue } from './dates.js';
import type { OperatorInfo } from './operators.js';
import type { Operand } from './predicates.js';
import { describeValue, didYouMean } from './suggest.js';
import type { PropertyInfo } from './properties.js';

export type CoercedValues =
  /** `relative`: some date is relative ("30 days ago"), so the filter moves with time. */
  | { ok: true; operands: Operand[]; relative: boolean }
  /** Every problem, each placed within the condition (`["values", 1]`). */
  | { ok: false; problems: ValueProblem[] };

export interface ValueProblem {
  at: ConfigPath;
  problem: Words;
  fix?: Words;
}

const NUMERIC_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

export function coerceValues(
  operator: OperatorInfo,
  property: PropertyInfo,
  rawValues: readonly unknown[],
  caseSensitive: boolean,
  now: Date,
): CoercedValues {
  const operands: Operand[] = [];
  const problems: ValueProblem[] = [];
  let relative = false;
  const fail = (index: number, problem: Words, fix?: Words): void => {
    problems.push({ at: ['values', index], problem, ...(fix ? { fix } : {}) });
  };
  const { type, path } = property;
  rawValues.forEach((raw, index) => {
    const shown = describeValue(raw);
    switch (type) {
      case 'string':
      case 'array': {
        let text: string | undefined;
        if (typeof raw === 'string') text = raw;
        else if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean')
          text = String(raw);
        if (text === undefined) {
          fail(
            index,
            [
              `must be text for ${type === 'array' ? 'list' : 'text'} property "${path}", got ${raw === null ? 'null' : shown}`,
            ],
            raw === null
              ? words`To match missing values use ${op('is_null', false)} / ${op('is_empty', false)}`
              : undefined,
          );
          return;
        }
        if (text === '') {
          fail(
            index,
            ['empty text'],
            words`To match empty or missing values use ${op('is_empty', false)} (or ${op('is_not_empty', false)} for the opposite)`,
          );
          return;
        }
        const enumValues = property.enumValues;
        if (enumValues && ['is', 'is_not', 'is_one_of', 'is_not_one_of'].includes(operator.id)) {
          const fold = caseSensitive ? (s: string) => s : (s: string) => s.toLowerCase();
          if (!enumValues.some((e) => fold(e) === fold(text))) {
            const hint = didYouMean(text, enumValues).trim();
            fail(
              index,
              [`${shown} is not a possible value of "${path}"`],
              [`${hint ? `${hint} ` : ''}Possible values: ${enumValues.join(', ')}`],
            );
            return;
          }
        }
        operands.push(text);
        return;
      }
      case 'number': {
        let n: number | undefined;
        if (typeof raw === 'number' && Number.isFinite(raw)) n = raw;
        else if (typeof raw === 'string' && NUMERIC_TEXT.test(raw)) n = Number(raw);
        if (n === undefined) {
          fail(
            index,
            words`must be a number for ${propertyType('number')} property "${path}", got ${shown}`,
            raw === null ? words`To match missing values use ${op('is_null', false)}` : undefined,
          );
          return;
        }
        operands.push(n);
        return;
      }
      case 'boolean': {
        let b: boolean | undefined;
        if (typeof raw === 'boolean') b = raw;
        else if (typeof raw === 'string' && /^\s*(true|false)\s*$/i.test(raw))
          b = raw.trim().toLowerCase() === 'true';
        if (b === undefined) {
          fail(
            index,
            words`must be true or false for ${propertyType('boolean')} property "${path}", got ${shown}`,
            words`Or use ${op('is_true', false)} / ${op('is_false', false)} without values`,
          );
          return;
        }
        operands.push(b);
        return;
      }
      case 'timestamp': {
        const parsed = parseTimeValue(raw, now);
        if (!parsed.ok) {
          fail(index, [`not a valid date for "${path}": ${parsed.problem}`], [TIME_VALUE_HELP]);
          return;
        }
        if (parsed.relative) relative = true;
        operands.push(parsed.range);
        return;
      }
      default:
        fail(index, words`cannot be compared with ${propertyType(type)} property "${path}"`);
    }
  });
  if (problems.length > 0) return { ok: false, problems };

  if (operator.values === 'two') {
    const [low, high] = operands;
    const lowStart = type === 'timestamp' ? (low as TimeRange).start : (low as number);
    const highEnd = type === 'timestamp' ? (high as TimeRange).end : (high as number);
    if (lowStart > highEnd) {
      return {
        ok: false,
        problems: [
          {
            at: ['values'],
            problem: words`operator ${op(operator.id)} needs values in the order [low, high], got [${describeValue(rawValues[0])}, ${describeValue(rawValues[1])}] where low is after high`,
            fix: ['Swap them'],
          },
        ],
      };
    }
  }
  return { ok: true, operands, relative };
}
