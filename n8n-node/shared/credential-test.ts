/**
 * The credential test behind "Test" in n8n's credential dialog: reads one customer, then one page
 * of events, so its messages name a missing permission and the fix. It runs while the user
 * waits: one attempt per request and a short timeout, and no request is repeated.
 */
import type {
  ICredentialsDecrypted,
  ICredentialTestFunctions,
  IDataObject,
  INodeCredentialTestResult,
} from 'n8n-workflow';
import { ConnectorError, StripeApi, parseConfig, type ConnectorConfig } from './engine';

export const CREDENTIAL_TEST = 'stripeCustomersApiTest';

/** Each request of the credential test gives up after this long (one attempt, no retries). */
export const CREDENTIAL_TEST_TIMEOUT_SECONDS = 10;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

function connectionJson(data: IDataObject): IDataObject {
  const accountId = text(data.accountId);
  const apiBaseUrl = text(data.apiBaseUrl);
  return {
    api_key: text(data.apiKey) ?? '',
    ...(accountId ? { account_id: accountId } : {}),
    ...(apiBaseUrl ? { api_base_url: apiBaseUrl } : {}),
    request_timeout_seconds: CREDENTIAL_TEST_TIMEOUT_SECONDS,
    max_attempts: 1,
  };
}

const messageOf = (error: unknown): string =>
  error instanceof ConnectorError
    ? error.message
    : `Unexpected error while checking the connection: ${String((error as Error)?.message ?? error)}`;

export async function testStripeCustomersCredential(
  this: ICredentialTestFunctions,
  credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
  let config: ConnectorConfig;
  try {
    config = parseConfig(connectionJson(credential.data ?? {}));
  } catch (error) {
    return { status: 'Error', message: (error as Error).message };
  }
  const api = new StripeApi({ ...config.connection, maxAttempts: 1 });
  let serverTime: number;
  try {
    serverTime = (await api.listCustomers({ limit: 1 })).serverTime;
  } catch (error) {
    return { status: 'Error', message: messageOf(error) };
  }
  try {
    await api.listCustomerEvents({ created: { gte: serverTime - 60 }, limit: 1 });
  } catch (error) {
    const eventsForbidden = error instanceof ConnectorError && error.httpStatus === 403;
    return {
      status: 'Error',
      message: eventsForbidden
        ? `${messageOf(error)} Customers are readable, so the Stripe Customers node works without "Only Changed Since Last Run"; the trigger needs events.`
        : messageOf(error),
    };
  }
  const mode = /_live_/.test(config.connection.apiKey) ? 'live' : 'test';
  const account = config.connection.accountId ? `, account ${config.connection.accountId}` : '';
  return {
    status: 'OK',
    message: `Connected to Stripe (${mode} mode${account}): customers and events are readable.`,
  };
}
