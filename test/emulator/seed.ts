/**
 * Deterministic, realistic seed data for one account: customers shaped exactly like Stripe's
 * (nulls, unicode names, plus-addressed and uppercase emails, metadata keys with dots and
 * spaces, same-second creations, more signups recently), plus the event log Stripe would hold:
 * `customer.created` for customers created in the last 30 days, a few recent updates and
 * deletions, and `customer.discount.created` noise (which `type=customer.*` also matches).
 * 200,000 customers generate in well under a second.
 */
import {
  API_VERSION,
  type Address,
  type Customer,
  DEFAULT_INVOICE_SETTINGS,
  type Discount,
  EVENT_RETENTION_SECONDS,
  type StripeEvent,
  type TaxExempt,
} from './model.js';
import { mixSeed, Rng } from './prng.js';
import {
  COMPANIES,
  COUPONS,
  CUSTOM_INVOICE_SETTINGS,
  DESCRIPTIONS,
  DOMAINS,
  EMPTY_LOCALES,
  FIRST,
  FOUR_YEARS,
  LAST,
  LOCALES,
  MANAGERS,
  PLACES,
  PLANS,
  SOURCES,
  STREETS,
  TRANSLIT,
  UNICODE_NAMES,
} from './seed-pools.js';
import { bulkImportTimes, bulkUpdatedCount, type DenseAccount } from './dense.js';

export interface SeedOptions {
  count: number;
  now: number;
  livemode: boolean;
  seed: number;
  /** A dense account: bulk imports and bulk updates (dense.ts); default sparse. */
  dense?: DenseAccount;
}

/**
 * A seeded customer as stored: just what lists need to order and filter. The full object is
 * derived again from `index` whenever it is served (a few microseconds), so 200,000 customers
 * cost a few megabytes and seed in a fraction of a second instead of building 200,000 object
 * graphs up front. `customer` is set once the customer is changed through the API.
 */
export interface CustomerSlot {
  id: string;
  created: number;
  testClock: string | null;
  email: string | null;
  index: number;
  customer?: Customer;
}

export interface SeedData {
  live: CustomerSlot[];
  deleted: Customer[];
  /** In the order they happened. */
  events: StripeEvent[];
  /** Builds the full customer of a seeded slot; deterministic. */
  materialize: (slot: CustomerSlot) => Customer;
}

