/**
 * Customer fields that change through other objects, with the events each path sends:
 *
 * | path | customer field | its own event | `customer.updated` |
 * | --- | --- | --- | --- |
 * | a card source added (the first becomes the default) | `default_source` | `customer.source.created` | knob |
 * | a card source deleted (the default moves to the next one, or null) | `default_source` | `customer.source.deleted` | knob |
 * | a payment method detached (the default one is cleared) | `invoice_settings.default_payment_method` | `payment_method.detached` | knob |
 * | a discount attached, switched or removed | `discount` | `customer.discount.created/updated/deleted` | knob |
 * | a balance transaction | `balance` | none exists | knob |
 *
 * Stripe documents the objects' own events and says `customer.updated` "occurs whenever any
 * property of a customer changes", but not that it accompanies these paths; public integrations
 * report nothing either way. So `customer.updated` comes only with the
 * `customerUpdatedForRelatedChanges` knob (behaviour.ts), and by default a client sees only the
 * other object's event: the worst case. Since 2025-03-31.basil customers take no `coupon`, so a
 * discount is attached through the admin API (`POST /_emulator/discounts`), as the Dashboard or an
 * older API version would. A discount that ends on its own (a repeating coupon's `end`) is not
 * modelled: Stripe does not document which event, if any, that sends.
 */
import type { Account, RequestContext } from './account.js';
import { ApiError, invalidRequest, resourceMissing } from './errors.js';
import type {
  Card,
  Customer,
  CustomerBalanceTransaction,
  Discount,
  PaymentMethod,
} from './model.js';
import { intParam, type ParamTree, rejectUnknown, stringParam } from './params.js';

/** Stripe's test tokens and test payment methods: brand and last four digits. */
const TEST_CARDS: Record<string, { brand: string; last4: string }> = {
  visa: { brand: 'Visa', last4: '4242' },
  mastercard: { brand: 'MasterCard', last4: '4444' },
  amex: { brand: 'American Express', last4: '8431' },
};

export class RelatedObjects {
  /** Each customer's card sources, oldest first. */
  private readonly sources = new Map<string, Card[]>();
  private readonly paymentMethods = new Map<string, PaymentMethod>();

  constructor(private readonly account: Account) {}

  /** `POST /v1/customers/:id/sources` with `source=tok_visa`. */
  createSource(customerId: string, params: ParamTree, ctx: RequestContext): Card {
    rejectUnknown(params, ['expand', 'metadata', 'source', 'validate']);
    const customer = this.account.getCustomer(customerId);
    const token = stringParam(params.source, 'source');
    if (token === undefined) {
      throw invalidRequest('Missing required param: source.', 'source', 'parameter_missing');
    }
    const test = TEST_CARDS[/^tok_(\w+)$/.exec(token)?.[1] ?? ''];
    if (!test) throw resourceMissing('token', token, 'source', 400);
    const card: Card = {
      id: this.account.newId('card_', 24),
      object: 'card',
      brand: test.brand,
      country: 'US',
      customer: customer.id,
      cvc_check: 'pass',
      exp_month: 12,
      exp_year: 2034,
      fingerprint: this.account.newId('', 16),
      funding: 'credit',
      last4: test.last4,
      metadata: {},
      name: null,
    };
    this.sources.set(customer.id, [...(this.sources.get(customer.id) ?? []), card]);
    this.account.emitEvent('customer.source.created', card, ctx);
    // A customer's first source becomes its default.
    if (customer.default_source === null) {
      this.changeCustomer(customer, { ...customer, default_source: card.id }, ctx);
    }
    return card;
  }

  /** `DELETE /v1/customers/:id/sources/:source`. */
  deleteSource(customerId: string, sourceId: string, ctx: RequestContext): object {
    const customer = this.account.getCustomer(customerId);
    const cards = this.sources.get(customer.id) ?? [];
    const card = cards.find((candidate) => candidate.id === sourceId);
    if (!card) throw resourceMissing('source', sourceId, 'id');
    const left = cards.filter((candidate) => candidate !== card);
    this.sources.set(customer.id, left);
    this.account.emitEvent('customer.source.deleted', card, ctx);
    if (customer.default_source === card.id) {
      this.changeCustomer(customer, { ...customer, default_source: left[0]?.id ?? null }, ctx);
    }
    return { id: card.id, object: 'card', deleted: true };
  }

  /** `POST /v1/payment_methods/:id/attach`; `pm_card_visa` and the like make a new one. */
  attachPaymentMethod(id: string, params: ParamTree, ctx: RequestContext): PaymentMethod {
    rejectUnknown(params, ['customer', 'expand']);
    const customerId = stringParam(params.customer, 'customer');
    if (customerId === undefined) {
      throw invalidRequest('Missing required param: customer.', 'customer', 'parameter_missing');
    }
    const customer = this.account.getCustomer(customerId);
    const test = TEST_CARDS[/^pm_card_(\w+)$/.exec(id)?.[1] ?? ''];
    const existing = this.paymentMethods.get(id);
    if (!existing && !test) throw resourceMissing('PaymentMethod', id, 'payment_method');
    if (existing?.customer) {
      throw invalidRequest(
        'The payment method you provided has already been attached to a customer.',
        'payment_method',
      );
    }
    const attached: PaymentMethod = existing
      ? { ...existing, customer: customer.id }
      : {
          id: this.account.newId('pm_', 24),
          object: 'payment_method',
          card: {
            brand: (test as { brand: string }).brand.toLowerCase(),
            country: 'US',
            exp_month: 12,
            exp_year: 2034,
            last4: (test as { last4: string }).last4,
          },
          created: this.account.now(),
          customer: customer.id,
          livemode: this.account.livemode,
          metadata: {},
          type: 'card',
        };
    this.paymentMethods.set(attached.id, attached);
    this.account.emitEvent('payment_method.attached', attached, ctx);
    return attached;
  }

