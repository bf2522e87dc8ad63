/**
 * Errors the engine raises, classified the way every shell needs them:
 * - `config`: the user's mistake (bad key, missing permission, invalid filter). Retrying won't help;
 *   the message says which field is wrong and how to fix it.
 * - `data`: a pipeline failed on a customer: its transformation threw, timed out or returned what
 *   the Customer Model refuses (`on_error: fail`). The config is valid; the code or the data must
 *   change. Retrying the same run fails the same way.
 * - `transient`: the service misbehaved (rate limit storm, 5xx, network, a lost warehouse
 *   connection, a lock held by another process). A rerun may succeed.
 * - `system`: a bug or an unexpected state on our side.
 *
 * `origin` says who answered: `stripe` when the error is Stripe's (or the network's) answer to a
 * request, with its HTTP status when there was one; `local` when the engine decided on its own
 * (a config it refused, a transformation that failed). Shells map these without parsing messages.
 *
 * Messages must never contain secrets: build them from field names and Stripe's own error text,
 * never from the config values themselves.
 */
import {
  asWords,
  configWording,
  say,
  type ConfigPath,
  type NameLookup,
  type Term,
  type Wording,
  type Words,
} from './words';

export type FailureKind = 'config' | 'data' | 'transient' | 'system';
export type FailureOrigin = 'stripe' | 'local';

export interface ErrorDetails {
  cause?: unknown;
  /** The HTTP status Stripe answered with (absent for network failures and local errors). */
  httpStatus?: number;
  /** Default `local`. */
  origin?: FailureOrigin;
  /** Names of the pipelines and model rows the message's paths pass through. */
  names?: NameLookup;
}

/** One problem: where, what is wrong, and how to fix it when there is a way. */
export interface ConfigIssue {
  /** Where in the config; empty for the config as a whole (or nothing in it). */
  readonly at: ConfigPath;
  /** Reads after the place's name and a colon ("must be one of ...", "not valid JSON"). */
  readonly problem: Words;
  readonly fix?: Words;
}

/** An issue as written where it is found: text or words, the place defaulting to none. */
export interface IssueInput {
  at?: ConfigPath;
  problem: string | Words;
  fix?: string | Words;
}

/** Several problems found at once (a filter, the spec's validation), and where they lie. */
export interface IssueList {
  at: ConfigPath;
  issues: readonly IssueInput[];
}

const isIssueInput = (input: string | Words | IssueInput): input is IssueInput =>
  typeof input === 'object' && !Array.isArray(input);

function issueOf(input: string | Words | IssueInput): ConfigIssue {
  if (!isIssueInput(input)) return { at: [], problem: asWords(input) };
  return {
    at: input.at ?? [],
    problem: asWords(input.problem),
    ...(input.fix === undefined ? {} : { fix: asWords(input.fix) }),
  };
}

/**
 * An engine error. Its text is data: a place in the config (`at`, often none), the `problem` and
 * the `fix`, with the fields, operators and types they name kept as terms, so each shell says it
 * in its own words (`describeError`). `message` says it in the engine's: config paths.
 */
export class ConnectorError extends Error {
  readonly origin: FailureOrigin;
  readonly httpStatus: number | undefined;
  readonly at: ConfigPath;
  readonly problem: Words;
  readonly fix: Words | undefined;
  /** How `message` names the config's pipelines and model rows; kept for copies of the error. */
  protected readonly details: ErrorDetails;

  constructor(
    readonly kind: FailureKind,
    message: string | Words | IssueInput,
    details: ErrorDetails = {},
  ) {
    const issue = issueOf(message);
    super(
      sayIssue(issue, configWording(details.names)),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'ConnectorError';
    this.origin = details.origin ?? 'local';
    this.httpStatus = details.httpStatus;
    this.at = issue.at;
    this.problem = issue.problem;
    this.fix = issue.fix;
    this.details = details;
  }
}

const MAX_LISTED = 20;

/**
 * The user's input is wrong. Each issue names its place (`at`), the problem and the fix; the
 * message is built from them in the engine's wording, and shells say them in their own (see
 * `describeError`). A plain text is an issue of the config as a whole, said as it is. Several
 * issues found at once (a filter's) are listed, `at` being where they all lie.
 */
export class ConfigError extends ConnectorError {
  /** Every problem found: one, or several when the validation collects them (a filter). */
  readonly issues: readonly ConfigIssue[];

