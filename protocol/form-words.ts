/**
 * The engine's config paths in the words of Airbyte's form: each field by its title, each list
 * entry by its row number and what the form lists it by (`Pipelines › row 2 (eu_pro) › Filter
 * conditions › row 3 (balance) › Operator`), operators in the form's condition rows by their
 * labels ("is not"). Inside a field the form shows as text (Filter as JSON, Nested type as JSON)
 * the rest of the path is the JSON's own (`Filter as JSON › conditions[0].operator`).
 */
import {
  CONNECTION_SPECIFICATION,
  OPERATORS,
  configPathText,
  type ConfigPath,
  type Wording,
} from '../connector';

type Schema = {
  title?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  oneOf?: Schema[];
  const?: unknown;
  order?: number;
};

const SPEC = CONNECTION_SPECIFICATION as unknown as Schema;
const LABELS = new Map<string, string>(OPERATORS.map((operator) => [operator.id, operator.label]));

/** One step of a path: its words, and the schema below it (none past what the form draws). */
interface Step {
  words: string;
  schema: Schema | undefined;
}

/**
 * The form's wording for a config as written. `within`: the place the reader already knows (a
 * stream's pipeline, in a message about that stream), left out of places under it.
 */
export function formWording(config: unknown, within: ConfigPath = []): Wording {
  const steps = (at: ConfigPath): Step[] => {
    const out: Step[] = [];
    let schema: Schema | undefined = SPEC;
    let value: unknown = config;
    let raw: ConfigPath | undefined;
    at.forEach((segment, index) => {
      if (raw) return;
      const step = schema && stepInto(schema, segment, value);
      if (!step) {
        // Past what the form draws: the rest as the JSON (or text) the user wrote there.
        raw = at.slice(index);
        out.push({ words: configPathText(raw), schema: undefined });
        return;
      }
      out.push(step);
      schema = step.schema;
      value = child(value, segment);
    });
    return out;
  };
  const place = (at: ConfigPath): string => {
    const shown = isWithin(at, within) ? steps(at).slice(within.length) : steps(at);
    return shown.map((step) => step.words).join(' › ');
  };
  return {
    place,
    field: (term, near) => {
      const all = steps(term.at);
      const last = all[all.length - 1];
      // A field of the problem's place, or beside it, by its title; any other by its place.
      const parent = term.at.slice(0, -1);
      const beside = same(parent, near) || same(parent, near.slice(0, -1));
      return beside && last && typeof term.at[term.at.length - 1] === 'string'
        ? `"${last.words}"`
        : place(term.at) || 'the config';
    },
    value: (term) => JSON.stringify(term.value),
    operator: (term, near) => {
      // The form's condition rows show operators by their labels; JSON filters take ids.
      const inRows = near.includes('filter_conditions');
      const shown = inRows ? (LABELS.get(term.id) ?? term.id) : term.id;
      return term.quoted ? JSON.stringify(shown) : shown;
    },
    propertyType: (type) => type,
    problems: (at, count) => `${place(at) || 'The config'} has ${count} problems:`,
  };
}

/** The step through `segment` of `schema`, or undefined when the form draws nothing there. */
function stepInto(schema: Schema, segment: string | number, value: unknown): Step | undefined {
  if (typeof segment === 'number') {
    const items = schema.items;
    if (!items) return undefined;
    const entry = child(value, segment);
    const listedBy = firstField(items);
    const label = listedBy ? child(entry, listedBy) : undefined;
    // Rows of objects are listed by their first field; plain values by their title.
    const row =
      items.properties || items.oneOf
        ? `row ${segment + 1}`
        : `${(items.title ?? 'item').toLowerCase()} ${segment + 1}`;
    return {
      words: typeof label === 'string' && label !== '' ? `${row} (${label})` : row,
      schema: items.properties || items.oneOf ? items : undefined,
    };
  }
  const variant = schema.oneOf ? chosenVariant(schema.oneOf, value) : undefined;
  const field = (variant ?? schema).properties?.[segment];
  if (!field) return undefined;
  const title = field.title ?? segment;
  const kind = field.oneOf ? chosenVariant(field.oneOf, child(value, segment))?.title : undefined;
  return { words: kind ? `${title} (${kind})` : title, schema: field };
}

/** What the form lists a row by: the first of its fields. */
function firstField(items: Schema): string | undefined {
  const fields = Object.entries(items.properties ?? {});
  fields.sort(([, a], [, b]) => (a.order ?? 0) - (b.order ?? 0));
  return fields[0]?.[0];
}

/** The variant a value's discriminator (`type`) picks. */
function chosenVariant(variants: Schema[], value: unknown): Schema | undefined {
  return variants.find((variant) =>
    Object.entries(variant.properties ?? {}).some(
      ([key, property]) => property.const !== undefined && child(value, key) === property.const,
    ),
  );
}

function child(value: unknown, segment: string | number): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string | number, unknown>)[segment]
    : undefined;
}

function isWithin(at: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length > 0 && prefix.every((segment, index) => at[index] === segment);
}

function same(a: ConfigPath, b: ConfigPath): boolean {
  return a.length === b.length && a.every((segment, index) => b[index] === segment);
}
