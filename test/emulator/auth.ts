/**
 * API key checks as Stripe does them: `Authorization: Bearer KEY` (or HTTP Basic with the key as
 * user name, which older clients and curl -u use); `sk_live_`/`rk_live_` keys act on live-mode
 * data; restricted keys (`rk_...`) carry permissions. Keys are never echoed back in full.
 */
import { invalidApiKey, missingPermission, noApiKey } from './errors.js';

export type Permission = 'customers:read' | 'customers:write' | 'events:read' | 'accounts:read';

export interface ApiKey {
  key: string;
  livemode: boolean;
  /** null: a secret key, allowed everything. */
  permissions: ReadonlySet<Permission> | null;
}

/** The names Stripe uses for these permissions in its 403 messages. */
const STRIPE_PERMISSION_NAME: Record<Permission, string> = {
  'customers:read': 'rak_customer_read',
  'customers:write': 'rak_customer_write',
  'events:read': 'rak_event_read',
  // As a 403 for `GET /v1/account` quotes it (a public test double of Stripe's answer): Stripe
  // documents no list of these names.
  'accounts:read': 'rak_accounts_kyc_basic_read',
};

export class Keyring {
  private readonly keys = new Map<string, ApiKey>();

  constructor(secretKeys: readonly string[], restricted: Record<string, readonly string[]>) {
    for (const key of secretKeys) {
      this.keys.set(key, { key, livemode: isLive(key), permissions: null });
    }
    for (const [key, permissions] of Object.entries(restricted)) {
      this.keys.set(key, {
        key,
        livemode: isLive(key),
        permissions: new Set(permissions as Permission[]),
      });
    }
  }

  authenticate(authorization: string | undefined): ApiKey {
    const presented = parseAuthorization(authorization);
    if (!presented) throw noApiKey();
    const key = this.keys.get(presented);
    if (!key) throw invalidApiKey(maskKey(presented));
    return key;
  }
}

/** Throws Stripe's 403 unless the key may use an endpoint needing `needed`. */
export function authorize(key: ApiKey, needed: Permission | null, account: string): void {
  if (!needed || !key.permissions) return;
  // A write permission includes reading, as in Stripe's dashboard ("Write" implies "Read").
  if (key.permissions.has(needed)) return;
  if (needed === 'customers:read' && key.permissions.has('customers:write')) return;
  throw missingPermission(maskKey(key.key), account, STRIPE_PERMISSION_NAME[needed]);
}

function isLive(key: string): boolean {
  return key.startsWith('sk_live_') || key.startsWith('rk_live_');
}

function parseAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() === 'basic') {
    const user = Buffer.from(value, 'base64').toString('utf8').split(':')[0];
    return user || undefined;
  }
  return undefined;
}

/**
 * `sk_test_************S8wL`: the key type prefix, stars, and the last four characters — the
 * tail only when the key is long enough that it reveals little.
 */
export function maskKey(key: string): string {
  const prefix = /^(?:sk|rk|pk)_(?:test|live)_/.exec(key)?.[0] ?? '';
  const rest = key.slice(prefix.length);
  if (rest.length < 8) return prefix + '*'.repeat(Math.max(rest.length, 4));
  return prefix + '*'.repeat(rest.length - 4) + rest.slice(-4);
}
