import type { Account, RequestContext } from '../account.js';
import type { Permission } from '../auth.js';
import type { ParamTree } from '../params.js';
import type { ConnectedAccount } from '../registry.js';

export interface RouteContext {
  account: Account;
  /** Query string, plus the form body for POST. */
  params: ParamTree;
  /** `:id` and the like, URL-decoded. */
  path: Record<string, string>;
  request: RequestContext;
  /** The request's `Stripe-Version` (the SDK pins one), else the SDK's version. */
  apiVersion: string;
  /** Emulator clock, unix seconds with a fraction (late events are listed from a fraction on). */
  now: number;
  /** The accounts connected to the request's account, newest first (none unless it is the platform). */
  connectedAccounts: () => ConnectedAccount[];
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** e.g. `/v1/customers/:id`; also the stats key after the method. */
  pattern: string;
  permission: Permission;
  handle(ctx: RouteContext): object;
}
