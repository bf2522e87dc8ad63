import type { LogTopic } from '../../connector';

/**
 * What the standalone tool adds to the engine's neutral lines: what its own staged import does
 * about the situation, in its own terms (no other platform's buttons).
 */
const ADVICE: Record<LogTopic, string> = {
  definition_changed:
    'This import is staged: when it ends, the table holds exactly what the new definition selects, so rows it leaves out are deleted then (marked deleted with --soft-delete); customers skipped after errors keep their rows.',
  cursor_expired:
    "This import is staged and replaces the table's content when it ends, so the rows of customers deleted during the gap are removed then (marked deleted with --soft-delete, as of this run).",
};

export function withAdvice(message: string, topic: LogTopic | undefined): string {
  return topic ? `${message} ${ADVICE[topic]}` : message;
}