  constructor(input: string | Words | IssueInput | IssueList, details: ErrorDetails = {}) {
    const list = 'issues' in (typeof input === 'object' ? input : {});
    const issues = list
      ? (input as IssueList).issues.map(issueOf)
      : [issueOf(input as string | Words | IssueInput)];
    const [only] = issues;
    const one = issues.length === 1 && only !== undefined;
    super(
      'config',
      one ? only : { at: (input as IssueList).at, problem: `${issues.length} problems` },
      details,
    );
    this.name = 'ConfigError';
    this.issues = issues;
    if (!one) this.message = sayConfigIssues(this, configWording(details.names));
  }

  /**
   * The same error with every path moved, the issues' places and the fields they name alike:
   * for a part of the config that was read in another shape than it is written in.
   */
  moved(move: (at: ConfigPath) => ConfigPath): ConfigError {
    const moveWords = (text: Words): Words =>
      text.map((part): string | Term => {
        if (typeof part === 'string') return part;
        if (part.kind === 'field') return { ...part, at: move(part.at) };
        if (part.kind === 'value') return { ...part, of: move(part.of) };
        return part;
      });
    const issues = this.issues.map((issue) => ({
      at: move(issue.at),
      problem: moveWords(issue.problem),
      ...(issue.fix ? { fix: moveWords(issue.fix) } : {}),
    }));
    return new ConfigError({ at: move(this.at), issues }, this.details);
  }

  /** The same error, its message naming the pipelines and model rows its paths pass through. */
  named(names: NameLookup): ConfigError {
    return new ConfigError(
      { at: this.at, issues: this.issues },
      { ...this.details, names, cause: this.details.cause ?? this.cause },
    );
  }
}

/** "problem. Fix." after the place's name: each part a sentence ending in its own mark. */
function sayIssue(issue: ConfigIssue, wording: Wording): string {
  const place = wording.place(issue.at);
  const said = say(issue.problem, wording, issue.at);
  const fix = issue.fix && say(issue.fix, wording, issue.at);
  if (!place && !fix && issue.at.length === 0) return said;
  // A problem whose place goes without saying starts the sentence.
  const problem = place ? said : capitalised(said);
  const sentence = place ? `${place}: ${problem}` : problem;
  return fix ? `${ended(sentence)} ${ended(capitalised(fix))}` : ended(sentence);
}

const ended = (text: string): string =>
  ['.', '?', '!'].includes(text.charAt(text.length - 1)) ? text : `${text}.`;
const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

function sayConfigIssues(error: ConfigError, wording: Wording): string {
  const { issues } = error;
  const [first] = issues;
  if (issues.length === 1 && first) return sayIssue(first, wording);
  const listed = issues.slice(0, MAX_LISTED).map((issue) => `- ${sayIssue(issue, wording)}`);
  if (issues.length > MAX_LISTED) listed.push(`- ... and ${issues.length - MAX_LISTED} more`);
  return [wording.problems(error.at, issues.length), ...listed].join('\n');
}

/**
 * An engine error in a shell's words: the places, fields, operators and types it names as that
 * shell names them. Anything that is not an engine error: its message.
 */
export function describeError(error: unknown, wording: Wording): string {
  if (error instanceof ConfigError) return sayConfigIssues(error, wording);
  if (error instanceof ConnectorError) return sayIssue(error, wording);
  return errorMessage(error);
}

/** A pipeline failed on a customer's data or on its own code; the message names both. */
export class DataError extends ConnectorError {
  constructor(message: string | Words | IssueInput, details?: ErrorDetails) {
    super('data', message, details);
    this.name = 'DataError';
  }
}

export class TransientError extends ConnectorError {
  constructor(message: string | Words | IssueInput, details?: ErrorDetails) {
    super('transient', message, details);
    this.name = 'TransientError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
