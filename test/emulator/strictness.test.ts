/**
 * The emulator refuses what Stripe refuses, so a client that sends such a request fails its tests
 * instead of production: `expand[]` values an endpoint does not offer (`total_count` on an
 * ordinary list), unknown event type names, more than 20 `types[]`. Through the official SDK over
 * HTTP.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulator';
import { rawSdkFor } from '../support/stripe';
import { EVENT_TYPES } from './event-types';

let emulator: RunningEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emulator = await startEmulator({ customers: 5, seed: 4 });
  stripe = rawSdkFor(emulator);
});

afterAll(() => emulator?.close());

/** What the SDK raised for a request, with Stripe's body as it came. */
async function refusal(request: Promise<unknown>) {
  const error = await request.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  const { statusCode, raw, message, param } = error as Stripe.errors.StripeInvalidRequestError;
  return { statusCode, type: (raw as { type?: string }).type, message, param };
}

describe('expand[]', () => {
  it('total_count on an ordinary list: 400, as Stripe answers (it exists on search only)', async () => {
    expect(await refusal(stripe.customers.list({ expand: ['total_count'] }))).toEqual({
      statusCode: 400,
      type: 'invalid_request_error',
      message: 'This property cannot be expanded (total_count).',
      param: undefined,
    });
    expect(
      await refusal(stripe.events.list({ expand: ['total_count'], types: ['customer.created'] })),
    ).toMatchObject({
      statusCode: 400,
      message: 'This property cannot be expanded (total_count).',
    });
  });

  it('a list item’s field without data.: 400 with Stripe’s hint', async () => {
    expect((await refusal(stripe.customers.list({ expand: ['default_source'] }))).message).toBe(
      "This property cannot be expanded (default_source). You may want to try expanding 'data.default_source' instead.",
    );
    // `data` itself is accepted, as Stripe accepts it.
    expect((await stripe.customers.list({ expand: ['data'], limit: 2 })).data).toHaveLength(2);
  });

  it('an unknown property on a retrieve: 400, before the 404 of a missing customer', async () => {
    expect(await refusal(stripe.customers.retrieve('cus_missing', { expand: ['bogus'] }))).toEqual({
      statusCode: 400,
      type: 'invalid_request_error',
      message: 'This property cannot be expanded (bogus).',
      param: undefined,
    });
    const [customer] = (await stripe.customers.list({ limit: 1 })).data;
    expect(
      (await refusal(stripe.customers.update(customer!.id, { name: 'X', expand: ['email'] })))
        .message,
    ).toBe('This property cannot be expanded (email).');
  });

  it('what Stripe expands but the emulator does not model: refused, saying so', async () => {
    expect((await refusal(stripe.customers.list({ expand: ['data.subscriptions'] }))).message).toBe(
      "The Stripe emulator does not support expanding 'data.subscriptions' (Stripe does).",
    );
  });

  it('an unknown name in types[] or type: 400 naming the parameter', async () => {
    const answer = await refusal(
      stripe.events.list({ types: ['customer.created', 'customer.nonexistent'] }),
    );
    expect(answer).toEqual({
      statusCode: 400,
      type: 'invalid_request_error',
      message:
        "Invalid types[1]: must be a type of event Stripe sends (https://docs.stripe.com/api/events/types); 'customer.nonexistent' is not one.",
      param: 'types[1]',
    });
    expect(await refusal(stripe.events.list({ type: 'customer.update' }))).toMatchObject({
      param: 'type',
    });
    expect(await refusal(stripe.events.list({ type: 'custmer.*' }))).toMatchObject({
      param: 'type',
    });
    // Every name Stripe sends is accepted, and so is a wildcard that matches some.
    const names = [...EVENT_TYPES];
    for (let at = 0; at < names.length; at += 20) {
      await stripe.events.list({ types: names.slice(at, at + 20), limit: 1 });
    }
    await stripe.events.list({ type: 'customer.discount.*', limit: 1 });
    // At most 20 of them at once.
    expect(await refusal(stripe.events.list({ types: names.slice(0, 21) }))).toMatchObject({
      statusCode: 400,
      param: 'types',
    });
  });

  it('the list is the installed SDK’s list of event types', () => {
    const definition = readFileSync(
      join(__dirname, '../../node_modules/stripe/cjs/resources/WebhookEndpoints.d.ts'),
      'utf8',
    );
    const union = /namespace WebhookEndpointCreateParams \{\s*type EnabledEvent = ([^;]+);/.exec(
      definition,
    )?.[1];
    const names = [...(union ?? '').matchAll(/'([^']+)'/g)]
      .map((match) => match[1] as string)
      .filter((name) => name !== '*');
    expect(names.length).toBeGreaterThan(200);
    expect([...EVENT_TYPES].sort()).toEqual(names.sort());
  });
});
