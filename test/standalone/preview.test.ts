import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../connector';
import { PREVIEW_ROWS, previewPipeline } from '../../standalone/serve/preview';
import { ScriptedStripe } from '../support/scripted-stripe';

function stripeWith(count: number): ScriptedStripe {
  const stripe = new ScriptedStripe();
  for (let index = 0; index < count; index++) {
    stripe.create(
      { id: `cus_${String(index).padStart(4, '0')}`, email: `C${index}@Example.com` },
      { created: stripe.now - index, silent: true },
    );
  }
  return stripe;
}

describe('preview', () => {
  it('shows the first rows a pipeline would import, as its table would get them, and writes nothing', async () => {
    const stripe = stripeWith(150);
    const config = parseConfig({
      api_key: 'sk_test_x',
      customer_model: [
        { name: 'email', type: 'string' },
        { name: 'signed_up', type: 'datetime' },
      ],
      pipelines: [
        {
          name: 'crm',
          enabled: false,
          transformation: {
            type: 'mapping',
            mappings: [
              { to: 'email', from: 'lower(email)' },
              { to: 'signed_up', from: 'created' },
            ],
          },
        },
      ],
    });
    const preview = await previewPipeline(config, 'crm', { stripe, allowsNul: true });
    expect(preview.error).toBeUndefined();
    expect(preview.table).toBe('crm');
    expect(preview.columns).toEqual([
      '_stripe_id',
      'email',
      'signed_up',
      '_stripe_updated',
      '_stripe_is_deleted',
      '_ab_cdc_deleted_at',
    ]);
    expect(preview.rows).toHaveLength(PREVIEW_ROWS);
    expect(preview.rows[0]!.slice(0, 3)).toEqual([
      'cus_0000',
      'c0@example.com',
      new Date(stripe.now * 1000).toISOString().replace('.000Z', 'Z'),
    ]);
    // Only reads: list pages, no events (no state is read or saved either).
    expect(new Set(stripe.calls.map((call) => call.call))).toEqual(new Set(['listCustomers']));
  });

  it("stops at its time limit with what it found, and shows the engine's error in its words", async () => {
    const stripe = stripeWith(400);
    const slow = new Proxy(stripe, {
      get(target, property, receiver) {
        if (property !== 'listCustomers') return Reflect.get(target, property, receiver);
        return async (params: Parameters<ScriptedStripe['listCustomers']>[0]) => {
          await new Promise((resolve) => setTimeout(resolve, 150));
          return target.listCustomers({ ...params, limit: 10 });
        };
      },
    });
    const config = parseConfig({
      api_key: 'sk_test_x',
      pipelines: [
        {
          name: 'nobody',
          filter: { conditions: [{ property: 'email', operator: 'ends_with', values: ['@x.io'] }] },
        },
      ],
    });
    const started = Date.now();
    const preview = await previewPipeline(config, 'nobody', {
      stripe: slow,
      allowsNul: true,
      timeoutMs: 600,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(preview.rows).toEqual([]);
    expect(preview.stoppedEarly).toMatch(/^stopped after 1 s with 0 row\(s\)/);

    stripe.failNext('listCustomers', () => new Error('boom'));
    const failing = await previewPipeline(config, 'nobody', { stripe, allowsNul: true });
    expect(failing.error).toMatch(/boom/);
  });
});
