/**
 * Instants as text: ISO 8601 in UTC, `2024-01-31T10:00:00Z`, with milliseconds only when there
 * are any. Stripe counts time in unix seconds; every place that shows or writes one as text
 * (records, the Customer Model's datetimes, log lines, the shells' items and cells) uses this, so
 * the same instant always reads the same.
 */

/** Milliseconds since the epoch as ISO text (years 0-9999; outside them, JavaScript's form). */
export function isoFromMillis(millis: number): string {
  const text = new Date(millis).toISOString();
  return text.endsWith('.000Z') ? `${text.slice(0, -5)}Z` : text;
}

/** Unix seconds (Stripe's time) as ISO text. */
export function isoFromSeconds(seconds: number): string {
  return isoFromMillis(seconds * 1000);
}
