import { ConnectorError, errorMessage } from '../errors';
import type { SearchPage, StripePort } from './port';
import { isWellFormedCustomer, type StripeCustomer } from './customer-schema';
import type { CreatedSlice, SlicePage } from './customer-slices';

export type SearchStart =
  { kind: 'ready'; first: SearchPage } | { kind: 'unavailable'; reason: string };

/**
 * Runs the first search request. Search is an optimisation: where Stripe refuses it (not offered
 * in some regions, such as India, or failing), the caller lists instead. A key that may not read
 * customers at all is still the user's error.
 */
export async function startSearch(api: StripePort, query: string): Promise<SearchStart> {
  try {
    return { kind: 'ready', first: await api.searchCustomers(query) };
  } catch (error) {
    if (error instanceof ConnectorError && error.kind === 'config') throw error;
    return { kind: 'unavailable', reason: errorMessage(error) };
  }
}

/**
 * Pages of search results. Search pages cannot be resumed from a saved cursor, so the checkpoint
 * keeps the whole range until the search is done: a resumed run lists that range instead.
 */
export async function* searchPages(
  api: StripePort,
  query: string,
  first: SearchPage,
  range: CreatedSlice,
): AsyncGenerator<SlicePage> {
  let page = first;
  for (;;) {
    const done = !page.hasMore || !page.nextPage;
    const customers = page.items.filter(isWellFormedCustomer);
    yield {
      customers,
      malformed: page.items.length - customers.length,
      serverTime: page.serverTime,
      remaining: done ? [] : [range],
    };
    if (done) return;
    page = await api.searchCustomers(query, page.nextPage ?? undefined);
  }
}
