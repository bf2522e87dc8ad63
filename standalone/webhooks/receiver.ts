import type { IncomingMessage, ServerResponse } from 'node:http';
import Stripe from 'stripe';
import {
  errorMessage,
  foreignEventReason,
  readWebhookEvent,
  type ConnectorConfig,
} from '../../connector';
import { sendJson } from '../serve/http';
import type { InboxEntry, WebhookInbox } from '../warehouse';

/** Where Stripe delivers events (the endpoint's URL is `https://your-host/stripe/webhooks`). */
export const WEBHOOK_PATH = '/stripe/webhooks';

/**
 * The largest delivery taken. Stripe documents no limit; a customer event is a few kilobytes
 * (its largest fields, 50 metadata keys of 500 characters, stay under 30 KB), and an old API
 * version's payload with its sources and subscriptions lists a few times that.
 */
export const MAX_DELIVERY_BYTES = 512 * 1024;

export interface ReceiverContext {
  /** The signing secret now (the config file may change): undefined, deliveries are not taken. */
  secret(): string | undefined;
  /** The config now: which account and mode deliveries must come from. */
  config(): ConnectorConfig;
  inbox: DeliveryRecorder;
  /** Says what happened to deliveries that were refused or ignored (a line now and then). */
  warn(message: string): void;
  /** A delivery was committed to the inbox: time to apply it. */
  recorded(): void;
}

/**
 * `POST /stripe/webhooks`: Stripe's deliveries. Each is verified with the official SDK
 * (`stripe.webhooks.constructEvent`, Stripe's default tolerance of 300 s, so a replayed delivery
 * is refused once it is older than that); unsigned, forged, stale and oversized deliveries get
 * 400 and change nothing. A customer event is answered 200 only once it is committed to the
 * inbox; others are acknowledged and ignored (Stripe would retry anything but 2xx).
 */
export async function receiveDelivery(
  context: ReceiverContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const secret = context.secret();
  if (!secret) {
    return answer(response, 404, {
      error:
        "Stripe webhooks are not set up on this server: set `webhook_secret` in the config (or STRIPE_WEBHOOK_SECRET) to the endpoint's signing secret, from the Stripe Dashboard (Developers > Webhooks > your endpoint > Signing secret).",
    });
  }
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return answer(response, 405, {
      error: `Stripe delivers webhooks with POST, not ${request.method}.`,
    });
  }
  const body = await readLimited(request, MAX_DELIVERY_BYTES);
  if (body === undefined) {
    context.warn(`refused a webhook delivery larger than ${MAX_DELIVERY_BYTES / 1024} KB.`);
    response.setHeader('connection', 'close');
    return answer(response, 400, {
      error: `The delivery is larger than ${MAX_DELIVERY_BYTES / 1024} KB, more than any Stripe customer event; it was not read.`,
    });
  }
  const header = request.headers['stripe-signature'];
  let event: unknown;
  try {
    if (typeof header !== 'string' || header === '') {
      throw new Error('No Stripe-Signature header: deliveries are signed by Stripe.');
    }
    event = Stripe.webhooks.constructEvent(body, header, secret);
  } catch (error) {
    const why = errorMessage(error).split('\n')[0] as string;
    context.warn(
      `refused a webhook delivery: ${why} (a delivery not from Stripe, a replay, or webhook_secret is not this endpoint's signing secret).`,
    );
    return answer(response, 400, { error: `The delivery's signature does not verify: ${why}` });
  }
  const facts = readWebhookEvent(event);
  if (facts.kind === 'other') {
    return answer(response, 200, {
      received: true,
      ignored: `${facts.type} is not a customer event`,
    });
  }
  if (facts.kind === 'malformed') {
    context.warn(`ignored a signed webhook delivery that is not a usable event: ${facts.problem}.`);
    return answer(response, 200, { received: true, ignored: facts.problem });
  }
  const foreign = foreignEventReason(context.config(), facts);
  if (foreign) {
    context.warn(`ignored webhook delivery of event ${facts.id}: ${foreign}.`);
    return answer(response, 200, { received: true, ignored: foreign });
  }
  try {
    await context.inbox.record({
      eventId: facts.id,
      eventType: facts.type,
      customerId: facts.customerId,
      created: facts.created,
      payload: body.toString('utf8'),
    });
  } catch (error) {
    context.warn(
      `could not record webhook delivery of event ${facts.id} (${errorMessage(error)}); answered 503, so Stripe delivers it again, and the next scheduled run reads it from the event log anyway.`,
    );
    return answer(response, 503, {
      error: 'The delivery could not be recorded right now; deliver it again later.',
    });
  }
  context.recorded();
  return answer(response, 200, { received: true });
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  sendJson(response, status, body);
}

/**
 * The body, or undefined when it is larger than `limit` bytes. What is over the limit is read and
 * dropped (so the client hears the answer), up to a few times the limit: then the connection is
 * cut.
 */
async function readLimited(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 8 * limit) {
      request.destroy();
      return undefined;
    }
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

/** Resolves once a delivery is durable. */
export interface DeliveryRecorder {
  record(entry: InboxEntry): Promise<void>;
}

/**
 * Commits deliveries to the inbox in groups: those arriving while a commit is under way go
 * together in the next one, so a burst costs a few transactions, not one each, and every
 * delivery is acknowledged right after the commit that holds it.
 */
export class InboxWriter implements DeliveryRecorder {
  private queue: Array<{ entry: InboxEntry; done: (error?: unknown) => void }> = [];
  private flushing = false;

  constructor(private readonly inbox: WebhookInbox) {}

  record(entry: InboxEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        entry,
        done: (error) => (error === undefined ? resolve() : reject(error)),
      });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0);
        try {
          await this.inbox.record(group.map((item) => item.entry));
          for (const item of group) item.done();
        } catch (error) {
          for (const item of group) item.done(error ?? new Error('unknown error'));
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
