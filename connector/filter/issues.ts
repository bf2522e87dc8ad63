import { ConfigError } from '../errors.js';

/** One problem in a filter; `message` is complete on its own (pipeline, position, problem, fix). */
export interface FilterIssue {
  /** Where in the filter, e.g. `filter.conditions[1].conditions[0]`. */
  readonly position: string;
  readonly message: string;
}

const MAX_LISTED = 20;

/**
 * A filter that doesn't validate. It is a ConfigError (the user's mistake, retrying won't help);
 * `issues` lists every problem found, and the message contains all of them (up to 20).
 */
export class FilterConfigError extends ConfigError {
  readonly issues: readonly FilterIssue[];

  constructor(pipeline: string, issues: readonly FilterIssue[]) {
    super(FilterConfigError.format(pipeline, issues));
    this.name = 'FilterConfigError';
    this.issues = issues;
  }

  private static format(pipeline: string, issues: readonly FilterIssue[]): string {
    const first = issues[0];
    if (issues.length === 1 && first) return first.message;
    const listed = issues.slice(0, MAX_LISTED).map((i) => `- ${i.message}`);
    if (issues.length > MAX_LISTED) listed.push(`- ... and ${issues.length - MAX_LISTED} more`);
    return `pipeline ${JSON.stringify(pipeline)} filter has ${issues.length} problems:\n${listed.join('\n')}`;
  }
}
