/**
 * `/v1/events`: list (with `type` wildcards and exact `types[]`) and retrieve. Late events
 * (event-delay.ts) are left out of lists, and are no cursor, until their time; a retrieve by id
 * finds them at once. Payloads were rendered when the event happened, in the account's API
 * version, whatever the request's version.
 */
import { invalidRequest, onlyOneOf, resourceMissing } from '../errors.js';
import { EVENT_TYPES } from '../event-types.js';
import { expandParam } from '../expand.js';
import type { StripeEvent } from '../model.js';
import type { Cursor } from '../ordered.js';
import {
  arrayParam,
  boolParam,
  limitParam,
  rangeParam,
  rejectUnknown,
  stringParam,
} from '../params.js';
import type { Route } from './types.js';

export const eventRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/v1/events',
    permission: 'events:read',
    handle: ({ account, params, now }) => {
      rejectUnknown(params, [
        'created',
        'delivery_success',
        'ending_before',
        'expand',
        'limit',
        'starting_after',
        'type',
        'types',
      ]);
      expandParam(params.expand, 'event_list');
      // Accepted for compatibility: with no webhook endpoints every event counts as delivered.
      boolParam(params.delivery_success, 'delivery_success');
      const events = account.liveEvents();
      const limit = limitParam(params.limit);
      const created = rangeParam(params.created, 'created');
      const filter = typeFilter(
        stringParam(params.type, 'type'),
        arrayParam(params.types, 'types'),
      );
      const after = stringParam(params.starting_after, 'starting_after');
      const before = stringParam(params.ending_before, 'ending_before');
      if (after !== undefined && before !== undefined) {
        throw onlyOneOf('ending_before', 'starting_after');
      }
      const lookup = (id: string | undefined, param: string): Cursor | undefined => {
        if (id === undefined) return undefined;
        const cursor = events.cursor(id, now);
        if (!cursor) throw resourceMissing('event', id, param, 400);
        return cursor;
      };
      const page = events.page({
        now,
        limit,
        created,
        filter,
        startingAfter: lookup(after, 'starting_after'),
        endingBefore: lookup(before, 'ending_before'),
      });
      return { object: 'list', data: page.data, has_more: page.hasMore, url: '/v1/events' };
    },
  },
  {
    method: 'GET',
    pattern: '/v1/events/:id',
    permission: 'events:read',
    handle: ({ account, params, path }) => {
      rejectUnknown(params, ['expand']);
      expandParam(params.expand, 'event');
      const event = account.liveEvents().get(path.id as string);
      if (!event) throw resourceMissing('event', path.id as string, 'id');
      return event;
    },
  },
];

/**
 * `type` is one name or a `*` wildcard pattern (`customer.*` also matches
 * `customer.subscription.updated`); `types` is a list of exact names, at most 20.
 */
function typeFilter(
  type: string | undefined,
  types: string[] | undefined,
): ((e: StripeEvent) => boolean) | undefined {
  if (type !== undefined && types !== undefined) throw onlyOneOf('type', 'types');
  if (types !== undefined) {
    if (types.length > 20) {
      throw invalidRequest('Invalid array: types can have at most 20 items.', 'types');
    }
    types.forEach((name, index) => requireEventType(name, `types[${index}]`));
    const wanted = new Set(types);
    return (e) => wanted.has(e.type);
  }
  if (type === undefined) return undefined;
  if (!type.includes('*')) {
    requireEventType(type, 'type');
    return (e) => e.type === type;
  }
  const re = new RegExp(
    '^' +
      type
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  if (![...EVENT_TYPES].some((name) => re.test(name))) unknownEventType(type, 'type');
  return (e) => re.test(e.type);
}

/**
 * Stripe's docs do not say what an unknown event name answers (its definition types `types` as
 * plain strings). The emulator takes the strict reading, as for any other invalid value: a 400
 * naming the parameter, so a misspelt name fails a test instead of matching nothing forever.
 */
function requireEventType(name: string, param: string): void {
  if (!EVENT_TYPES.has(name)) unknownEventType(name, param);
}

function unknownEventType(name: string, param: string): never {
  throw invalidRequest(
    `Invalid ${param}: must be a type of event Stripe sends (https://docs.stripe.com/api/events/types); '${name}' is not one.`,
    param,
  );
}
