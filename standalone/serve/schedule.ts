import { CronTime, validateCronExpression } from 'cron';
import { ConfigError, type PipelineConfig } from '../../connector';

/** The intervals a schedule may name, as cron expressions aligned to the clock. */
const INTERVALS: Readonly<Record<string, string>> = {
  '5m': '*/5 * * * *',
  '15m': '*/15 * * * *',
  '30m': '*/30 * * * *',
  '1h': '0 * * * *',
  '2h': '0 */2 * * *',
  '3h': '0 */3 * * *',
  '6h': '0 */6 * * *',
  '8h': '0 */8 * * *',
  '12h': '0 */12 * * *',
  '24h': '0 0 * * *',
};

export interface Schedule {
  /** As written in the config (`1h`, `0 6 * * *`). */
  written: string;
  /** The cron expression the `cron` package runs. */
  cron: string;
  /** For people: "every 1h" or "cron 0 6 * * *". */
  label: string;
}

/**
 * A pipeline's `schedule`: one of the intervals (`5m` … `24h`, run at round times: `1h` at the top
 * of every hour) or a cron expression (5 fields, or 6 with seconds first). Undefined without one:
 * the pipeline runs only when asked. A schedule that cannot be read is refused with the pipeline
 * named, before anything runs.
 */
export function parseSchedule(pipeline: PipelineConfig, timeZone: string): Schedule | undefined {
  const written = pipeline.schedule?.trim();
  if (!written) return undefined;
  const interval = INTERVALS[written.toLowerCase()];
  const cron = interval ?? written;
  const validation = validateCronExpression(cron);
  if (!validation.valid) {
    throw new ConfigError(
      `${pipeline.where}: schedule "${written}" is neither an interval (${Object.keys(INTERVALS).join(', ')}) nor a cron expression like "0 */4 * * *" (minute hour day-of-month month day-of-week)${validation.error ? `: ${validation.error.message}` : ''}.`,
    );
  }
  // The time zone is checked here too, so a bad --timezone fails before the server starts.
  new CronTime(cron, timeZone);
  return { written, cron, label: interval ? `every ${written.toLowerCase()}` : `cron ${written}` };
}

/** The time zone schedules run in: the flag's, or the machine's. */
export function resolveTimeZone(requested: string | undefined): string {
  const zone = requested ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new ConfigError(
      `--timezone "${zone}" is not a time zone: use an IANA name like Europe/Paris or UTC.`,
    );
  }
  return zone;
}
