/**
 * The objects the emulator stores and serves, shaped like Stripe's API (version 2024+) returns them.
 * Stored objects are treated as immutable: an update builds a new object, so an event that
 * captured the old one keeps showing the state at its time (as Stripe's event snapshots do).
 */

export interface Address {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

export interface Shipping {
  address: Address;
  carrier?: string | null;
  name: string;
  phone: string | null;
  tracking_number?: string | null;
}

export interface InvoiceSettings {
  custom_fields: Array<{ name: string; value: string }> | null;
  default_payment_method: string | null;
  footer: string | null;
  rendering_options: { amount_tax_display: string | null; template: string | null } | null;
}

export interface Discount {
  id: string;
  object: 'discount';
  checkout_session: null;
  customer: string;
  customer_account: null;
  end: number | null;
  invoice: null;
  invoice_item: null;
  promotion_code: string | null;
  source: { coupon: string; type: 'coupon' };
  start: number;
  subscription: null;
  subscription_item: null;
}

export type TaxExempt = 'none' | 'exempt' | 'reverse';

export interface Customer {
  id: string;
  object: 'customer';
  address: Address | null;
  balance: number;
  business_name?: string;
  created: number;
  currency: string | null;
  default_source: string | null;
  delinquent: boolean;
  description: string | null;
  discount: Discount | null;
  email: string | null;
  individual_name?: string;
  invoice_prefix: string | null;
  invoice_settings: InvoiceSettings;
  livemode: boolean;
  metadata: Record<string, string>;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  shipping: Shipping | null;
  tax_exempt: TaxExempt;
  test_clock: string | null;
}

export interface DeletedCustomer {
  id: string;
  object: 'customer';
  deleted: true;
}

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: object; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** Stripe's API version of the SDK this project pins (stripe@23: 2026-10-28.endive). */
export const API_VERSION = '2026-10-28.endive';

/** Stripe keeps events for 30 days. */
export const EVENT_RETENTION_SECONDS = 30 * 24 * 60 * 60;

/** Shared empty values: safe to share because stored objects are never mutated in place. */
export const DEFAULT_INVOICE_SETTINGS: InvoiceSettings = {
  custom_fields: null,
  default_payment_method: null,
  footer: null,
  rendering_options: null,
};

/** A legacy card source of a customer (`customer.sources`; `default_source` names one). */
export interface Card {
  id: string;
  object: 'card';
  brand: string;
  country: string;
  customer: string;
  cvc_check: 'pass';
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  funding: 'credit';
  last4: string;
  metadata: Record<string, string>;
  name: null;
}

export interface PaymentMethod {
  id: string;
  object: 'payment_method';
  card: { brand: string; country: string; exp_month: number; exp_year: number; last4: string };
  created: number;
  /** null once detached. */
  customer: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
  type: 'card';
}

export interface CustomerBalanceTransaction {
  id: string;
  object: 'customer_balance_transaction';
  amount: number;
  created: number;
  credit_note: null;
  currency: string;
  customer: string;
  description: string | null;
  ending_balance: number;
  invoice: null;
  livemode: boolean;
  metadata: Record<string, string>;
  type: 'adjustment';
}
