import type { ConnectorConfig } from '../config/config';
import { isWellFormedCustomer, type StripeCustomer } from '../stripe/customer-schema';
import { CUSTOMER_OBJECT_EVENT_TYPES, type CustomerEvent } from '../stripe/port';
import { keyMode } from '../stripe/rate-budgets';
import { isPlainObject } from '../util/is-plain-object';

/** The events a webhook delivery applies: those whose object is the customer itself. */
export type CustomerObjectEventType = (typeof CUSTOMER_OBJECT_EVENT_TYPES)[number];

/**
 * A delivered customer event, its payload checked: the customer after the change (for a
 * deletion, just before it).
 */
export interface DeliveredCustomerEvent extends CustomerEvent {
  type: CustomerObjectEventType;
  object: StripeCustomer;
}

/**
 * What a shell needs to know of a delivered event before it keeps it: its id and time, whether it
 * is a customer change the engine applies, and which account and mode it comes from. The shell
 * has verified the delivery's signature; the engine reads the event's shape.
 */
export type WebhookEventFacts =
  | {
      kind: 'customer';
      id: string;
      type: CustomerObjectEventType;
      /** Unix seconds: the change's version. */
      created: number;
      customerId: string;
      livemode: boolean | undefined;
      /** The connected account it happened on (Stripe Connect endpoints), if any. */
      account: string | undefined;
    }
  /**
   * Any other event type: not a customer change (an endpoint may be sent more than asked).
   * Events of other objects that change a customer's fields (a discount, a source, a payment
   * method detached) are among them: the next run reads them from the event log, and
   * retrieves the customer then.
   */
  | { kind: 'other'; id: string; type: string }
  | { kind: 'malformed'; problem: string };

export function readWebhookEvent(raw: unknown): WebhookEventFacts {
  if (!isPlainObject(raw)) return { kind: 'malformed', problem: 'it is not a JSON object' };
  const { id, type, created, data, livemode, account } = raw;
  if (typeof id !== 'string' || id === '') {
    return { kind: 'malformed', problem: 'it has no string `id`' };
  }
  if (typeof type !== 'string')
    return { kind: 'malformed', problem: `event ${id} has no \`type\`` };
  if (!(CUSTOMER_OBJECT_EVENT_TYPES as readonly string[]).includes(type))
    return { kind: 'other', id, type };
  if (!Number.isInteger(created)) {
    return { kind: 'malformed', problem: `event ${id} has no integer \`created\`` };
  }
  const object = isPlainObject(data) ? data.object : undefined;
  if (!isWellFormedCustomer(object)) {
    return {
      kind: 'malformed',
      problem: `event ${id}'s data.object is not a customer with a string id and an integer created time`,
    };
  }
  return {
    kind: 'customer',
    id,
    type: type as CustomerObjectEventType,
    created: created as number,
    customerId: object.id,
    livemode: typeof livemode === 'boolean' ? livemode : undefined,
    account: typeof account === 'string' ? account : undefined,
  };
}

/**
 * Why an event does not belong to the Stripe data the config reads (undefined when it does): a
 * test-mode event to a live key, or the other way round, or another account's event. Applying
 * one would be worse than useless: retrieving its customer with this key finds nothing, which
 * reads as a deletion.
 */
export function foreignEventReason(
  config: ConnectorConfig,
  facts: Extract<WebhookEventFacts, { kind: 'customer' }>,
): string | undefined {
  const live = keyMode(config.connection.apiKey) === 'live';
  if (facts.livemode !== undefined && facts.livemode !== live) {
    return `it is a ${facts.livemode ? 'live-mode' : 'test-mode'} event, but the API key reads ${live ? 'live' : 'test'}-mode data: the endpoint's signing secret belongs to the other mode`;
  }
  if (config.accounts) {
    return "the config reads connected accounts (connected_accounts): each account's runs read its changes from its event log, and deliveries are applied only for a config reading one account";
  }
  const reads = config.connection.accountId;
  if (facts.account !== reads) {
    const from = facts.account ? `connected account ${facts.account}` : 'the platform account';
    const to = reads
      ? `connected account ${reads} (account_id)`
      : 'the account the API key belongs to';
    return `it comes from ${from}, but the config reads ${to}`;
  }
  return undefined;
}

/** The parts of a verified, well-formed customer event the engine applies. */
export function toCustomerEvent(raw: unknown): DeliveredCustomerEvent | undefined {
  const facts = readWebhookEvent(raw);
  if (facts.kind !== 'customer') return undefined;
  const event = raw as {
    api_version?: unknown;
    data: { object: StripeCustomer; previous_attributes?: unknown };
  };
  const previous = event.data.previous_attributes;
  return {
    id: facts.id,
    type: facts.type,
    created: facts.created,
    apiVersion: typeof event.api_version === 'string' ? event.api_version : null,
    object: event.data.object,
    previousAttributes: isPlainObject(previous) ? previous : undefined,
  };
}
