import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage, type ConnectorConfig, type StripePort } from '../../connector';
import type { PipelineGate } from '../serve/pipeline-gate';
import type { Logger } from '../serve/scheduler';
import type { Warehouse, WebhookInbox } from '../warehouse';
import { DeliveryApplier } from './applier';
import { InboxWriter, receiveDelivery, type DeliveryRecorder } from './receiver';

export interface WebhookServiceOptions {
  warehouse: Warehouse;
  gate: PipelineGate;
  /** The signing secret now (the config file may change on disk). */
  secret(): string | undefined;
  /** The config serve runs now, with the page's switches, and a key that changes with it. */
  current(): { config: ConnectorConfig; version: string };
  stripe(): StripePort;
  softDelete: boolean;
  log: Logger;
}

/** How often the same kind of refusal is logged, at most. */
const WARN_EVERY_MS = 10_000;

/**
 * Stripe's deliveries in `serve`: the route that verifies and records them, and the applier that
 * writes them into the pipelines' tables. The inbox is opened when a signing secret is set (at
 * start, or when one is added to the config), and deliveries a killed process left in it are
 * applied at once.
 */
export class WebhookService {
  private inbox:
    Promise<{ inbox: WebhookInbox; writer: InboxWriter; applier: DeliveryApplier }> | undefined;
  private readonly warned = new Map<string, { at: number; more: number }>();
  private stopped = false;

  constructor(private readonly options: WebhookServiceOptions) {}

  /** Opens the inbox (when a secret is set) and applies what it holds. */
  async start(): Promise<void> {
    if (this.options.secret()) await this.parts();
  }

  /** `POST /stripe/webhooks`. */
  async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const secret = this.options.secret();
    const parts = secret && !this.stopped ? await this.parts().catch(() => undefined) : undefined;
    await receiveDelivery(
      {
        secret: () => secret,
        config: () => this.options.current().config,
        inbox: parts?.writer ?? unavailable,
        warn: (message) => this.warn(message),
        recorded: () => parts?.applier.notify(),
      },
      request,
      response,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const parts = await this.inbox?.catch(() => undefined);
    await parts?.applier.stop();
    await parts?.inbox.close();
  }

  private parts(): Promise<{ inbox: WebhookInbox; writer: InboxWriter; applier: DeliveryApplier }> {
    this.inbox ??= (async () => {
      const { warehouse } = this.options;
      const inbox = await warehouse.openWebhookInbox();
      const applier = new DeliveryApplier({
        warehouse,
        inbox,
        gate: this.options.gate,
        current: this.options.current,
        stripe: this.options.stripe,
        softDelete: this.options.softDelete,
        log: this.options.log,
        minGapMs: warehouse.destination.kind === 'duckdb' ? 250 : 0,
      });
      applier.start();
      this.options.log(
        'INFO',
        undefined,
        `taking Stripe webhook deliveries at /stripe/webhooks (inbox: ${inbox.where}).`,
      );
      return { inbox, writer: new InboxWriter(inbox), applier };
    })();
    // A failure to open is reported by the delivery that needed it; the next one tries again.
    this.inbox.catch((error: unknown) => {
      this.options.log('ERROR', undefined, `cannot open the webhook inbox: ${errorMessage(error)}`);
      this.inbox = undefined;
    });
    return this.inbox;
  }

  /** The same refusal logged at most every WARN_EVERY_MS, with how many more there were. */
  private warn(message: string): void {
    const kind = message.slice(0, 40);
    const now = Date.now();
    const last = this.warned.get(kind);
    if (last && now - last.at < WARN_EVERY_MS) {
      last.more++;
      return;
    }
    const more = last?.more ? ` (and ${last.more} more like it since the last such line)` : '';
    this.warned.set(kind, { at: now, more: 0 });
    this.options.log('WARN', undefined, `${message}${more}`);
  }
}

/** Where deliveries go while the inbox cannot be opened: answered 503, so Stripe tries again. */
const unavailable: DeliveryRecorder = {
  record: () => Promise.reject(new Error('the webhook inbox cannot be opened')),
};
