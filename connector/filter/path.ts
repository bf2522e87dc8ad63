/**
 * Property paths: `address.country`, `metadata.plan`, `metadata["signup.source"]`,
 * `metadata['account manager']`, `shipping.address.city`.
 *
 * Grammar (whitespace around the whole path is ignored):
 *
 *     path    := first ( '.' name | bracket )*
 *     first   := name | bracket
 *     name    := one or more characters other than . [ ] ' " and whitespace
 *     bracket := '[' ws* ( '"' chars '"' | "'" chars "'" | bare ) ws* ']'
 *
 * Inside quotes a backslash escapes the next character (`\"`, `\'`, `\\`). A bare bracket key
 * (`metadata[plan]`, Stripe's form-encoding style) runs to the closing `]`.
 *
 * Mapping expressions write the same paths in a grammar of their own (transform/expression/
 * parser.ts): there a name is an identifier (`-` and leading digits mean something else in an
 * expression), brackets hold a quoted key or an index, and quotes take JSON-like escapes. How a
 * path is shown and read is shared (util/value-path.ts).
 */
import { formatPath as formatValuePath } from '../util/value-path.js';

export type PathParse = { ok: true; segments: string[] } | { ok: false; problem: string };

const QUOTE_HINT =
  'quote keys that contain dots, spaces or brackets, e.g. metadata["signup.source"].';

export function parsePath(text: string): PathParse {
  const source = text.trim();
  if (source === '') return { ok: false, problem: 'the property path is empty.' };
  const segments: string[] = [];
  let i = 0;
  const fail = (what: string, hint = QUOTE_HINT): PathParse => ({
    ok: false,
    problem: `${what} at position ${i + 1} of ${JSON.stringify(source)}; ${hint}`,
  });
  let lastNameStart = -1;

  const readName = (): string => {
    const start = i;
    lastNameStart = i;
    while (i < source.length && !/[.[\]'"\s]/.test(source[i] ?? '')) i++;
    return source.slice(start, i);
  };

  const readBracket = (): string | PathParse => {
    i++; // '['
    while (/\s/.test(source[i] ?? '')) i++;
    const quote = source[i];
    let key = '';
    if (quote === '"' || quote === "'") {
      i++;
      let closed = false;
      while (i < source.length) {
        const ch = source[i] ?? '';
        if (ch === '\\') {
          if (i + 1 >= source.length) break;
          key += source[i + 1];
          i += 2;
          continue;
        }
        if (ch === quote) {
          closed = true;
          i++;
          break;
        }
        key += ch;
        i++;
      }
      if (!closed) return fail(`missing closing ${quote}`);
      while (/\s/.test(source[i] ?? '')) i++;
      if (source[i] !== ']') return fail('expected ] after the quoted key');
      i++;
    } else {
      const end = source.indexOf(']', i);
      if (end < 0) return fail('missing closing ]');
      key = source.slice(i, end).trim();
      if (/['"[]/.test(key)) return fail('unexpected quote or [ inside brackets');
      i = end + 1;
    }
    if (key === '') return fail('empty key in brackets');
    return key;
  };

  // first segment
  if (source[i] === '[') {
    const key = readBracket();
    if (typeof key !== 'string') return key;
    segments.push(key);
  } else {
    const name = readName();
    if (name === '') return fail(`unexpected ${JSON.stringify(source[i])}`);
    segments.push(name);
  }

  while (i < source.length) {
    const ch = source[i];
    if (ch === '.') {
      i++;
      const name = readName();
      if (name === '') {
        return fail(
          i >= source.length
            ? 'the path ends with a dot'
            : `unexpected ${JSON.stringify(source[i])} after a dot`,
        );
      }
      segments.push(name);
    } else if (ch === '[') {
      const key = readBracket();
      if (typeof key !== 'string') return key;
      segments.push(key);
    } else if (ch !== undefined && /\s/.test(ch)) {
      if (lastNameStart < 0 || /['"[\]]/.test(source.slice(lastNameStart)))
        return fail('unexpected space');
      const quoted = formatPath([...segments.slice(0, -1), source.slice(lastNameStart)]);
      return fail('unexpected space', `quote keys that contain spaces: ${quoted}.`);
    } else {
      return fail(`unexpected ${JSON.stringify(ch)}`);
    }
  }
  return { ok: true, segments };
}

/** Names this grammar reads unquoted (see `name` above) that also read well in messages. */
const PLAIN_NAME = /^[A-Za-z0-9_$-]+$/;

/** The canonical text of a path: plain names dotted, anything else as `["..."]`. */
export function formatPath(segments: readonly string[]): string {
  return formatValuePath(segments, PLAIN_NAME);
}
