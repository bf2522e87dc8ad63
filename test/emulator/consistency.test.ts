/**
 * Stripe's eventual consistency in the emulator, through the official SDK: events listed late
 * (`eventDelayShare` / `eventDelayMaxSeconds`), search answering from a lagging index
 * (`searchLagSeconds`), and search slicing by `created` through the ordered index.
 */
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from './index.js';
import { rawSdkFor } from '../support/stripe';

const KEY = 'sk_test_emulator';
const NOW = 1_760_000_000;
const DAY = 86_400;

const sdk = (emu: RunningEmulator): Stripe => rawSdkFor(emu, KEY);

async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the request to fail');
}

const allEvents = (stripe: Stripe) =>
  stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });

describe('late-listed events (30% up to 90 s late)', () => {
  let emu: RunningEmulator;
  let stripe: Stripe;
  const SHARE = 0.3;
  const MAX = 90;

  beforeAll(async () => {
    emu = await startEmulator({
      now: NOW,
      seed: 5,
      eventDelayShare: SHARE,
      eventDelayMaxSeconds: MAX,
    });
    stripe = sdk(emu);
  });
  afterAll(() => emu.close());

  it('leaves a share out of the list until created + delay, then lists each in its place', async () => {
    for (let i = 0; i < 40; i++) await stripe.customers.create({ name: `Late ${i}` });
    const listedAtFirst = (await allEvents(stripe)).map((e) => e.id);

    // What a webhook would have delivered: every event, in list order (delays off for a moment;
    // the per-event draws are fixed, so turning them back on hides the same events again).
    emu.setFaults({ eventDelayShare: 0 });
    const every = await allEvents(stripe);
    emu.setFaults({ eventDelayShare: SHARE });
    expect(every).toHaveLength(40);
    expect((await allEvents(stripe)).map((e) => e.id)).toEqual(listedAtFirst);

    const hidden = every.filter((e) => !listedAtFirst.includes(e.id));
    expect(hidden.length).toBeGreaterThan(2);
    expect(hidden.length).toBeLessThan(25);

    // A hidden event is retrievable by id (its id may come from a webhook), but is no cursor.
    const late = hidden[0]!;
    expect(await stripe.events.retrieve(late.id)).toEqual(late);
    const cursor = await rejection(stripe.events.list({ starting_after: late.id }));
    expect(cursor).toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'starting_after',
    });

    // Step the clock: each late event appears once, between the same neighbours, for good.
    const firstListedAt = new Map<string, number>();
    for (let elapsed = 0; elapsed <= MAX + 5; elapsed += 5) {
      const listed = (await allEvents(stripe)).map((e) => e.id);
      const expectedOrder = every.map((e) => e.id).filter((id) => listed.includes(id));
      expect(listed).toEqual(expectedOrder);
      for (const id of firstListedAt.keys()) expect(listed).toContain(id);
      for (const id of listed) if (!firstListedAt.has(id)) firstListedAt.set(id, elapsed);
      emu.advanceClock(5);
    }
    expect(firstListedAt.size).toBe(40);
    // Listed by created + delay <= created + 90, at the latest at the step reaching 90 s.
    const delays = hidden.map((e) => firstListedAt.get(e.id)!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX);
    // Uniform over (0, 90]: not all at once.
    expect(new Set(delays).size).toBeGreaterThan(1);

    // Listed at last: the same events, with the same ids and created seconds.
    expect(await allEvents(stripe)).toEqual(every);
    expect((await stripe.events.list({ starting_after: late.id, limit: 100 })).data).toEqual(
      every.slice(every.findIndex((e) => e.id === late.id) + 1),
    );
  });
});

