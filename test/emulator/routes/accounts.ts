/**
 * `GET /v1/accounts`: "Returns a list of accounts connected to your platform via Connect. If
 * you're not a platform, the list is empty." Parameters as Stripe's: `created` (a range),
 * `limit` (1-100), `starting_after` / `ending_before`, `expand`; newest first, as every list.
 */
import { onlyOneOf, resourceMissing } from '../errors.js';
import { expandParam } from '../expand.js';
import { Ordered } from '../ordered.js';
import { limitParam, rangeParam, rejectUnknown, stringParam } from '../params.js';
import type { ConnectedAccount } from '../registry.js';
import type { Route } from './types.js';

export const accountRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/v1/accounts',
    permission: 'accounts:read',
    handle: ({ params, connectedAccounts }) => {
      rejectUnknown(params, ['created', 'ending_before', 'expand', 'limit', 'starting_after']);
      expandParam(params.expand, 'account_list');
      const limit = limitParam(params.limit);
      const created = rangeParam(params.created, 'created');
      const after = stringParam(params.starting_after, 'starting_after');
      const before = stringParam(params.ending_before, 'ending_before');
      if (after !== undefined && before !== undefined) {
        throw onlyOneOf('ending_before', 'starting_after');
      }
      const accounts = new Ordered<ConnectedAccount>((account) => account.id);
      accounts.loadSorted(connectedAccounts());
      const cursor = (id: string | undefined, param: string) => {
        if (id === undefined) return undefined;
        const account = accounts.snapshot().find((candidate) => candidate.id === id);
        if (!account) throw resourceMissing('account', id, param, 400);
        return accounts.cursorOf(account);
      };
      const page = accounts.page({
        limit,
        created,
        startingAfter: cursor(after, 'starting_after'),
        endingBefore: cursor(before, 'ending_before'),
      });
      return { object: 'list', data: page.data, has_more: page.hasMore, url: '/v1/accounts' };
    },
  },
];
