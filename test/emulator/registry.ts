/**
 * Which data set a request acts on: the key's mode (test/live) and the `Stripe-Account` header.
 * Data sets are built on first use, so a live key or a connected account costs nothing until used.
 *
 * The default account is the platform: the key's own account. Every other account is connected
 * to it (Stripe Connect), listed at `GET /v1/accounts` (newest first, as Stripe lists), and read
 * with `Stripe-Account: acct_…`. An unknown or revoked `Stripe-Account` gets what Stripe answers
 * a platform key for an account it may not act for: 403, `code: "account_invalid"`. (Stripe never
 * creates accounts on the fly.)
 */
import { Account } from './account.js';
import type { ApiKey } from './auth.js';
import { maskKey } from './auth.js';
import type { Behaviour } from './behaviour.js';
import type { Clock } from './clock.js';
import { accountInvalid } from './errors.js';
import type { StripeEvent } from './model.js';
import { deriveSeed, Rng } from './prng.js';
import type { SameSecondEventOrder } from './store.js';
import type { DenseAccount } from './dense.js';

export interface AccountSpec {
  customers: number;
  seed?: number;
}

/** A connected account as `GET /v1/accounts` shows it: what the emulator keeps of Stripe's object. */
export interface ConnectedAccount {
  id: string;
  object: 'account';
  business_profile: { name: string };
  charges_enabled: boolean;
  country: string;
  created: number;
  default_currency: string;
  details_submitted: boolean;
  email: string;
  metadata: Record<string, string>;
  payouts_enabled: boolean;
  type: 'standard';
}

interface Known {
  customers: number;
  seed: number;
  /** Unset for the platform. */
  account?: ConnectedAccount;
  /**
   * The platform's access was revoked (deauthorized, or the account closed): every request for it
   * answers 403 account_invalid. `stillListed`: it still shows in `GET /v1/accounts` (Stripe does
   * not document whether a deauthorized account does).
   */
  revoked?: { stillListed: boolean };
}

export class Registry {
  readonly defaultAccountId: string;
  private readonly known = new Map<string, Known>();
  private readonly built = new Map<string, Account>();
  private readonly idRng: Rng;
  /** Told of every event of the default account, in either mode (its webhook endpoints). */
  onDefaultAccountEvent: ((event: StripeEvent) => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly seed: number,
    customers: number,
    connected: Record<string, AccountSpec>,
    private readonly behaviour: Behaviour,
    private readonly sameSecondOrder?: SameSecondEventOrder,
    /** Generated connected accounts, each with `customers` customers (`--connected-accounts`). */
    generated = 0,
    /** Every account's seed is dense (bulk imports and updates), not sparse. */
    private readonly dense?: DenseAccount,
  ) {
    this.defaultAccountId = new Rng(deriveSeed(seed, 'account-id')).id('acct_', 16);
    this.idRng = new Rng(deriveSeed(seed, 'connected-account-ids'));
    this.known.set(this.defaultAccountId, { customers, seed });
    const named = Object.entries(connected);
    // Connected over the past days, oldest first, an hour apart: a stable order to list them in.
    const total = named.length + generated;
    const firstAt = clock.now() - (total + 1) * 3600;
    named.forEach(([id, spec], index) => {
      this.add(id, spec.customers, spec.seed ?? deriveSeed(seed, id), firstAt + index * 3600);
    });
    for (let index = 0; index < generated; index++) {
      const id = this.freshId();
      this.add(id, customers, deriveSeed(seed, id), firstAt + (named.length + index) * 3600);
    }
  }

  /** Builds the default test-mode data now, so startup pays for seeding, not the first request. */
  warm(): void {
    this.get(this.defaultAccountId, false);
  }

  defaultTestAccount(): Account {
    return this.get(this.defaultAccountId, false);
  }

  resolve(key: ApiKey, stripeAccount: string | undefined): Account {
    const id = stripeAccount?.trim() || this.defaultAccountId;
    const known = this.known.get(id);
    if (!known || known.revoked) throw accountInvalid(maskKey(key.key), id);
    return this.get(id, key.livemode);
  }

  /**
   * The accounts connected to `platform` that `GET /v1/accounts` lists, newest first. A connected
   * account lists none: "If you're not a platform, the list is empty."
   */
  listed(platform: string): ConnectedAccount[] {
    if (platform !== this.defaultAccountId) return [];
    return [...this.known.values()]
      .filter((known) => known.account && (!known.revoked || known.revoked.stillListed))
      .map((known) => known.account as ConnectedAccount)
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  /** Connects a new account now, with `customers` seeded customers (and their events). */
  connect(options: { id?: string; customers?: number } = {}): ConnectedAccount {
    const id = options.id ?? this.freshId();
    if (!/^acct_[A-Za-z0-9]+$/.test(id)) throw new TypeError(`not an account id: ${id}`);
    if (this.known.has(id)) throw new TypeError(`account ${id} exists already`);
    return this.add(id, options.customers ?? 0, deriveSeed(this.seed, id), this.clock.now());
  }

  /** Revokes the platform's access to a connected account (see `Known.revoked`). */
  revoke(id: string, options: { stillListed?: boolean } = {}): void {
    const known = this.known.get(id);
    if (!known?.account) throw new TypeError(`no connected account ${id}`);
    known.revoked = { stillListed: options.stillListed ?? false };
  }

  private add(id: string, customers: number, seed: number, created: number): ConnectedAccount {
    const account: ConnectedAccount = {
      id,
      object: 'account',
      business_profile: { name: `Brand ${id.slice(-6)}` },
      charges_enabled: true,
      country: 'US',
      created,
      default_currency: 'usd',
      details_submitted: true,
      email: `owner+${id.slice(-6).toLowerCase()}@example.com`,
      metadata: {},
      payouts_enabled: true,
      type: 'standard',
    };
    this.known.set(id, { customers, seed, account });
    return account;
  }

  private freshId(): string {
    let id = this.idRng.id('acct_', 16);
    while (this.known.has(id)) id = this.idRng.id('acct_', 16);
    return id;
  }

  private get(id: string, livemode: boolean): Account {
    const bucket = `${id}:${livemode ? 'live' : 'test'}`;
    let account = this.built.get(bucket);
    if (!account) {
      const spec = this.known.get(id) as Known;
      const seed = livemode ? deriveSeed(spec.seed, 'live') : spec.seed;
      account = new Account(
        id,
        livemode,
        this.clock,
        seed,
        spec.customers,
        this.behaviour,
        this.sameSecondOrder,
        this.dense,
      );
      if (id === this.defaultAccountId) {
        account.onEvent = (event) => this.onDefaultAccountEvent?.(event);
      }
      this.built.set(bucket, account);
    }
    return account;
  }
}
