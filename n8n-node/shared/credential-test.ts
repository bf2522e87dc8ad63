/**
 * The credential test behind "Test" in n8n's credential dialog: finds out what the key can do
 * (one customer, then one event) and says it as the engine does, with what that means for the
 * nodes. A key that may read customers but not events passes: the Stripe Customers node works
 * with it; the message says that the trigger and "Only Changed Since Last Run" also need Events:
 * Read, and where to enable it.
 *
 * It runs while the user waits: each request is sent once (a 429 is not waited out), and the
 * whole test ends within CREDENTIAL_TEST_DEADLINE_MS whatever Stripe or the network do.
 */
import {
  sleep,
  type ICredentialsDecrypted,
  type ICredentialTestFunctions,
  type IDataObject,
  type INodeCredentialTestResult,
} from 'n8n-workflow';
import { EditorWords } from './editor-words';
import {
  ConnectorError,
  StripeApi,
  describeAccess,
  parseConfig,
  probeAccess,
  type ConnectorConfig,
  type StripeAccess,
} from './engine';

export const CREDENTIAL_TEST = 'stripeCustomersApiTest';

/** The whole test (both requests) gives up after this long. */
export const CREDENTIAL_TEST_DEADLINE_MS = 10_000;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

function connectionJson(data: IDataObject): IDataObject {
  const accountId = text(data.accountId);
  const apiBaseUrl = text(data.apiBaseUrl);
  return {
    api_key: text(data.apiKey) ?? '',
    ...(accountId ? { account_id: accountId } : {}),
    ...(apiBaseUrl ? { api_base_url: apiBaseUrl } : {}),
    request_timeout_seconds: CREDENTIAL_TEST_DEADLINE_MS / 1000,
    max_attempts: 1,
  };
}

function failure(error: unknown, words: EditorWords): string {
  if (!(error instanceof ConnectorError)) {
    return `Unexpected error while testing the credential: ${String((error as Error)?.message ?? error)}`;
  }
  if (error.httpStatus === 429) {
    return 'Stripe answered 429 (rate limit): this account is sending Stripe more requests than it allows right now, so the key could not be tested. Test again in a minute; if it keeps happening, other integrations are using up the account’s rate limit.';
  }
  return words.describe(error);
}

/**
 * The engine's account of what the key can do, with what its "full" and "incremental" imports
 * are in n8n: the Stripe Customers node imports in full; the trigger and "Only Changed Since
 * Last Run" are the incremental ones.
 */
function success(config: ConnectorConfig, access: StripeAccess): string {
  const inN8n = access.events.readable
    ? 'In n8n both nodes work, the Stripe Customers Trigger and "Only Changed Since Last Run" included.'
    : 'In n8n the Stripe Customers node imports customers with this key; the Stripe Customers Trigger and "Only Changed Since Last Run" need "Events: Read".';
  return `${describeAccess(config, access)} ${inN8n}`;
}

export async function testStripeCustomersCredential(
  this: ICredentialTestFunctions,
  credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
  const words = new EditorWords();
  let config: ConnectorConfig;
  try {
    config = parseConfig(connectionJson(credential.data ?? {}));
  } catch (error) {
    return { status: 'Error', message: failure(error, words) };
  }
  // One attempt per request, and a 429 is an answer, not something to wait out.
  const api = new StripeApi({ ...config.connection, maxAttempts: 1, rateLimitPatienceMs: 0 });
  try {
    const probe = probeAccess(api);
    // Past the deadline the test has answered; a late failure of the probe is nobody's business.
    probe.catch(() => undefined);
    const access = await Promise.race([
      probe,
      sleep(CREDENTIAL_TEST_DEADLINE_MS).then(() => undefined),
    ]);
    if (access === undefined) {
      return {
        status: 'Error',
        message: `Stripe did not answer within ${CREDENTIAL_TEST_DEADLINE_MS / 1000} s. Check the credential’s "API Base URL" and the network between n8n and Stripe, then test again.`,
      };
    }
    return { status: 'OK', message: success(config, access) };
  } catch (error) {
    return { status: 'Error', message: failure(error, words) };
  }
}
