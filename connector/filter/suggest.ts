/** "Did you mean" and value descriptions for the filter's error messages. */
import { editDistance } from '../util/edit-distance.js';
import { list, operator, words, type Words } from '../words.js';

/**
 * The candidates closest to `input` (case-insensitive), best first: those within a small edit
 * distance, plus those that contain the input or are contained in it (for inputs of 3+ chars).
 */
export function closestMatches(input: string, candidates: readonly string[], limit = 3): string[] {
  const needle = input.toLowerCase();
  const threshold = needle.length <= 3 ? 1 : Math.max(2, Math.floor(needle.length / 3));
  const scored: Array<{ candidate: string; score: number }> = [];
  for (const candidate of new Set(candidates)) {
    const hay = candidate.toLowerCase();
    const distance = editDistance(needle, hay);
    if (distance <= threshold) {
      scored.push({ candidate, score: distance });
    } else if (needle.length >= 3 && (hay.includes(needle) || needle.includes(hay))) {
      scored.push({ candidate, score: threshold + 1 + Math.abs(hay.length - needle.length) / 100 });
    }
  }
  scored.sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, limit).map((s) => s.candidate);
}

/** ` Did you mean "a" or "b"?` (with a leading space), or "" when there is nothing close. */
export function didYouMean(input: string, candidates: readonly string[], limit = 3): string {
  return formatSuggestions(closestMatches(input, candidates, limit));
}

export function formatSuggestions(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return '';
  return ` Did you mean ${orList(suggestions.map((s) => JSON.stringify(s)))}?`;
}

/** `Did you mean "is" or "is_not"? ` with each operator a term, or nothing. */
export function suggestOperators(ids: readonly string[]): Words {
  if (ids.length === 0) return [];
  const named = ids.map((id) => operator(id));
  const last = named.pop() as ReturnType<typeof operator>;
  return named.length === 0
    ? words`Did you mean ${last}? `
    : words`Did you mean ${list(named)} or ${last}? `;
}

/** "a", "a or b", "a, b or c". */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** A short, JSON-ish rendering of a user-supplied value for error messages. */
export function describeValue(value: unknown, max = 60): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "an array", "a string", "null", ... for "got ..." phrases. */
export function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