export function generateSeed(options: SeedOptions): SeedData {
  const { count, now, livemode, seed, dense } = options;
  const rng = new Rng(seed);
  // 62^14 possible customer ids: among 200,000 a collision has odds of about 1e-15, so seeding
  // skips the uniqueness check (API-created ids are checked).
  const newId = (prefix: string, length: number): string => rng.id(prefix, length);
  // One reusable generator for per-customer draws: seeding and serving allocate no generators.
  const own = new Rng(0);
  let nextIndex = 0;
  const slot = (created: number, testClock: string | null): CustomerSlot => {
    const index = nextIndex++;
    // Same draws, in the same order, as the start of makeCustomer.
    own.reseed(mixSeed(seed, index));
    const email = emailOf(own, customerName(own));
    return { id: newId('cus_', 14), created, testClock, email, index };
  };
  const materialize = (s: CustomerSlot): Customer =>
    s.customer ??
    makeCustomer(own.reseed(mixSeed(seed, s.index)), s.id, s.created, now, livemode, s.testClock);

  const events: Array<{ order: number; event: StripeEvent }> = [];
  const retentionStart = now - EVENT_RETENTION_SECONDS;
  const emit = (type: string, created: number, object: object, previous?: object): void => {
    if (created < retentionStart) return;
    const event: StripeEvent = {
      id: newId('evt_', 24),
      object: 'event',
      api_version: API_VERSION,
      created,
      data: previous ? { object, previous_attributes: { ...previous } } : { object },
      livemode,
      pending_webhooks: 0,
      // Dashboard-made changes carry no request id; API-made ones do.
      request: { id: rng.chance(0.7) ? rng.id('req_', 14) : null, idempotency_key: null },
      type,
    };
    events.push({ order: events.length, event });
  };

  const live = createdTimes(rng, count, now, dense).map((created) => slot(created, null));
  for (const s of live) {
    if (s.created < retentionStart) continue;
    const c = materialize(s);
    emit('customer.created', c.created, c);
    if (c.discount) emit('customer.discount.created', c.created, c.discount);
  }

  // Test-clock customers: left out of lists unless `test_clock` is given, but their events
  // show up like any other (test mode only; a real account rarely has many).
  const testClocks = livemode || count < 500 ? [] : [newId('clock_', 24), newId('clock_', 24)];
  const clocked: CustomerSlot[] = [];
  for (let i = 0; i < Math.floor(count / 500) && testClocks.length > 0; i++) {
    const s = slot(now - rng.int(1, 365 * 86400), rng.pick(testClocks));
    clocked.push(s);
    if (s.created >= retentionStart) emit('customer.created', s.created, materialize(s));
  }

  // Recent updates to some existing customers: the created event shows the older state.
  const updates: Array<{ at: number; customer: Customer; previous: Record<string, unknown> }> = [];
  for (const s of live) {
    if (!rng.chance(0.01) || s.created >= now - 2) continue;
    const at = rng.int(Math.max(s.created + 1, retentionStart), now - 1);
    const customer = materialize(s);
    updates.push({ at, customer, previous: pastValues(rng, customer) });
  }
  if (dense)
    updates.push(...bulkUpdates(rng, live, dense, retentionStart, now, updates, materialize));
  for (const u of updates) emit('customer.updated', u.at, u.customer, u.previous);

  // Customers deleted in the last 30 days: gone from lists, retrievable as deleted.
  const deleted: Customer[] = [];
  for (const created of createdTimes(rng, Math.floor(count * 0.005), now)) {
    if (created >= now - 2) continue;
    const c = materialize(slot(created, null));
    deleted.push(c);
    emit('customer.created', created, c);
    emit('customer.deleted', rng.int(Math.max(created + 1, retentionStart), now - 1), c);
  }

  // Within one second, keep generation order (created before discount/updated/deleted).
  events.sort((a, b) => a.event.created - b.event.created || a.order - b.order);
  // A customer updated later was created with its previous values.
  const before = new Map(updates.map((u) => [u.customer.id, u.previous]));
  for (const { event } of events) {
    const previous = before.get((event.data.object as Customer).id);
    if (event.type === 'customer.created' && previous) {
      event.data.object = revert(event.data.object as Customer, previous);
    }
  }
  return {
    live: live.concat(clocked),
    deleted,
    events: events.map((e) => e.event),
    materialize,
  };
}

/**
 * `n` creation times over the last four years, oldest first, denser recently (a growing
 * business), with some bursts sharing one second (imports). A dense account has a share of them
 * created by bulk imports instead (dense.ts).
 */
function createdTimes(rng: Rng, n: number, now: number, dense?: DenseAccount): number[] {
  const bulk = dense ? Math.round(n * dense.bulkImportShare) : 0;
  const oneByOne = oneByOneTimes(rng, n - bulk, now);
  if (!dense || bulk === 0) return oneByOne;
  const startOf = () => now - FOUR_YEARS + Math.floor(FOUR_YEARS * Math.sqrt(rng.next()));
  const imported = bulkImportTimes(rng, bulk, dense, startOf, now - 1);
  return oneByOne.concat(imported).sort((a, b) => a - b);
}

/**
 * Bulk updates within the event retention: bursts of up to `eventBurstMax` customers changed in
 * one second, each a customer created before it and not changed otherwise (so every created
 * event's payload can be reverted to the state before its one update).
 */
