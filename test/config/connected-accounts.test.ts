/**
 * `connected_accounts` and its settings as the engine reads them: "all" or a list, checked with
 * errors that say where, what and how to fix it; the settings that need it refused without it;
 * `stripe_account_id` readable by filters only where records carry it; shards parsed.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../connector';
import { inShard, parseShard, shardOf } from '../../connector/accounts/shard';

const KEY = 'sk_test_connect';

function refusal(raw: Record<string, unknown>): ConfigError {
  try {
    parseConfig({ api_key: KEY, ...raw });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('connected_accounts', () => {
  it('"all", a list, or (omitted, empty) one account as before', () => {
    expect(parseConfig({ api_key: KEY, connected_accounts: 'all' }).accounts).toEqual({
      connected: 'all',
      includePlatform: false,
      onRemoved: 'keep',
      concurrency: 16,
    });
    const listed = parseConfig({
      api_key: KEY,
      connected_accounts: ['acct_1', 'acct_2'],
      include_platform_account: true,
      on_account_removed: 'delete',
      account_shard: '2/3',
    });
    expect(listed.accounts).toMatchObject({
      connected: ['acct_1', 'acct_2'],
      includePlatform: true,
      onRemoved: 'delete',
      shard: { index: 2, count: 3 },
    });
    expect(listed.pipelines[0]?.perAccount).toBe(true);
    for (const none of [{}, { connected_accounts: [] }]) {
      const config = parseConfig({ api_key: KEY, ...none });
      expect(config.accounts).toBeUndefined();
      expect(config.pipelines[0]?.perAccount).toBe(false);
    }
  });

  it('refuses what cannot be meant, saying where and how to fix it', () => {
    const withAccountId = refusal({ account_id: 'acct_1', connected_accounts: 'all' });
    expect(withAccountId.at).toEqual(['connected_accounts']);
    expect(withAccountId.message).toContain('account_id');
    expect(refusal({ connected_accounts: ['all', 'acct_1'] }).at).toEqual([
      'connected_accounts',
      0,
    ]);
    const twice = refusal({ connected_accounts: ['acct_1', 'acct_2', 'acct_1'] });
    expect(twice.at).toEqual(['connected_accounts', 2]);
    expect(twice.message).toContain('listed twice');
    expect(refusal({ connected_accounts: ['cus_1'] }).message).toMatch(/connected_accounts/);
    for (const alone of [
      { include_platform_account: true },
      { on_account_removed: 'delete' },
      { account_shard: '1/2' },
    ]) {
      const error = refusal(alone);
      expect(error.at).toEqual([Object.keys(alone)[0]]);
      expect(error.message).toContain('connected_accounts');
    }
    expect(refusal({ connected_accounts: 'all', account_shard: '3/2' }).message).toContain(
      'shards are numbered 1 to 2',
    );
    expect(refusal({ connected_accounts: 'all', account_shard: '1/0' }).at).toEqual([
      'account_shard',
    ]);
  });

  it('lets filters read stripe_account_id only where records carry it', () => {
    const filter = {
      logical: 'all',
      conditions: [{ property: 'stripe_account_id', operator: 'is', values: ['acct_1'] }],
    };
    const pipelines = [{ name: 'one', filter }];
    expect(
      parseConfig({ api_key: KEY, connected_accounts: 'all', pipelines }).pipelines,
    ).toHaveLength(1);
    const refused = refusal({ pipelines });
    expect(refused.message).toContain('stripe_account_id');
    expect(refused.message).toContain('connected_accounts');
  });
});

describe('account shards', () => {
  it('put every account in exactly one shard, the same one every time', () => {
    const accounts = Array.from({ length: 500 }, (_, i) => `acct_${i.toString(36)}x`);
    for (const count of [1, 2, 3, 7]) {
      const shards = Array.from({ length: count }, (_, i) => parseShard(`${i + 1}/${count}`));
      for (const account of accounts) {
        expect(shards.filter((shard) => inShard(account, shard))).toHaveLength(1);
        expect(shardOf(account, count)).toBe(shardOf(account, count));
      }
      // Spread over every shard.
      const sizes = shards.map((shard) => accounts.filter((a) => inShard(a, shard)).length);
      expect(Math.min(...sizes)).toBeGreaterThan(500 / count / 2);
    }
  });
});
