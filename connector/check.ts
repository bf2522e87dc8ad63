import type { ConnectorConfig } from './config/config';
import { ConnectorError, errorMessage } from './errors';
import { closePipeline, openPipeline } from './open-pipeline';
import { StripeApi } from './stripe/api';

export type CheckResult = { ok: true; message: string } | { ok: false; message: string };

/**
 * Proves the config works end to end without importing anything: every enabled pipeline's
 * transformation loads, the key can read customers, and (when any pipeline is incremental) events.
 */
export async function checkConnection(config: ConnectorConfig): Promise<CheckResult> {
  try {
    for (const pipeline of config.pipelines.filter((p) => p.enabled)) {
      await closePipeline(await openPipeline(config, pipeline));
    }
    const api = new StripeApi({ ...config.connection, maxAttempts: 3 });
    const customers = await api.listCustomers({ limit: 1 });
    const incremental = config.pipelines.some((p) => p.enabled && p.incremental);
    if (incremental) await api.listCustomerEvents({ created: { gte: customers.serverTime - 60 } });
    const mode = /_live_/.test(config.connection.apiKey) ? 'live' : 'test';
    return {
      ok: true,
      message: `Connected to Stripe (${mode} mode${config.connection.accountId ? `, account ${config.connection.accountId}` : ''}): customers${incremental ? ' and events' : ''} are readable.`,
    };
  } catch (error) {
    if (error instanceof ConnectorError && error.kind !== 'system')
      return { ok: false, message: error.message };
    return {
      ok: false,
      message: `Unexpected error while checking the connection: ${errorMessage(error)}`,
    };
  }
}