function bulkUpdates(
  rng: Rng,
  live: CustomerSlot[],
  dense: DenseAccount,
  retentionStart: number,
  now: number,
  already: Array<{ customer: Customer }>,
  materialize: (slot: CustomerSlot) => Customer,
): Array<{ at: number; customer: Customer; previous: Record<string, unknown> }> {
  const changed = new Set(already.map((u) => u.customer.id));
  const bursts: Array<{ at: number; customer: Customer; previous: Record<string, unknown> }> = [];
  let left = bulkUpdatedCount(live.length);
  while (left > 0) {
    const at = rng.int(retentionStart + 1, now - 2);
    // `live` is oldest first: the customers created before `at` are a prefix of it.
    let eligible = 0;
    while (eligible < live.length && (live[eligible] as CustomerSlot).created < at) eligible++;
    const size = Math.min(left, rng.int(1, dense.eventBurstMax));
    left -= size;
    for (let tries = 0, taken = 0; taken < size && tries < size * 4 && eligible > 0; tries++) {
      const slot = live[rng.int(0, eligible - 1)] as CustomerSlot;
      if (changed.has(slot.id)) continue;
      changed.add(slot.id);
      taken++;
      const customer = materialize(slot);
      bursts.push({ at, customer, previous: pastValues(rng, customer) });
    }
  }
  return bursts;
}

/** `n` creation times of customers signing up one by one (see createdTimes). */
function oneByOneTimes(rng: Rng, n: number, now: number): number[] {
  const u = new Float64Array(n);
  for (let i = 0; i < n; i++) u[i] = rng.next();
  u.sort();
  const out = new Array<number>(n);
  const start = now - FOUR_YEARS;
  for (let i = 0; i < n; i++) {
    const t = Math.min(now - 1, start + Math.floor(FOUR_YEARS * Math.sqrt(u[i] as number)));
    out[i] = i > 0 && rng.chance(0.02) ? (out[i - 1] as number) : t;
  }
  return out;
}

function makeCustomer(
  rng: Rng,
  id: string,
  created: number,
  now: number,
  livemode: boolean,
  testClock: string | null,
): Customer {
  const name = customerName(rng);
  const email = emailOf(rng, name);
  const place = rng.pick(PLACES);
  const address: Address | null = rng.chance(0.35)
    ? null
    : {
        city: place[0],
        country: place[1],
        line1: `${rng.int(1, 9999)} ${rng.pick(STREETS)}`,
        line2: rng.chance(0.15) ? `Suite ${rng.int(100, 999)}` : null,
        postal_code: place[3],
        state: place[2],
      };
  const metadata: Record<string, string> = { plan: rng.pick(PLANS), country: place[1] };
  if (rng.chance(0.15)) metadata['signup.source'] = rng.pick(SOURCES);
  if (rng.chance(0.05)) metadata['account manager'] = rng.pick(MANAGERS);
  if (rng.chance(0.03)) metadata.crm_id = `CRM-${rng.int(10000, 99999)}`;
  const discount: Discount | null = rng.chance(0.04)
    ? {
        id: rng.id('di_', 24),
        object: 'discount',
        checkout_session: null,
        customer: id,
        customer_account: null,
        end: rng.chance(0.5) ? created + 365 * 86400 : null,
        invoice: null,
        invoice_item: null,
        promotion_code: null,
        source: { coupon: rng.pick(COUPONS), type: 'coupon' },
        start: created,
        subscription: null,
        subscription_item: null,
      }
    : null;
  const r = rng.next();
  const currency = r < 0.55 ? null : r < 0.85 ? 'usd' : r < 0.95 ? 'eur' : 'gbp';
  const t = rng.next();
  const taxExempt: TaxExempt = t < 0.94 ? 'none' : t < 0.98 ? 'exempt' : 'reverse';
  const phone = rng.chance(0.4) ? null : phoneNumber(rng, place[1]);
  return {
    id,
    object: 'customer',
    address,
    balance: rng.chance(0.9) ? 0 : rng.int(-5000, 20000),
    created,
    currency,
    default_source: null,
    delinquent: rng.chance(0.03),
    description: rng.chance(0.8) ? null : rng.pick(DESCRIPTIONS),
    discount: discount && discount.end !== null && discount.end < now ? null : discount,
    email,
    invoice_prefix: rng.hex(8),
    invoice_settings: rng.chance(0.05) ? CUSTOM_INVOICE_SETTINGS : DEFAULT_INVOICE_SETTINGS,
    livemode,
    metadata,
    name,
    next_invoice_sequence: rng.chance(0.6) ? 1 : rng.int(2, 40),
    phone,
    preferred_locales: rng.chance(0.8) ? EMPTY_LOCALES : rng.pick(LOCALES),
    shipping:
      address && rng.chance(0.2)
        ? { address, name: name ?? 'Receiving', phone: rng.chance(0.5) ? phone : null }
        : null,
    tax_exempt: taxExempt,
    test_clock: testClock,
  };
}

