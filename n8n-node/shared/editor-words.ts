/**
 * The engine names what is wrong by config path, counted from zero
 * (`pipelines[0] ("customers").transformation.mappings[2].from`), with its own operator ids and
 * config keys. The n8n user never sees that config: the shell built it from the node's
 * parameters. So the shell, while building it, writes down which row or field each path came
 * from ("Field 3 (Name: plan)", "Condition 2 (Property: delinquent)"), and translates the
 * engine's messages with that before n8n shows them.
 */
import { ConnectorError } from './engine';
import { translateTerms } from './vocabulary';

/** A path segment below a labelled path, in the editor's words. */
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

interface Label {
  text: string;
  /** Below it, paths are shown as written (JSON the user typed), not in words. */
  raw: boolean;
}

/**
 * A config path: a known root followed by `.key` / `[i]` segments. `filter` and `transformation`
 * are also ordinary words, so alone they count only in backticks.
 */
const PATH =
  /`([a-z][a-z_]*(?:\[\d+\]|\.[a-z_]+)*)`|\b((?:filter|transformation|customer_model)(?:\[\d+\]|\.[a-z_]+)+|customer_model)(?![a-z_])/g;

/** `[2]` or `.from`: one step of a path. */
const SEGMENT = /\[\d+\]|\.?[a-z_]+/g;

export class EditorWords {
  private readonly labels = new Map<string, Label>();

  /** `pipeline`: the name the shell gave the config's one pipeline. */
  constructor(private readonly pipeline: string) {}

  /** Names the editor field or row a config path (relative to the pipeline) came from. */
  name(path: string, text: string, options: { raw?: boolean } = {}): this {
    this.labels.set(path, { text, raw: options.raw ?? false });
    return this;
  }

  translate(message: string): string {
    const quoted = JSON.stringify(this.pipeline);
    const text = message
      .split(`pipelines[0] (${quoted}).`)
      .join('')
      .split(`pipelines[0] (${quoted})`)
      .join('the node')
      .split(`pipeline ${quoted} `)
      .join('')
      .split(`Pipeline ${quoted}: `)
      .join('')
      .replace(/^Invalid config: /, '')
      .replace(/(^|\n)filter has (\d+) problems:/, (_, lead: string, count: string) => {
        const filter = this.labels.get('filter')?.text ?? 'the filter';
        return `${lead}${filter} ${filter.endsWith('s') ? 'have' : 'has'} ${count} problems:`;
      })
      // "filter.conditions[2]: values[1] is not a valid date": the value belongs to the condition.
      .replace(/(filter(?:\.conditions\[\d+\])+): values\[(\d+)\]/g, '$1.values[$2]')
      .replace(PATH, (match, backticked?: string, bare?: string) => {
        const path = backticked ?? bare ?? match;
        return this.pathLabel(path) ?? match;
      })
      .replace(/ code line (\d+)/g, ' code, line $1');
    // A sentence (or a listed problem) may now start with a label: "the Customer Model …".
    return translateTerms(text).replace(/(^|\n- )([a-z])/g, (_, lead: string, letter: string) =>
      lead.concat(letter.toUpperCase()),
    );
  }

  /** The same error with its message in the editor's words; kind, origin and HTTP status kept. */
  error(error: unknown): unknown {
    if (!(error instanceof ConnectorError)) return error;
    const message = this.translate(error.message);
    if (message === error.message) return error;
    return new ConnectorError(error.kind, message, {
      origin: error.origin,
      ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
      cause: error,
    });
  }

  /** The label of the longest labelled prefix of `path`, with the rest of the path after it. */
  private pathLabel(path: string): string | undefined {
    const segments = path.match(SEGMENT) ?? [];
    for (let length = segments.length; length > 0; length--) {
      const label = this.labels.get(segments.slice(0, length).join(''));
      if (!label) continue;
      const rest = segments.slice(length);
      if (rest.length === 0) return label.text;
      if (label.raw) return `${label.text} › ${rest.join('').replace(/^\./, '')}`;
      const words = rest.map((segment) => {
        const key = segment.replace(/^\./, '');
        return SEGMENT_WORDS[key] ?? key;
      });
      return [label.text, ...words].join(' › ');
    }
    return undefined;
  }
}
