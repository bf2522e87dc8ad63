/**
 * What the engine's messages say Stripe answered: the HTTP status and the error type Stripe's
 * body carries. Stripe's v1 bodies say `invalid_request_error` for a rejected key (401) and a
 * missing permission (403) alike; `authentication_error` and `permission_error` are names of the
 * SDK's classes (or of long-gone types), so a message that quotes them sends the reader looking
 * for a body Stripe never sent. Through the official SDK over HTTP to the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError, StripeApi } from '../../connector';
import { startEmulator, type RunningEmulator } from '../emulator';
import { TEST_KEY } from '../support/stripe';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({
    customers: 3,
    seed: 2,
    restrictedKeys: { rk_test_customers_only: ['customers:read'] },
    accounts: { acct_connected01: { customers: 1 } },
  });
});

afterAll(() => emulator?.close());

const api = (apiKey: string, extra: { accountId?: string } = {}) =>
  new StripeApi({ apiKey, apiBaseUrl: emulator.url, maxAttempts: 1, ...extra });

async function failureOf(request: Promise<unknown>): Promise<ConnectorError> {
  const error = await request.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

/** Error type names Stripe's v1 bodies never carry. */
const NOT_STRIPE_TYPES = /authentication_error|permission_error|StripeAPIError|Stripe\w+Error/;

describe('messages name what Stripe answered', () => {
  it('a rejected key: HTTP 401 and the body’s invalid_request_error', async () => {
    const error = await failureOf(api('sk_test_not_a_key_1234').listCustomers({ limit: 1 }));
    expect(error.message).toMatch(
      /^Stripe rejected the API key \(HTTP 401, invalid_request_error\): Invalid API Key provided: sk_test_\[redacted\] /,
    );
    expect(error.message).not.toMatch(NOT_STRIPE_TYPES);
    expect(error.httpStatus).toBe(401);
  });

  it('a missing permission: HTTP 403 and invalid_request_error, never permission_error', async () => {
    const error = await failureOf(
      api('rk_test_customers_only').listCustomerEvents({ created: { gte: 0 }, limit: 1 }),
    );
    expect(error.message).toMatch(
      /^The API key may not read events \(HTTP 403, invalid_request_error\): The provided key/,
    );
    expect(error.message).not.toMatch(NOT_STRIPE_TYPES);
  });

  it('a refused connected account: HTTP 403, the body’s type and its code', async () => {
    const error = await failureOf(
      api(TEST_KEY, { accountId: 'acct_unknown0001' }).listCustomers({ limit: 1 }),
    );
    expect(error.message).toMatch(
      /^Stripe refused the connected account \(HTTP 403, invalid_request_error, account_invalid\): /,
    );
  });

  it('a server failure: HTTP 500 and api_error, not the SDK’s class name', async () => {
    emulator.setFaults({ failNext: [{ status: 500 }] });
    const error = await failureOf(api(TEST_KEY).listCustomers({ limit: 1 }));
    expect(error.message).toMatch(/^Stripe failed \(HTTP 500, api_error\): An unknown error/);
    expect(error.message).not.toMatch(NOT_STRIPE_TYPES);
    expect(error.kind).toBe('transient');
  });
});