  /** `POST /v1/payment_methods/:id/detach`: a customer's default payment method is cleared. */
  detachPaymentMethod(id: string, params: ParamTree, ctx: RequestContext): PaymentMethod {
    rejectUnknown(params, ['expand']);
    const method = this.paymentMethods.get(id);
    if (!method) throw resourceMissing('PaymentMethod', id, 'payment_method');
    if (!method.customer) {
      throw invalidRequest(
        'The payment method you provided is not attached to a customer so detachment is impossible.',
      );
    }
    const detached: PaymentMethod = { ...method, customer: null };
    this.paymentMethods.set(id, detached);
    this.account.emitEvent('payment_method.detached', detached, ctx, { customer: method.customer });
    const customer = this.account.customers.get(method.customer);
    if (customer && customer.invoice_settings.default_payment_method === id) {
      this.changeCustomer(
        customer,
        {
          ...customer,
          invoice_settings: { ...customer.invoice_settings, default_payment_method: null },
        },
        ctx,
      );
    }
    return detached;
  }

  /** Attaches `coupon` as the customer's discount (admin API: customers take no coupon now). */
  attachDiscount(customerId: string, coupon: string, ctx: RequestContext): Discount {
    const customer = this.account.getCustomer(customerId);
    const discount: Discount = {
      id: this.account.newId('di_', 24),
      object: 'discount',
      checkout_session: null,
      customer: customer.id,
      customer_account: null,
      end: null,
      invoice: null,
      invoice_item: null,
      promotion_code: null,
      source: { coupon, type: 'coupon' },
      start: this.account.now(),
      subscription: null,
      subscription_item: null,
    };
    const switched = customer.discount !== null;
    this.account.emitEvent(
      switched ? 'customer.discount.updated' : 'customer.discount.created',
      discount,
      ctx,
      switched ? { source: customer.discount?.source } : undefined,
    );
    this.changeCustomer(customer, { ...customer, discount }, ctx);
    return discount;
  }

  /** `DELETE /v1/customers/:id/discount`. */
  deleteDiscount(customerId: string, ctx: RequestContext): object {
    const customer = this.account.getCustomer(customerId);
    const discount = customer.discount;
    if (!discount) {
      throw new ApiError(404, {
        type: 'invalid_request_error',
        message: `No active discount for customer: '${customer.id}'`,
        code: 'resource_missing',
        param: 'customer',
      });
    }
    this.account.emitEvent('customer.discount.deleted', discount, ctx);
    this.changeCustomer(customer, { ...customer, discount: null }, ctx);
    return { ...discount, deleted: true };
  }

  /** `POST /v1/customers/:id/balance_transactions`: no event of its own exists. */
  createBalanceTransaction(
    customerId: string,
    params: ParamTree,
    ctx: RequestContext,
  ): CustomerBalanceTransaction {
    rejectUnknown(params, ['amount', 'currency', 'description', 'expand', 'metadata']);
    const customer = this.account.getCustomer(customerId);
    const amount = intParam(params.amount, 'amount');
    const currency = stringParam(params.currency, 'currency')?.toLowerCase();
    if (amount === undefined || currency === undefined) {
      const missing = amount === undefined ? 'amount' : 'currency';
      throw invalidRequest(`Missing required param: ${missing}.`, missing, 'parameter_missing');
    }
    if (customer.currency !== null && customer.currency !== currency) {
      throw invalidRequest(
        `The currency of the balance transaction (${currency}) must match the customer's currency (${customer.currency}).`,
        'currency',
      );
    }
    const balance = customer.balance + amount;
    this.changeCustomer(customer, { ...customer, balance, currency }, ctx);
    return {
      id: this.account.newId('cbtxn_', 24),
      object: 'customer_balance_transaction',
      amount,
      created: this.account.now(),
      credit_note: null,
      currency,
      customer: customer.id,
      description: stringParam(params.description, 'description') ?? null,
      ending_balance: balance,
      invoice: null,
      livemode: this.account.livemode,
      metadata: {},
      type: 'adjustment',
    };
  }

  /** Stores the customer's new state; `customer.updated` only with the knob (see above). */
  private changeCustomer(before: Customer, after: Customer, ctx: RequestContext): void {
    this.account.replaceCustomer(before, after, ctx, {
      customerUpdated: this.account.customerUpdatedForRelatedChanges,
    });
  }
}
