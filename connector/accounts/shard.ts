import { createHash } from 'node:crypto';
import { ConfigError } from '../errors';

/** Shard `index` (1 to `count`) of `count`: the accounts one copy of a connection reads. */
export interface AccountShard {
  index: number;
  count: number;
}

/** `account_shard` as written (`I/N`, already matching the spec's pattern), checked. */
export function parseShard(text: string): AccountShard {
  const [index, count] = text.split('/').map(Number) as [number, number];
  const fix = `write I/N with 1 <= I <= N, e.g. 1/${Math.max(count, 2)} to ${Math.max(count, 2)}/${Math.max(count, 2)} for ${Math.max(count, 2)} copies`;
  if (count < 1) {
    throw new ConfigError({ at: ['account_shard'], problem: 'N (the number of shards) is 0', fix });
  }
  if (index < 1 || index > count) {
    throw new ConfigError({
      at: ['account_shard'],
      problem: `shard ${index} does not exist: shards are numbered 1 to ${count}`,
      fix,
    });
  }
  return { index, count };
}

/**
 * The shard an account belongs to, 1 to `count`: the first six bytes of the SHA-256 of its id,
 * as a number, modulo `count`, plus one. The same id lands in the same shard on every machine
 * and in every version, so N copies never read an account twice nor leave one out.
 */
export function shardOf(accountId: string, count: number): number {
  const digest = createHash('sha256').update(accountId).digest();
  return (digest.readUIntBE(0, 6) % count) + 1;
}

/** Whether this copy (`shard`) reads `accountId`; every account without a shard. */
export function inShard(accountId: string, shard: AccountShard | undefined): boolean {
  return !shard || shardOf(accountId, shard.count) === shard.index;
}
