/**
 * Which data set a request acts on: the key's mode (test/live) and the `Stripe-Account` header.
 * Data sets are built on first use, so a live key or a connected account costs nothing until used.
 *
 * An unknown `Stripe-Account` gets what Stripe answers a platform key for an account it is not
 * connected to: 403, `code: "account_invalid"`. (Stripe never creates accounts on the fly.)
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

export class Registry {
  readonly defaultAccountId: string;
  private readonly specs = new Map<string, { customers: number; seed: number }>();
  private readonly built = new Map<string, Account>();
  /** Told of every event of the default account, in either mode (its webhook endpoints). */
  onDefaultAccountEvent: ((event: StripeEvent) => void) | undefined;

  constructor(
    private readonly clock: Clock,
    seed: number,
    customers: number,
    connected: Record<string, AccountSpec>,
    private readonly behaviour: Behaviour,
    private readonly sameSecondOrder?: SameSecondEventOrder,
    /** Every account's seed is dense (bulk imports and updates), not sparse. */
    private readonly dense?: DenseAccount,
  ) {
    this.defaultAccountId = new Rng(deriveSeed(seed, 'account-id')).id('acct_', 16);
    this.specs.set(this.defaultAccountId, { customers, seed });
    for (const [id, spec] of Object.entries(connected)) {
      this.specs.set(id, { customers: spec.customers, seed: spec.seed ?? deriveSeed(seed, id) });
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
    if (!this.specs.has(id)) throw accountInvalid(maskKey(key.key), id);
    return this.get(id, key.livemode);
  }

  private get(id: string, livemode: boolean): Account {
    const bucket = `${id}:${livemode ? 'live' : 'test'}`;
    let account = this.built.get(bucket);
    if (!account) {
      const spec = this.specs.get(id) as { customers: number; seed: number };
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
