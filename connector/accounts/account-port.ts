import { ConnectorError } from '../errors';
import { ACCOUNT_FIELD, PLATFORM_ACCOUNT } from '../stripe/customer-schema';
import { CUSTOMER_OBJECT_EVENT_TYPES, type CustomerEvent, type StripePort } from '../stripe/port';
import type { Endpoint } from '../stripe/rate-budgets';

/**
 * One account's reads, for a config with connected accounts: the platform's port acting for the
 * account (or the platform's own, for `PLATFORM_ACCOUNT`), every customer it answers with marked
 * with `stripe_account_id`. Marked where they are read, so a filter, a transformation, the
 * change reader and the records all see the same customer, whichever way it was read (listed,
 * searched, retrieved, in an event).
 */
export function accountPort(platform: StripePort, account: string): StripePort {
  let port: StripePort;
  if (account === PLATFORM_ACCOUNT) port = platform;
  else if (platform.forAccount) port = platform.forAccount(account);
  else {
    throw new ConnectorError(
      'system',
      'This Stripe port cannot act for connected accounts (it has no forAccount).',
    );
  }
  const mark = <T>(customer: T): T => {
    if (typeof customer === 'object' && customer !== null && !Array.isArray(customer)) {
      (customer as Record<string, unknown>)[ACCOUNT_FIELD] = account;
    }
    return customer;
  };
  const markEvent = (event: CustomerEvent): CustomerEvent =>
    (CUSTOMER_OBJECT_EVENT_TYPES as readonly string[]).includes(event.type)
      ? { ...event, object: mark(event.object) }
      : event;
  return {
    apiVersion: port.apiVersion,
    get stats() {
      return port.stats;
    },
    ...(port.inFlightWorth
      ? { inFlightWorth: (endpoint: Endpoint) => port.inFlightWorth?.(endpoint) }
      : {}),
    async listCustomers(params) {
      const page = await port.listCustomers(params);
      page.items.forEach(mark);
      return page;
    },
    async searchCustomers(query, page, options) {
      const result = await port.searchCustomers(query, page, options);
      result.items.forEach(mark);
      return result;
    },
    async retrieveCustomer(id) {
      const result = await port.retrieveCustomer(id);
      mark(result.customer);
      return result;
    },
    async listCustomerEvents(params) {
      const page = await port.listCustomerEvents(params);
      return { ...page, items: page.items.map(markEvent) };
    },
  };
}
