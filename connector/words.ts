/**
 * Error text as data. What the engine says about a config names fields, operators and types that
 * each shell calls something else (Airbyte's form titles, n8n's field labels, the standalone
 * tool's config path): those parts stay terms, and a shell's `Wording` turns them into its own
 * words. No shell takes a finished sentence apart.
 */
import { formatPath, IDENTIFIER, type PathSegment } from './util/value-path';

export type { PathSegment };

/**
 * Where in the config: keys and list indices from its root, e.g.
 * `["pipelines", 0, "filter", "conditions", 2, "operator"]`. Empty: the config as a whole (or
 * nothing in it: a flag, a file, a saved state).
 */
export type ConfigPath = readonly PathSegment[];

/** A part of a sentence that each shell words its own way. */
export type Term =
  /** A config field; `text` is how the engine says it in this sentence, when not by its path. */
  | { readonly kind: 'field'; readonly at: ConfigPath; readonly text?: string }
  /** A value of a field that takes a few (`on_error`'s "skip"). */
  | { readonly kind: 'value'; readonly of: ConfigPath; readonly value: string }
  /** A filter operator, by id; `quoted` inside a sentence, bare in a list. */
  | { readonly kind: 'operator'; readonly id: string; readonly quoted: boolean }
  /** The type of a filter property (string, number, timestamp, boolean, array, object). */
  | { readonly kind: 'property_type'; readonly type: string };

/** A sentence, or a part of one: text and terms. */
export type Words = readonly (string | Term)[];

export const field = (at: ConfigPath, text?: string): Term => ({
  kind: 'field',
  at,
  ...(text === undefined ? {} : { text }),
});
export const value = (of: ConfigPath, given: string): Term => ({ kind: 'value', of, value: given });
export const operator = (id: string, quoted = true): Term => ({ kind: 'operator', id, quoted });
export const propertyType = (type: string): Term => ({ kind: 'property_type', type });

/** `a, b, c` with each item a term or text. */
export function list(items: ReadonlyArray<string | Term>, separator = ', '): Words {
  return items.flatMap((item, index) => (index === 0 ? [item] : [separator, item]));
}

/** Builds words from a template: `` words`operator ${operator(id)} does not apply` ``. */
export function words(
  strings: TemplateStringsArray,
  ...parts: ReadonlyArray<string | number | Term | Words>
): Words {
  const out: Array<string | Term> = [];
  strings.forEach((text, index) => {
    out.push(text);
    if (index >= parts.length) return;
    const part = parts[index] as string | number | Term | Words;
    if (typeof part === 'string' || typeof part === 'number') out.push(String(part));
    else if (Array.isArray(part)) out.push(...(part as Words));
    else out.push(part as Term);
  });
  return joinText(out);
}

/** Text or words, as words (adjacent text merged). */
export const asWords = (text: string | Words): Words =>
  typeof text === 'string' ? [text] : joinText(text);

/** Adjacent text merged, empty text dropped. */
function joinText(parts: ReadonlyArray<string | Term>): Words {
  const out: Array<string | Term> = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (typeof part === 'string') {
      if (part === '') continue;
      if (typeof last === 'string') out[out.length - 1] = last + part;
      else out.push(part);
    } else out.push(part);
  }
  return out;
}

/**
 * How a shell says the engine's terms. Each term comes with `near`, the place of the problem the
 * sentence is about (a field beside it can be named shortly; an operator in a form's rows by its
 * label there).
 */
export interface Wording {
  /** Where a problem is, at the start of a message ('' for the config as a whole). */
  place(at: ConfigPath): string;
  field(term: Extract<Term, { kind: 'field' }>, near: ConfigPath): string;
  value(term: Extract<Term, { kind: 'value' }>, near: ConfigPath): string;
  operator(term: Extract<Term, { kind: 'operator' }>, near: ConfigPath): string;
  propertyType(type: string, near: ConfigPath): string;
  /** The first line of a list of problems found at `at`. */
  problems(at: ConfigPath, count: number): string;
}

/** Words as one text, in a shell's wording; `near` is the place of the problem they are about. */
export function say(text: Words, wording: Wording, near: ConfigPath = []): string {
  return text
    .map((part) => {
      if (typeof part === 'string') return part;
      switch (part.kind) {
        case 'field':
          return wording.field(part, near);
        case 'value':
          return wording.value(part, near);
        case 'operator':
          return wording.operator(part, near);
        case 'property_type':
          return wording.propertyType(part.type, near);
      }
    })
    .join('');
}

/** The name of the list entry at `at` (a pipeline, a model row), when it has one. */
export type NameLookup = (at: ConfigPath) => string | undefined;

/** Names read from a config as written: list entries that are objects with a `name`. */
export function namesIn(config: unknown): NameLookup {
  return (at) => {
    if (typeof at[at.length - 1] !== 'number') return undefined;
    let current: unknown = config;
    for (const segment of at) {
      if (typeof current !== 'object' || current === null) return undefined;
      current = (current as Record<PathSegment, unknown>)[segment];
    }
    const name = (current as { name?: unknown } | null | undefined)?.name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  };
}

/**
 * A config path as the config file writes it: `pipelines[0] ("eu").filter.conditions[2]`, the
 * entries that have a name named after their index.
 */
export function configPathText(at: ConfigPath, names: NameLookup = () => undefined): string {
  let text = '';
  at.forEach((segment, index) => {
    text = formatPath([segment], IDENTIFIER, text);
    if (typeof segment !== 'number') return;
    const name = names(at.slice(0, index + 1));
    if (name !== undefined) text += ` (${JSON.stringify(name)})`;
  });
  return text;
}

/** How many leading segments two paths share. */
function sharedPrefix(a: ConfigPath, b: ConfigPath): number {
  let shared = 0;
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared++;
  return shared;
}

/** Whether `at` lies within `prefix` (or is it). */
export function isWithin(at: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length <= at.length && prefix.every((segment, index) => at[index] === segment);
}

/**
 * The engine's own wording, for `message` (logs, the CLI): config paths as the file writes them,
 * operator ids and type names as the config takes them. A field named inside a sentence is shown
 * relative to the problem's place when it lies within it (`filter_json` beside `pipelines[0]`).
 */
export function configWording(names: NameLookup = () => undefined): Wording {
  return {
    place: (at) => configPathText(at, names),
    field: (term, near) => {
      if (term.text !== undefined) return term.text;
      // An entry (a pipeline, a model row) is named by its path and name; a key by its path,
      // from where it parts from the problem's place when that is by a key (`filter_json`
      // beside `pipelines[0]`, `timeout_ms` beside `...transformation.source`), or by its own
      // name when it is the place itself.
      const last = term.at[term.at.length - 1];
      if (typeof last === 'number') return configPathText(term.at, names);
      const shared = sharedPrefix(term.at, near);
      const rest = term.at.slice(shared);
      const shown =
        shared === term.at.length && last !== undefined
          ? formatPath([last], IDENTIFIER)
          : shared > 0 && typeof rest[0] === 'string'
            ? formatPath(rest, IDENTIFIER)
            : configPathText(term.at, names);
      return `\`${shown}\``;
    },
    value: (term) => JSON.stringify(term.value),
    operator: (term) => (term.quoted ? JSON.stringify(term.id) : term.id),
    propertyType: (type) => type,
    problems: (at, count) => `${configPathText(at, names) || 'The config'} has ${count} problems:`,
  };
}
