/**
 * Objects that change customer fields without being customers (related.ts): card sources,
 * payment methods, the customer's discount and its balance transactions. Only what changes a
 * customer field is emulated; responses come in the SDK's version whatever the request's.
 */
import { expandParam } from '../expand.js';
import { rejectUnknown } from '../params.js';
import type { Route } from './types.js';

export const relatedRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v1/customers/:id/sources',
    permission: 'customers:write',
    handle: ({ account, params, path, request }) => {
      expandParam(params.expand, 'source');
      return account.related.createSource(path.id as string, params, request);
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/customers/:id/sources/:source',
    permission: 'customers:write',
    handle: ({ account, params, path, request }) => {
      rejectUnknown(params, ['expand']);
      expandParam(params.expand, 'source');
      return account.related.deleteSource(path.id as string, path.source as string, request);
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/customers/:id/discount',
    permission: 'customers:write',
    handle: ({ account, params, path, request }) => {
      rejectUnknown(params, []);
      return account.related.deleteDiscount(path.id as string, request);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/customers/:id/balance_transactions',
    permission: 'customers:write',
    handle: ({ account, params, path, request }) => {
      expandParam(params.expand, 'balance_transaction');
      return account.related.createBalanceTransaction(path.id as string, params, request);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_methods/:id/attach',
    permission: 'customers:write',
    handle: ({ account, params, path, request }) => {
      expandParam(params.expand, 'payment_method');
      return account.related.attachPaymentMethod(path.id as string, params, request);
    },
  },
  {
    method: 'POST',
    pattern: '/v1/payment_methods/:id/detach',
    permission: 'customers:write',
    handle: ({ account, params, path, request }) => {
      expandParam(params.expand, 'payment_method');
      return account.related.detachPaymentMethod(path.id as string, params, request);
    },
  },
];
