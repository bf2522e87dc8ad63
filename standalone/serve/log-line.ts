/**
 * One line of serve's log: time, level, and for a line about a pipeline its name first, always
 * (a message that quotes the name, as failures do, still starts with it: `ERROR pro: the run
 * failed …`), so `grep '^… pro:'` finds every line of a pipeline.
 */
export function formatLogLine(
  at: Date,
  level: 'INFO' | 'WARN' | 'ERROR',
  pipeline: string | undefined,
  text: string,
): string {
  return `${at.toISOString()} ${level} ${pipeline ? `${pipeline}: ` : ''}${text}\n`;
}
