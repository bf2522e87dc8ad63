import type { AccountSelection } from '../config/config';
import { ConnectorError } from '../errors';
import { PLATFORM_ACCOUNT } from '../stripe/customer-schema';
import { PAGE_SIZE, type StripePort } from '../stripe/port';
import { inShard } from './shard';

/**
 * The accounts a run reads, in the order it starts them: the configured ids, or every account
 * `GET /v1/accounts` lists now (so an account connected since the last run is read, from its
 * full import), then the platform's own if asked; only this copy's shard. Looked up once per run.
 */
export async function accountsToRead(
  platform: StripePort,
  selection: AccountSelection,
): Promise<string[]> {
  const connected =
    selection.connected === 'all' ? await listConnected(platform) : [...selection.connected];
  const all = selection.includePlatform ? [...connected, PLATFORM_ACCOUNT] : connected;
  return all.filter((account) => inShard(account, selection.shard));
}

async function listConnected(platform: StripePort): Promise<string[]> {
  if (!platform.listConnectedAccounts) {
    throw new ConnectorError('system', 'This Stripe port cannot list connected accounts.');
  }
  const ids: string[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await platform.listConnectedAccounts({
      limit: PAGE_SIZE,
      ...(startingAfter ? { startingAfter } : {}),
    });
    ids.push(...page.items.map((account) => account.id));
    startingAfter = page.items.at(-1)?.id;
    if (!page.hasMore || !startingAfter) return [...new Set(ids)];
  }
}
