/**
 * The trigger's polls must end before the next one starts, so it works out the time between two
 * polls of its Poll Times. Only the n8n package schedules runs this way (Airbyte and the
 * standalone tool schedule their own), so this lives here, bundled with `cron`.
 */
// `cron` is the scheduler n8n itself uses; esbuild bundles it into dist/shared (the package
// declares no runtime dependency), like the engine's own libraries.
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports
import { CronTime } from 'cron';

/** Upcoming firings looked at per schedule: enough to see each one's rhythm. */
const FIRINGS_LOOKED_AT = 12;
/** Expanding a cron takes milliseconds, and schedules rarely change: answers are kept. */
const known = new Map<string, number | undefined>();

/**
 * The shortest time between two runs of several cron schedules taken together, in ms (undefined
 * when one cannot be read). Each is expanded by the `cron` package (the one n8n schedules with),
 * and the gaps between the upcoming firings of all of them are compared.
 */
export function shortestIntervalMs(cronExpressions: readonly string[]): number | undefined {
  const key = JSON.stringify(cronExpressions);
  if (known.has(key)) return known.get(key);
  const firings: number[] = [];
  let readable = cronExpressions.length > 0;
  for (const expression of cronExpressions) {
    try {
      const next = new CronTime(expression, 'UTC').sendAt(FIRINGS_LOOKED_AT);
      firings.push(...next.map((time) => time.toMillis()));
    } catch {
      readable = false;
      break;
    }
  }
  let shortest: number | undefined;
  if (readable) {
    firings.sort((a, b) => a - b);
    for (let index = 1; index < firings.length; index++) {
      const gap = (firings[index] as number) - (firings[index - 1] as number);
      if (gap > 0 && (shortest === undefined || gap < shortest)) shortest = gap;
    }
  }
  known.set(key, shortest);
  return shortest;
}
