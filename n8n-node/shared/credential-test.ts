/**
 * The credential test behind "Test" in n8n's credential dialog: the engine's own connection check
 * (one page of customers, one of events), so its messages name a missing permission and the fix.
 */
import type {
  ICredentialsDecrypted,
  ICredentialTestFunctions,
  IDataObject,
  INodeCredentialTestResult,
} from 'n8n-workflow';
import { checkConnection, DEFAULT_PIPELINE_NAME, parseConfig } from './engine';

export const CREDENTIAL_TEST = 'stripeCustomersApiTest';

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

function connectionJson(data: IDataObject): IDataObject {
  const accountId = text(data.accountId);
  const apiBaseUrl = text(data.apiBaseUrl);
  return {
    api_key: text(data.apiKey) ?? '',
    ...(accountId ? { account_id: accountId } : {}),
    ...(apiBaseUrl ? { api_base_url: apiBaseUrl } : {}),
  };
}

async function check(json: IDataObject): Promise<{ ok: boolean; message: string }> {
  let config;
  try {
    config = parseConfig(json);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  return await checkConnection(config);
}

export async function testStripeCustomersCredential(
  this: ICredentialTestFunctions,
  credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
  const connection = connectionJson(credential.data ?? {});
  const full = await check(connection);
  if (full.ok) return { status: 'OK', message: full.message };
  const customersOnly = await check({
    ...connection,
    pipelines: [{ name: DEFAULT_PIPELINE_NAME, incremental: false }],
  });
  return {
    status: 'Error',
    message: customersOnly.ok
      ? `${full.message} Customers are readable, so the Stripe Customers node works without "Only Changed Since Last Run"; the trigger needs events.`
      : full.message,
  };
}