function customerName(rng: Rng): string | null {
  const r = rng.next();
  if (r < 0.08) return null;
  if (r < 0.18) return rng.pick(UNICODE_NAMES);
  if (r < 0.24) return rng.pick(COMPANIES);
  return rng.pick(FULL_NAMES);
}

/** Every first × last combination, built once: no string building per seeded customer. */
const FULL_NAMES = FIRST.flatMap((first) => LAST.map((last) => `${first} ${last}`));

/** Transliterated local parts by name: names repeat, and this is the slow part of seeding. */
const LOCAL_PARTS = new Map<string, string>();

function localPart(name: string): string {
  let local = LOCAL_PARTS.get(name);
  if (local === undefined) {
    local = name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[łøæßđı]/g, (ch) => TRANSLIT[ch] ?? ch)
      .replace(/[^a-z0-9]+/g, '.')
      .replace(/^\.+|\.+$/g, '');
    LOCAL_PARTS.set(name, local);
  }
  return local;
}

/** Emails derive from names (so duplicates occur, as they do in Stripe), transliterated. */
function emailOf(rng: Rng, name: string | null): string | null {
  if (rng.chance(0.06)) return null;
  let local = localPart(name ?? '');
  if (local.length < 2) local = `customer${rng.int(1, 99999)}`;
  else if (rng.chance(0.3)) local += rng.int(1, 99);
  if (rng.chance(0.05)) local += `+${rng.pick(['stripe', 'billing', 'test'])}`;
  let email = `${local}@${rng.pick(DOMAINS)}`;
  // Some people type their address in capitals; Stripe stores it as given.
  if (rng.chance(0.01)) email = email.toUpperCase();
  else if (rng.chance(0.02)) email = email[0]?.toUpperCase() + email.slice(1);
  return email;
}

function phoneNumber(rng: Rng, country: string): string {
  switch (country) {
    case 'GB':
      return `+44 20 ${rng.int(1000, 9999)} ${rng.int(1000, 9999)}`;
    case 'DE':
      return `+49 30 ${rng.int(1000000, 9999999)}`;
    case 'FR':
      return `+33 1 ${rng.int(10, 99)} ${rng.int(10, 99)} ${rng.int(10, 99)} ${rng.int(10, 99)}`;
    default:
      return `+1 555-${rng.int(100, 999)}-${rng.int(1000, 9999)}`;
  }
}

/** The old values of a plausible recent change, as `previous_attributes`. */
function pastValues(rng: Rng, c: Customer): Record<string, unknown> {
  switch (rng.int(0, 3)) {
    case 0: {
      const old = PLANS.find((p) => p !== c.metadata.plan) ?? 'free';
      return { metadata: { plan: old } };
    }
    case 1:
      return { email: c.email ? `old.${c.email}` : 'former@example.com' };
    case 2:
      return { name: c.name ? null : 'Previous Name' };
    default:
      return { balance: c.balance + 1500 };
  }
}

/** A customer's state before a change described by `previous_attributes`. */
function revert(c: Customer, previous: Record<string, unknown>): Customer {
  const old = { ...c } as Record<string, unknown>;
  for (const [key, value] of Object.entries(previous)) {
    old[key] = key === 'metadata' ? { ...c.metadata, ...(value as Record<string, string>) } : value;
  }
  return old as unknown as Customer;
}
