import Stripe from 'stripe';
import type { RunningEmulator } from '../emulator';

export const TEST_KEY = 'sk_test_emulator';

/** The official SDK pointed at an emulator: how tests create, change and list customers. */
export function sdkFor(
  emulator: RunningEmulator,
  key = TEST_KEY,
  extra: Stripe.StripeConfig = {},
): Stripe {
  return new Stripe(key, {
    host: '127.0.0.1',
    port: emulator.port,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 3,
    ...extra,
  });
}

/** The SDK without retries of its own: what the emulator answers, first time. */
export function rawSdkFor(
  emulator: RunningEmulator,
  key = TEST_KEY,
  extra: Stripe.StripeConfig = {},
): Stripe {
  return sdkFor(emulator, key, { maxNetworkRetries: 0, ...extra });
}

/** Every live customer, newest first, as the SDK lists them: what the tests compare with. */
export async function listAllCustomers(stripe: Stripe): Promise<Stripe.Customer[]> {
  const customers: Stripe.Customer[] = [];
  for await (const customer of stripe.customers.list({ limit: 100 })) customers.push(customer);
  return customers;
}

export async function listAllCustomerIds(stripe: Stripe): Promise<string[]> {
  return (await listAllCustomers(stripe)).map((customer) => customer.id);
}

export function configFor(emulator: RunningEmulator, extra: Record<string, unknown> = {}) {
  return { api_key: TEST_KEY, api_base_url: emulator.url, requests_per_second: 100, ...extra };
}

/** Lets events settle: the connector leaves the newest seconds of events for the next run. */
export const settle = (emulator: RunningEmulator) => emulator.advanceClock(60);
