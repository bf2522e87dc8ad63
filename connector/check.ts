import { eventsPermissionAdvice, probeAccess, type StripeAccess } from './access';
import { keyMode } from './stripe/rate-budgets';
import type { ConnectorConfig } from './config/config';
import { ConnectorError, errorMessage } from './errors';
import { closePipeline, openPipeline } from './open-pipeline';
import { StripeApi } from './stripe/api';
import type { StripePort } from './stripe/port';

export type CheckResult =
  | { ok: true; message: string; access: StripeAccess }
  /** `error`: what failed, for a shell to say in its own words (`describeError`). */
  | { ok: false; message: string; error: ConnectorError };

/**
 * Proves the config works end to end without importing anything: every enabled pipeline's
 * transformation loads and the key can read customers. A key that may read customers but not
 * events still passes (full imports work): the message says what it can do and how to enable
 * incremental imports. It fails only for what no sync mode can do without.
 */
export async function checkConnection(
  config: ConnectorConfig,
  stripe: StripePort = new StripeApi({ ...config.connection, maxAttempts: 3 }),
): Promise<CheckResult> {
  // Ignored parts of the config are worth knowing whether the check passes or not.
  const notes = config.warnings.map((warning) => ` ${warning}`).join('');
  try {
    for (const pipeline of config.pipelines.filter((p) => p.enabled)) {
      await closePipeline(await openPipeline(config, pipeline));
    }
    const access = await probeAccess(stripe);
    return { ok: true, message: `${describeAccess(config, access)}${notes}`, access };
  } catch (error) {
    if (error instanceof ConnectorError && error.kind !== 'system')
      return { ok: false, message: `${error.message}${notes}`, error };
    const unexpected = new ConnectorError(
      'system',
      `Unexpected error while checking the connection: ${errorMessage(error)}`,
      { cause: error },
    );
    return { ok: false, message: `${unexpected.message}${notes}`, error: unexpected };
  }
}

/** What the key can do, in one message for a connection test. */
export function describeAccess(config: ConnectorConfig, access: StripeAccess): string {
  const { accountId, apiKey } = config.connection;
  const where = `${keyMode(apiKey)} mode${accountId ? `, account ${accountId}` : ''}`;
  if (access.events.readable) {
    return `Connected to Stripe (${where}): customers and events are readable, so full and incremental imports both work.`;
  }
  return `Connected to Stripe (${where}): customers are readable, so full imports work. ${eventsPermissionAdvice()}`;
}
