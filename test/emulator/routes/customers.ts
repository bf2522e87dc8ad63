/**
 * `/v1/customers`: list, retrieve, create, update, delete, and search. Customers are rendered in
 * the request's API version (`Stripe-Version`; api-versions.ts), as Stripe renders responses.
 */
import type { Account } from '../account.js';
import { isLegacy, renderObject } from '../api-versions.js';
import { invalidRequest, onlyOneOf, resourceMissing } from '../errors.js';
import type { Customer } from '../model.js';
import type { Cursor } from '../ordered.js';
import { limitParam, type ParamTree, rangeParam, rejectUnknown, stringParam } from '../params.js';
import { expandParam } from '../expand.js';
import { planQuery } from '../search.js';
import type { Route, RouteContext } from './types.js';

const LIST_URL = '/v1/customers';
const SEARCH_URL = '/v1/customers/search';

export const customerRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/v1/customers',
    permission: 'customers:read',
    handle: (ctx) => inVersion(ctx, listCustomers(ctx.account, ctx.params)),
  },
  {
    // Before `/:id`, so "search" is not taken for a customer id.
    method: 'GET',
    pattern: '/v1/customers/search',
    permission: 'customers:read',
    handle: (ctx) => inVersion(ctx, searchCustomers(ctx.account, ctx.params)),
  },
  {
    method: 'GET',
    pattern: '/v1/customers/:id',
    permission: 'customers:read',
    handle: ({ account, params, path, apiVersion }) => {
      rejectUnknown(params, ['expand']);
      expandParam(params.expand, 'customer');
      const id = path.id as string;
      const live = account.customers.get(id);
      if (live) return renderObject(live, apiVersion);
      if (account.customers.wasDeleted(id)) return { id, object: 'customer', deleted: true };
      throw resourceMissing('customer', id, 'id');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/customers',
    permission: 'customers:write',
    handle: ({ account, params, request, apiVersion }) => {
      expandParam(params.expand, 'customer');
      return renderObject(account.createCustomer(params, request), apiVersion);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/customers/:id',
    permission: 'customers:write',
    handle: ({ account, params, path, request, apiVersion }) => {
      expandParam(params.expand, 'customer');
      return renderObject(account.updateCustomer(path.id as string, params, request), apiVersion);
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/customers/:id',
    permission: 'customers:write',
    handle: ({ account, params, path, request }) => {
      rejectUnknown(params, []);
      return account.deleteCustomer(path.id as string, request);
    },
  },
];

/** A list or search result with its customers in the request's API version. */
function inVersion(
  ctx: RouteContext,
  result: { data: Customer[] } & Record<string, unknown>,
): object {
  if (!isLegacy(ctx.apiVersion)) return result;
  return { ...result, data: result.data.map((c) => renderObject(c, ctx.apiVersion)) };
}

function listCustomers(
  account: Account,
  params: ParamTree,
): { data: Customer[] } & Record<string, unknown> {
  rejectUnknown(params, [
    'created',
    'email',
    'ending_before',
    'expand',
    'limit',
    'starting_after',
    'test_clock',
  ]);
  expandParam(params.expand, 'customer_list');
  const limit = limitParam(params.limit);
  const created = rangeParam(params.created, 'created');
  const email = stringParam(params.email, 'email');
  const testClock = stringParam(params.test_clock, 'test_clock');
  const { startingAfter, endingBefore } = cursors(account, params);
  const page = account.customers.page({
    limit,
    startingAfter,
    endingBefore,
    created,
    email,
    // Test-clock customers only appear when asking for their clock.
    testClock: testClock ?? null,
  });
  return { object: 'list', data: page.data, has_more: page.hasMore, url: LIST_URL };
}

function cursors(
  account: Account,
  params: ParamTree,
): { startingAfter?: Cursor; endingBefore?: Cursor } {
  const after = stringParam(params.starting_after, 'starting_after');
  const before = stringParam(params.ending_before, 'ending_before');
  if (after !== undefined && before !== undefined)
    throw onlyOneOf('ending_before', 'starting_after');
  const lookup = (id: string | undefined, param: string): Cursor | undefined => {
    if (id === undefined) return undefined;
    const cursor = account.customers.cursor(id);
    if (!cursor) throw resourceMissing('customer', id, param, 400);
    return cursor;
  };
  return {
    startingAfter: lookup(after, 'starting_after'),
    endingBefore: lookup(before, 'ending_before'),
  };
}

/**
 * Search reads the account's search index (which may lag behind writes) newest first. The opaque
 * `page` token is the position of the last customer returned, so pages stay stable when other
 * customers are created or deleted; `created` bounds in the query slice the ordered index.
 */
function searchCustomers(
  account: Account,
  params: ParamTree,
): { data: Customer[] } & Record<string, unknown> {
  rejectUnknown(params, ['expand', 'limit', 'page', 'query']);
  const expand = expandParam(params.expand, 'customer_search');
  const limit = limitParam(params.limit);
  const query = stringParam(params.query, 'query');
  if (query === undefined) {
    throw invalidRequest('Missing required param: query.', 'query', 'parameter_missing');
  }
  const plan = planQuery(query);
  const from = decodePage(stringParam(params.page, 'page'));
  const { data, hasMore } = account.customers.search(plan, limit, from);
  const last = data[data.length - 1];
  return {
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore && last ? encodePage({ created: last.created, tie: last.id }) : null,
    url: SEARCH_URL,
    ...(expand.includes('total_count') ? { total_count: account.customers.searchCount(plan) } : {}),
  };
}

function encodePage(cursor: Cursor): string {
  return 'page_' + Buffer.from(JSON.stringify([cursor.created, cursor.tie])).toString('base64url');
}

function decodePage(page: string | undefined): Cursor | undefined {
  if (page === undefined || page === '') return undefined;
  try {
    if (!page.startsWith('page_')) throw new Error('bad prefix');
    const [created, tie] = JSON.parse(Buffer.from(page.slice(5), 'base64url').toString('utf8')) as [
      unknown,
      unknown,
    ];
    if (typeof created !== 'number' || typeof tie !== 'string') throw new Error('bad cursor');
    return { created, tie };
  } catch {
    throw invalidRequest(
      `Invalid page: '${page}' is not a page token from a previous search.`,
      'page',
    );
  }
}
