import { ConfigError } from '../connector';

/** What an alert announces: a run failed, a pipeline ran again after failing, or it went stale. */
export const ALERT_KINDS = ['failure', 'recovery', 'stale'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** `alerts` in the config: `serve` POSTs JSON to `webhook_url` on the kinds listed in `on`. */
export interface AlertsConfig {
  webhookUrl: string;
  on: ReadonlySet<AlertKind>;
}

const KEYS = ['webhook_url', 'on'];
const EXAMPLE =
  '"alerts": {"webhook_url": "https://hooks.slack.com/services/…", "on": ["failure", "recovery", "stale"]}';

/**
 * Reads the config's `alerts` (read by the standalone tool only: the engine never sees it).
 * Undefined when absent. Every mistake names the field, what was expected and an example.
 */
export function parseAlerts(raw: unknown): AlertsConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`\`alerts\` must be an object, like ${EXAMPLE}.`);
  }
  const object = raw as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!KEYS.includes(key)) {
      throw new ConfigError(
        `\`alerts.${key}\` is not a known field: alerts has ${KEYS.map((k) => `\`${k}\``).join(' and ')}, like ${EXAMPLE}.`,
      );
    }
  }
  const url = object.webhook_url;
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ConfigError(
      `\`alerts.webhook_url\` is missing: give the URL alerts are POSTed to (a Slack or other chat incoming webhook, or your own endpoint), like ${EXAMPLE}.`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new ConfigError(
      '`alerts.webhook_url` is not a URL: write it in full, starting with https:// (or http:// for a receiver on your own network).',
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(
      `\`alerts.webhook_url\` must be an http:// or https:// URL, not ${parsed.protocol}//….`,
    );
  }
  const on = object.on ?? [...ALERT_KINDS];
  if (!Array.isArray(on) || on.length === 0) {
    throw new ConfigError(
      `\`alerts.on\` must be a non-empty list of ${ALERT_KINDS.map((k) => `"${k}"`).join(', ')} (leave it out for all three).`,
    );
  }
  for (const [index, kind] of on.entries()) {
    if (!(ALERT_KINDS as readonly unknown[]).includes(kind)) {
      throw new ConfigError(
        `\`alerts.on[${index}]\` is ${JSON.stringify(kind)}: alerts are sent on ${ALERT_KINDS.map((k) => `"${k}"`).join(', ')}.`,
      );
    }
  }
  return { webhookUrl: parsed.toString(), on: new Set(on as AlertKind[]) };
}

/**
 * The webhook URL as it may be shown: chat webhooks (Slack's, Teams', Discord's) carry their
 * secret in the path and query, so only the scheme and host are kept.
 */
export function maskWebhookUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/***`;
  } catch {
    return '***';
  }
}

/** Every part of the URL that could be a secret: scrubbed from anything logged. */
export function webhookSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    const parts = [url, parsed.toString(), `${parsed.pathname}${parsed.search}`];
    if (parsed.username) parts.push(parsed.username);
    if (parsed.password) parts.push(parsed.password);
    return parts.filter((part) => part.length > 1);
  } catch {
    return [url];
  }
}
