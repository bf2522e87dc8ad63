import type { ConnectorConfig } from '../config/config';
import { ConnectorError } from '../errors';
import { stateStartingNow } from '../pipeline/start-now';
import type { AccountsState, SingleAccountState } from '../pipeline/state';
import type { StripePort } from '../stripe/port';
import { accountPort } from './account-port';
import { accountsToRead } from './select';

/**
 * `stateStartingNow` for every account a config with connected accounts reads now: each account's
 * change tracking starts at Stripe's current time (one events request or two per account, a few
 * at once). An account connected later is not in it: the run that finds it imports it in full.
 * An account that cannot be read now is left out too: the first run says why, alone.
 */
export async function accountsStartingNow(
  config: ConnectorConfig,
  platform: StripePort,
  fingerprint: string,
): Promise<AccountsState> {
  const selection = config.accounts;
  if (!selection) throw new Error('accountsStartingNow: the config reads one account');
  const waiting = await accountsToRead(platform, selection);
  const accounts: Record<string, SingleAccountState> = {};
  const worker = async () => {
    for (let account = waiting.shift(); account !== undefined; account = waiting.shift()) {
      try {
        accounts[account] = await stateStartingNow(
          accountPort(platform, account),
          fingerprint,
          config.reading.settleSeconds,
          config.reading.overlapSeconds,
        );
      } catch (error) {
        if (!(error instanceof ConnectorError)) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: selection.concurrency }, worker));
  return { version: 1, phase: 'accounts', accounts, fingerprint };
}