describe('search lag (60 s)', () => {
  let emu: RunningEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emu = await startEmulator({ now: NOW, customers: 60, seed: 6, searchLagSeconds: 60 });
    stripe = sdk(emu);
  });
  afterAll(() => emu.close());

  const byEmail = async (email: string) =>
    (await stripe.customers.search({ query: `email:'${email}'`, limit: 100 })).data;

  it('misses fresh customers, shows old versions and deleted customers until the lag passes', async () => {
    const withEmail = (await stripe.customers.list({ limit: 20 })).data.filter((c) => c.email);
    const [changed, removed] = withEmail;
    // Seeded customers were indexed long ago.
    expect((await byEmail(changed!.email!)).map((c) => c.id)).toContain(changed!.id);

    const fresh = await stripe.customers.create({ email: 'fresh.lag@example.com', name: 'New' });
    await stripe.customers.update(changed!.id, { name: 'Renamed Since' });
    await stripe.customers.del(removed!.id);
    const nameQuery = () =>
      stripe.customers.search({ query: "name:'Renamed Since'", expand: ['total_count'] });

    expect(await byEmail('fresh.lag@example.com')).toEqual([]);
    expect((await nameQuery()).data).toEqual([]);
    expect((await byEmail(changed!.email!)).find((c) => c.id === changed!.id)).toEqual(changed);
    expect((await byEmail(removed!.email!)).find((c) => c.id === removed!.id)).toEqual(removed);
    expect(await stripe.customers.retrieve(removed!.id)).toMatchObject({ deleted: true });

    emu.advanceClock(30);
    expect(await byEmail('fresh.lag@example.com')).toEqual([]);

    emu.advanceClock(31);
    expect(await byEmail('fresh.lag@example.com')).toEqual([fresh]);
    const renamed = await nameQuery();
    expect(renamed.data.map((c) => c.id)).toEqual([changed!.id]);
    expect(renamed.total_count).toBe(1);
    expect((await byEmail(removed!.email!)).map((c) => c.id)).not.toContain(removed!.id);
  });

  it('changes at runtime: with no lag a write is searchable at once', async () => {
    emu.setFaults({ searchLagSeconds: 0 });
    const now = await stripe.customers.create({ email: 'instant@example.com' });
    expect(await byEmail('instant@example.com')).toEqual([now]);
    emu.setFaults({ searchLagSeconds: 60 });
    await stripe.customers.create({ email: 'lagging@example.com' });
    expect(await byEmail('lagging@example.com')).toEqual([]);
  });
});

describe('search by created slices', () => {
  const N = 3000;
  let emu: RunningEmulator;
  let stripe: Stripe;
  let all: Stripe.Customer[];

  beforeAll(async () => {
    emu = await startEmulator({ customers: N, seed: 7, now: NOW });
    stripe = sdk(emu);
    all = await stripe.customers.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  });
  afterAll(() => emu.close());

  const search = (query: string, limit = 100) =>
    stripe.customers.search({ query, limit }).autoPagingToArray({ limit: 10_000 });
  const ids = (list: Stripe.Customer[]) => list.map((c) => c.id);

  it('reads a created slice page by page, newest first, exactly once each', async () => {
    const a = all[2500]!.created;
    const b = all[400]!.created;
    const slice = await search(`created>=${a} AND created<=${b}`, 37);
    expect(ids(slice)).toEqual(ids(all.filter((c) => c.created >= a && c.created <= b)));
    const exclusive = await search(`created>${a} AND created<${b}`);
    expect(ids(exclusive)).toEqual(ids(all.filter((c) => c.created > a && c.created < b)));
    const page = await stripe.customers.search({
      query: `created>=${a} AND created<=${b}`,
      limit: 100,
      expand: ['total_count'],
    });
    expect(page.total_count).toBe(slice.length);
    expect(page.has_more).toBe(true);
  });

  it('combines a created slice with other clauses, and keeps OR and negation exact', async () => {
    const a = all[2000]!.created;
    const b = all[100]!.created;
    expect(ids(await search(`metadata['plan']:'pro' AND created<=${b} AND created>=${a}`))).toEqual(
      ids(all.filter((c) => c.metadata.plan === 'pro' && c.created >= a && c.created <= b)),
    );
    expect(ids(await search(`created>=${a} AND -created>${b} AND phone:null`))).toEqual(
      ids(all.filter((c) => c.created >= a && !(c.created > b) && c.phone === null)),
    );
    expect(ids(await search(`created>${b} OR created<${a}`))).toEqual(
      ids(all.filter((c) => c.created > b || c.created < a)),
    );
    expect(await search(`created>=${b} AND created<${a}`)).toEqual([]);
    const t = all[1234]!.created;
    expect(ids(await search(`created:${t}`))).toEqual(ids(all.filter((c) => c.created === t)));
    expect(all.every((c) => c.created < NOW && c.created > NOW - 5 * 365 * DAY)).toBe(true);
  });

  it('still refuses more than 10 clauses and mixed AND/OR', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `created>${i}`).join(' AND ');
    expect(await rejection(search(eleven))).toMatchObject({ statusCode: 400, param: 'query' });
    expect(
      await rejection(search(`created>1 AND created<2 OR email:'a@example.com'`)),
    ).toMatchObject({ statusCode: 400, param: 'query' });
  });
});

describe('search lag with a slice query', () => {
  let emu: RunningEmulator;
  afterEach(() => emu.close());

  it('a created slice misses a customer created in it until the lag passes', async () => {
    emu = await startEmulator({ now: NOW, customers: 20, seed: 9, searchLagSeconds: 120 });
    const stripe = sdk(emu);
    const made = await stripe.customers.create({ name: 'In the slice' });
    const query = `created>=${made.created - 5} AND created<=${made.created + 5}`;
    expect((await stripe.customers.search({ query })).data).toEqual([]);
    emu.advanceClock(121);
    expect((await stripe.customers.search({ query })).data).toEqual([made]);
  });
});
