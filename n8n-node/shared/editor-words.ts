/**
 * The engine places what is wrong at a config path (`["pipelines", 0, "transformation",
 * "mappings", 2, "from"]`) and keeps the operators, types and fields its sentences name as terms.
 * The n8n user never sees that config: the shell built it from the node's parameters. So the
 * shell, while building it, writes down which row or field each path came from ("Field 3 (Name:
 * plan)", "Condition 2 (Property: delinquent)"), and this wording says the engine's errors with
 * those labels, the Operator field's names and the panels' words. No message is taken apart.
 */
import {
  ConnectorError,
  describeError,
  type ConfigPath,
  type PathSegment,
  type Term,
  type Wording,
} from './engine';
import { CONFIG_KEY_LABELS, OPERATOR_NAMES, PROPERTY_TYPE_NAMES } from './vocabulary';

/** A key below a labelled path, in the editor's words. */
const SEGMENT_WORDS: Readonly<Record<string, string>> = {
  name: 'Name',
  to: 'Name',
  type: 'Type',
  from: 'From',
  nullable: 'Nullable',
  precision: 'Precision',
  scale: 'Scale',
  items: 'Element Type',
  values: 'Element Type',
  description: 'Description',
  property: 'Property',
  operator: 'Operator',
  case_sensitive: 'Case Sensitive',
  logical: 'Match',
};

/** The options' names of the fields that take a few values, by field and value. */
const VALUE_WORDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  on_error: { fail: 'Stop', skip: 'Skip the Customer' },
};

interface Label {
  text: string;
  /** Below it, paths are shown as written (JSON the user typed), not in words. */
  raw: boolean;
}

const keyOf = (at: ConfigPath): string => JSON.stringify(at);

/** `metadata.plan`, `[0]`, `conditions[2].values`: a path inside JSON the user typed. */
function asWritten(path: readonly PathSegment[]): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`,
    )
    .join('');
}

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

export class EditorWords implements Wording {
  private readonly labels = new Map<string, Label>();

  /** Names the editor field or row a config path came from. */
  name(at: ConfigPath, text: string, options: { raw?: boolean } = {}): this {
    this.labels.set(keyOf(at), { text, raw: options.raw ?? false });
    return this;
  }

  place(at: ConfigPath): string {
    if (at.length === 0) return '';
    // The node's one pipeline is the node itself: its own problems need no place.
    if (at[0] === 'pipelines' && at.length === 2) return '';
    for (let length = at.length; length > 0; length--) {
      const label = this.labels.get(keyOf(at.slice(0, length)));
      if (!label) continue;
      const rest = at.slice(length);
      if (rest.length === 0) return label.text;
      if (label.raw) return `${label.text} › ${asWritten(rest)}`;
      const words = rest.map((segment) =>
        typeof segment === 'number' ? String(segment + 1) : (SEGMENT_WORDS[segment] ?? segment),
      );
      return [label.text, ...words].join(' › ');
    }
    const key = at[at.length - 1];
    if (typeof key === 'string' && CONFIG_KEY_LABELS[key]) return CONFIG_KEY_LABELS[key];
    return asWritten(at);
  }

  field(term: Extract<Term, { kind: 'field' }>): string {
    return this.place(term.at) || 'the node';
  }

  value(term: Extract<Term, { kind: 'value' }>): string {
    const key = term.of[term.of.length - 1];
    const named = typeof key === 'string' ? VALUE_WORDS[key]?.[term.value] : undefined;
    return JSON.stringify(named ?? term.value);
  }

  operator(term: Extract<Term, { kind: 'operator' }>): string {
    const name = OPERATOR_NAMES.get(term.id) ?? term.id;
    return term.quoted ? JSON.stringify(name) : name;
  }

  propertyType(type: string): string {
    return PROPERTY_TYPE_NAMES[type] ?? type;
  }

  problems(at: ConfigPath, count: number): string {
    const label = this.place(at) || 'the node';
    return `${capitalised(label)} ${label.endsWith('s') ? 'have' : 'has'} ${count} problems:`;
  }

  /** An engine error as the editor says it. */
  describe(error: unknown): string {
    return capitalised(describeError(error, this));
  }

  /** The same error with its message in the editor's words; kind, origin and HTTP status kept. */
  error(error: unknown): unknown {
    if (!(error instanceof ConnectorError)) return error;
    const message = this.describe(error);
    if (message === error.message) return error;
    return new ConnectorError(error.kind, message, {
      origin: error.origin,
      ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
      cause: error,
    });
  }
}
