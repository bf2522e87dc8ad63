/**
 * Full imports where Stripe answers awkwardly, in process against a scripted Stripe: the customer a
 * slice pages after is deleted meanwhile, a page says there is more but holds nothing usable,
 * objects too damaged to key, Search failing in the middle of an import, a slice resumed after a
 * customer, an empty account, a filter Stripe's list can answer itself.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../connector';
import { StaleCursorError } from '../../connector/stripe/errors';
import type { Page } from '../../connector/stripe/port';
import type { StripeCustomer } from '../../connector/stripe/customer-schema';
import { ScriptedStripe } from '../support/scripted-stripe';
import { configWith, runEngine } from './harness';

const id = (i: number) => `cus_${String(i).padStart(5, '0')}`;

function fill(stripe: ScriptedStripe, count: number, spacing = 1_000): ScriptedStripe {
  for (let i = 0; i < count; i++) {
    stripe.create(
      { id: id(i), email: `c${i}@example.com` },
      { silent: true, created: stripe.now - 400 * 86_400 + i * spacing },
    );
  }
  return stripe;
}

const ids = (run: { items: Array<{ record: Record<string, unknown> }> }) =>
  run.items.map((item) => String(item.record.id));

describe('full imports', () => {
  it('continue from the second of a customer deleted while its slice paged after it', async () => {
    class DeletingStripe extends ScriptedStripe {
      staleOnce = true;
      override async listCustomers(params: Parameters<ScriptedStripe['listCustomers']>[0]) {
        if (params.startingAfter && this.staleOnce) {
          this.staleOnce = false;
          this.calls.push({ call: 'listCustomers', params });
          throw new StaleCursorError('No such customer');
        }
        return super.listCustomers(params);
      }
    }
    const stripe = fill(new DeletingStripe(), 450) as DeletingStripe;
    const run = await runEngine(stripe, configWith({ concurrency: 1 }));
    expect(run.failure).toBeUndefined();
    expect(stripe.staleOnce).toBe(false);
    // Nothing lost; the second re-read from its start may repeat a customer or two.
    expect(new Set(ids(run)).size).toBe(450);
    type ListParams = { created: { lte: number }; startingAfter?: string };
    const lists = stripe.calls.filter((call) => call.call === 'listCustomers');
    const stale = lists.findIndex((call) => (call.params as ListParams).startingAfter);
    const next = lists[stale + 1]!.params as ListParams;
    expect(next.startingAfter).toBeUndefined();
    expect(next.created.lte).toBe((lists[stale]!.params as ListParams).created.lte);
  });

  it('stop with a transient error on a page that says there is more but holds no usable customer', async () => {
    class HollowStripe extends ScriptedStripe {
      override async listCustomers(
        params: Parameters<ScriptedStripe['listCustomers']>[0],
      ): Promise<Page<StripeCustomer>> {
        const page = await super.listCustomers(params);
        if (!params.startingAfter) return page;
        return {
          ...page,
          hasMore: true,
          items: [{ object: 'customer' } as unknown as StripeCustomer],
        };
      }
    }
    const stripe = fill(new HollowStripe(), 300);
    const run = await runEngine(stripe, configWith({ concurrency: 1 }));
    expect(run.failure?.message).toMatch(
      /a page of customers that has more after it but no usable customer to continue from/,
    );
    expect((run.failure as { kind?: string }).kind).toBe('transient');
  });

  it('leave out objects too damaged to key, and say how many', async () => {
    class DamagingStripe extends ScriptedStripe {
      override async listCustomers(
        params: Parameters<ScriptedStripe['listCustomers']>[0],
      ): Promise<Page<StripeCustomer>> {
        const page = await super.listCustomers(params);
        const damaged = [{ id: 7 }, { id: 'cus_nocreated', object: 'customer' }, null];
        return { ...page, items: [...page.items, ...(damaged as unknown as StripeCustomer[])] };
      }
    }
    const stripe = fill(new DamagingStripe(), 50);
    const run = await runEngine(stripe, configWith({ concurrency: 1 }));
    expect(run.failure).toBeUndefined();
    expect(new Set(ids(run)).size).toBe(50);
    expect(ids(run)).toHaveLength(50);
    expect(run.logs.join('\n')).toMatch(
      /^WARN [^\n]*Stripe returned 3 object\(s\) without a string id or an integer created time; they were left out/m,
    );
  });

  it('hand a slice back to the list when Search fails in the middle of an import, losing nothing', async () => {
    class FlakySearch extends ScriptedStripe {
      searches = 0;
      override async searchCustomers(
        query: string,
        page?: string,
        options?: { withTotalCount?: boolean },
      ) {
        if (++this.searches === 3) {
          this.calls.push({ call: 'searchCustomers', params: { query, page } });
          throw new Error('search is down');
        }
        return super.searchCustomers(query, page, options);
      }
    }
    const stripe = fill(new FlakySearch(), 3_000, 10_000) as FlakySearch;
    const run = await runEngine(
      stripe,
      configWith({ full_import_endpoints: 'list_and_search', concurrency: 4 }),
    );
    expect(run.failure).toBeUndefined();
    expect(new Set(ids(run)).size).toBe(3_000);
    const warnings = run.logs.filter((line) => /^WARN .*Search API is not available/.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /search is down\); reading the rest through the customers list alone/,
    );
    expect(stripe.searches).toBeLessThanOrEqual(4);
  });

  it('resume a slice right after the customer it had reached', async () => {
    const stripe = fill(new ScriptedStripe(), 30, 1);
    // Customers are listed newest first; the slice had reached cus_00020 (and its second).
    const start = stripe.now - 400 * 86_400;
    const state: PipelineState = {
      version: 1,
      phase: 'full_import',
      events_cursor: stripe.now - 10,
      remaining: [[start, start + 20, id(20)]],
    };
    const run = await runEngine(stripe, configWith({ concurrency: 1 }), { state });
    expect(ids(run).sort()).toEqual(Array.from({ length: 20 }, (_, i) => id(i)));
    expect(run.logs.join('\n')).toMatch(
      /resuming the full import \(1 created-range slice\(s\) left\)/,
    );
  });

  it('of an empty account start change tracking from now', async () => {
    const stripe = new ScriptedStripe(Math.floor(Date.now() / 1000));
    const run = await runEngine(stripe, configWith());
    expect(run.items).toEqual([]);
    const state = run.states.at(-1) as PipelineState;
    expect(state.phase).toBe('incremental');
    expect(
      Math.abs(state.events_cursor - (Math.floor(Date.now() / 1000) - 10)),
    ).toBeLessThanOrEqual(2);
  });

  it('ask the list for one exact email and a created range when the filter says so', async () => {
    const stripe = fill(new ScriptedStripe(), 200);
    const from = stripe.now - 400 * 86_400 + 100 * 1_000;
    const run = await runEngine(
      stripe,
      configWith({
        pipelines: [
          {
            name: 'customers',
            filter: {
              logical: 'all',
              conditions: [
                {
                  property: 'email',
                  operator: 'is',
                  values: ['c150@example.com'],
                  case_sensitive: true,
                },
                { property: 'created', operator: 'greater_than_or_equal', values: [from] },
              ],
            },
          },
        ],
      }),
    );
    expect(ids(run)).toEqual([id(150)]);
    const lists = stripe.calls.filter((call) => call.call === 'listCustomers');
    expect(lists).toHaveLength(1);
    // An open range sends no created[lte]: Stripe refuses bounds past 2100 (issue 28).
    expect(lists[0]!.params).toMatchObject({ email: 'c150@example.com' });
    expect((lists[0]!.params as { created?: unknown }).created).toEqual({ gte: from });
  });
});
