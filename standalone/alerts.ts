import { backOff } from 'exponential-backoff';
import { errorMessage, redactSecrets } from '../connector';
import { maskWebhookUrl, webhookSecrets, type AlertKind, type AlertsConfig } from './alerts-config';

/** The JSON an alert POSTs. `text` is what Slack-style chat webhooks show as is. */
export interface AlertPayload {
  /** failure, recovery or stale. */
  event: AlertKind;
  pipeline: string;
  /** The pipeline's state the alert announces. */
  status: 'failed' | 'recovered' | 'stale';
  error: string | null;
  run_id: string | null;
  /** The pipeline on the pipelines page. */
  page: string;
  /** When it happened, ISO 8601. */
  at: string;
  text: string;
}

export interface AlertEvent {
  event: AlertKind;
  pipeline: string;
  error?: string;
  runId?: string;
  /** For stale alerts: its last success (unix milliseconds), if any. */
  lastSuccess?: number;
}

export interface AlerterOptions {
  /** The page's address, for the links in alerts. */
  pageUrl: string;
  log: (level: 'INFO' | 'WARN', pipeline: string, message: string) => void;
  /** Attempts per alert (default 6: about a minute of trying). */
  attempts?: number;
  firstDelayMs?: number;
  timeoutMs?: number;
}

/** Alerts waiting to be sent, at most: beyond, the oldest is dropped (and that is logged). */
const QUEUE_LIMIT = 100;

/**
 * Sends alerts to the config's webhook, one at a time, off the runs' path: `notify` only queues,
 * so a slow or unreachable receiver never delays a run. Each POST has a time limit and is tried
 * again with exponential back-off; one that still fails is logged and dropped. The webhook URL
 * (a secret: chat webhooks carry their token in it) is never logged, only its host.
 */
export class Alerter {
  private readonly queue: AlertPayload[] = [];
  private sending: Promise<void> | undefined;
  private config: AlertsConfig | undefined;

  constructor(
    config: AlertsConfig | undefined,
    private readonly options: AlerterOptions,
  ) {
    this.config = config;
  }

  /** A new config's `alerts` (undefined: none); alerts already queued go to the new URL. */
  configure(config: AlertsConfig | undefined): void {
    this.config = config;
  }

  notify(event: AlertEvent): void {
    const config = this.config;
    if (!config || !config.on.has(event.event)) return;
    if (this.queue.length >= QUEUE_LIMIT) {
      const dropped = this.queue.shift() as AlertPayload;
      this.options.log(
        'WARN',
        dropped.pipeline,
        `alert "${dropped.event}" dropped: ${QUEUE_LIMIT} alerts were waiting for ${maskWebhookUrl(config.webhookUrl)}.`,
      );
    }
    this.queue.push(this.payload(event));
    this.sending ??= this.drain().finally(() => (this.sending = undefined));
  }

  /** Resolves when every queued alert was sent or given up on (for a clean stop, and tests). */
  async idle(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private payload(event: AlertEvent): AlertPayload {
    const page = `${this.options.pageUrl.replace(/\/$/, '')}/pipelines/${encodeURIComponent(event.pipeline)}`;
    const status = { failure: 'failed', recovery: 'recovered', stale: 'stale' } as const;
    const text = {
      failure: `Stripe customers: pipeline ${event.pipeline} failed: ${event.error ?? 'unknown error'}`,
      recovery: `Stripe customers: pipeline ${event.pipeline} recovered: its last run succeeded.`,
      stale: `Stripe customers: pipeline ${event.pipeline} is stale: ${event.lastSuccess ? `its last successful run was at ${new Date(event.lastSuccess).toISOString()}` : 'it has not succeeded yet'}, more than twice its schedule ago.`,
    }[event.event];
    return {
      event: event.event,
      pipeline: event.pipeline,
      status: status[event.event],
      error: event.error ?? null,
      run_id: event.runId ?? null,
      page,
      at: new Date().toISOString(),
      text: `${text} ${page}`,
    };
  }

  private async drain(): Promise<void> {
    for (let alert = this.queue.shift(); alert; alert = this.queue.shift()) {
      const config = this.config;
      if (!config) return;
      const where = maskWebhookUrl(config.webhookUrl);
      try {
        await backOff(() => this.post(config.webhookUrl, alert as AlertPayload), {
          numOfAttempts: this.options.attempts ?? 6,
          startingDelay: this.options.firstDelayMs ?? 1_000,
          maxDelay: 30_000,
          timeMultiple: 2,
          jitter: 'full',
          // A receiver that refuses the request itself (a wrong URL: 404, 403) will go on refusing.
          retry: (error: unknown) => !(error instanceof Refused),
        });
        this.options.log('INFO', alert.pipeline, `alert "${alert.event}" sent to ${where}.`);
      } catch (error) {
        const reason = redactSecrets(errorMessage(error), webhookSecrets(config.webhookUrl));
        this.options.log(
          'WARN',
          alert.pipeline,
          `alert "${alert.event}" could not be sent to ${where} (${reason}); ${error instanceof Refused ? 'check alerts.webhook_url' : `gave up after ${this.options.attempts ?? 6} attempts`}.`,
        );
      }
    }
  }

  private async post(url: string, alert: AlertPayload): Promise<void> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      redirect: 'error',
    });
    await response.body?.cancel();
    if (response.ok) return;
    const message = `the receiver answered HTTP ${response.status}`;
    const lasting =
      response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status);
    throw lasting ? new Refused(message) : new Error(message);
  }
}

/** An answer that retrying cannot change. */
class Refused extends Error {}
