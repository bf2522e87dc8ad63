/**
 * Customers shaped like Stripe's own fixtures (stripe/openapi fixtures3.json, see
 * shared/reference/stripe_fixtures_customer.json), with the fields a transformation reads.
 */
export type Customer = Record<string, unknown> & { id: string };

export function stripeCustomer(overrides: Record<string, unknown> = {}): Customer {
  return {
    id: 'cus_QXg1o8vcGmoR32',
    object: 'customer',
    address: {
      city: 'Paris',
      country: 'FR',
      line1: '10 Rue de Rivoli',
      line2: null,
      postal_code: '75001',
      state: null,
    },
    balance: 0,
    created: 1234567890,
    currency: 'eur',
    default_source: null,
    delinquent: false,
    description: null,
    discount: {
      checkout_session: null,
      customer: null,
      end: null,
      id: 'obj_123',
      invoice: null,
      invoice_item: null,
      object: 'discount',
      promotion_code: null,
      start: 109757538,
      subscription: null,
      subscription_item: null,
      source: { coupon: null, type: 'coupon' },
      customer_account: null,
    },
    email: ' Jenny.Rosen@Example.com ',
    invoice_prefix: '7FE1103',
    invoice_settings: {
      custom_fields: [
        { name: 'VAT', value: 'FR123' },
        { name: 'PO', value: '42' },
      ],
      default_payment_method: null,
      footer: null,
      rendering_options: { amount_tax_display: null, template: null },
    },
    livemode: false,
    metadata: {
      plan: 'pro',
      first: 'Jenny',
      last: 'Rosen',
      'signup.source': 'ads',
      seats: '12',
      prefs: '{"theme":"dark","beta":true}',
    },
    name: null,
    next_invoice_sequence: 1,
    phone: '+33 1 23 45 67 89',
    preferred_locales: ['fr', 'en'],
    shipping: {},
    tax_exempt: 'none',
    test_clock: null,
    ...overrides,
  };
}

/** The fixture exactly as Stripe's fixtures have it (mostly nulls). */
export function bareStripeCustomer(): Customer {
  return stripeCustomer({
    address: {
      city: null,
      country: null,
      line1: null,
      line2: null,
      postal_code: null,
      state: null,
    },
    currency: 'usd',
    email: null,
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: { amount_tax_display: null, template: null },
    },
    metadata: {},
    phone: null,
    preferred_locales: [],
  });
}

export function manyCustomers(count: number): Customer[] {
  return Array.from({ length: count }, (_, i) =>
    stripeCustomer({
      id: `cus_${String(i).padStart(8, '0')}`,
      email: `user${i}@example.com`,
      created: 1_700_000_000 + i,
      balance: i % 7 === 0 ? -500 : i,
      metadata: { plan: i % 3 === 0 ? 'pro' : 'free', seats: String(i % 50) },
    }),
  );
}
