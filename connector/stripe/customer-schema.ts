/**
 * JSON Schema (draft-07, Airbyte flavour: nullable fields are `["null", T]`, no $ref/anyOf) of the
 * Stripe Customer object as the pinned API version returns it from `GET /v1/customers`.
 *
 * It is the single description of a customer's shape: `discover` reports it, filters type-check
 * their properties against it, and mappings type-check their paths against it. Fields Stripe only
 * returns when expanded (sources, subscriptions, tax, tax_ids) are left out on purpose: the
 * connector never expands them.
 */
export type JsonSchema = {
  type?: string | string[];
  format?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  required?: string[];
  airbyte_type?: string;
  [key: string]: unknown;
};

const nullable = (type: string | string[]): string[] => [
  'null',
  ...(Array.isArray(type) ? type : [type]),
];
const str = (description?: string): JsonSchema => ({ type: nullable('string'), description });
const unixTime = (description: string): JsonSchema => ({ type: nullable('integer'), description });

const address: JsonSchema = {
  type: nullable('object'),
  properties: {
    city: str('City, district, suburb, town, or village.'),
    country: str('Two-letter country code (ISO 3166-1 alpha-2).'),
    line1: str('Address line 1, such as the street, PO Box, or company name.'),
    line2: str('Address line 2, such as the apartment, suite, unit, or building.'),
    postal_code: str('ZIP or postal code.'),
    state: str('State, county, province, or region.'),
  },
};

const discount: JsonSchema = {
  type: nullable('object'),
  description: 'The current discount active on the customer, if there is one.',
  properties: {
    id: str(),
    object: str(),
    checkout_session: str(),
    customer: str(),
    customer_account: str(),
    end: unixTime('Date the discount ends, if it has an end.'),
    invoice: str(),
    invoice_item: str(),
    promotion_code: str(),
    start: unixTime('Date the discount started.'),
    subscription: str(),
    subscription_item: str(),
    source: {
      type: nullable('object'),
      properties: { coupon: { type: nullable(['string', 'object']) }, type: str() },
    },
  },
};

export const STRIPE_CUSTOMER_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: true,
  required: ['id'],
  properties: {
    id: { type: 'string', description: 'Unique identifier for the object (cus_...).' },
    object: { type: nullable('string'), description: 'Always "customer".' },
    address,
    balance: {
      type: nullable('integer'),
      description:
        'Current balance in the smallest currency unit; negative is credit, positive is owed.',
    },
    business_name: str("The customer's business name."),
    cash_balance: { type: nullable('object'), additionalProperties: true },
    created: unixTime('Time at which the object was created (seconds since the Unix epoch).'),
    currency: str('Three-letter ISO currency code for recurring billing.'),
    customer_account: str('The ID of an Account representing this customer.'),
    default_source: {
      type: nullable(['string', 'object']),
      description: 'ID of the default payment source.',
    },
    delinquent: {
      type: nullable('boolean'),
      description: "Whether the customer's latest invoice is past due.",
    },
    description: str('An arbitrary string attached to the object.'),
    discount,
    email: str("The customer's email address."),
    individual_name: str("The customer's individual name."),
    invoice_credit_balance: {
      type: nullable('object'),
      additionalProperties: { type: 'integer' },
      description: 'Credit balance per currency.',
    },
    invoice_prefix: str('The prefix for the customer used to generate unique invoice numbers.'),
    invoice_settings: {
      type: nullable('object'),
      properties: {
        custom_fields: {
          type: nullable('array'),
          items: { type: 'object', properties: { name: str(), value: str() } },
        },
        default_payment_method: { type: nullable(['string', 'object']) },
        footer: str(),
        rendering_options: {
          type: nullable('object'),
          properties: { amount_tax_display: str(), template: str() },
        },
      },
    },
    livemode: { type: nullable('boolean'), description: 'True in live mode, false in test mode.' },
    metadata: {
      type: nullable('object'),
      additionalProperties: { type: 'string' },
      description: 'Set of key-value pairs (strings) attached to the object.',
    },
    name: str("The customer's full name or business name."),
    next_invoice_sequence: { type: nullable('integer') },
    phone: str("The customer's phone number."),
    preferred_locales: {
      type: nullable('array'),
      items: { type: 'string' },
      description: "The customer's preferred locales (languages), ordered by preference.",
    },
    shipping: {
      type: nullable('object'),
      description: 'Mailing and shipping address for the customer.',
      properties: {
        address,
        carrier: str(),
        name: str(),
        phone: str(),
        tracking_number: str(),
      },
    },
    tax_exempt: {
      type: nullable('string'),
      enum: [null, 'none', 'exempt', 'reverse'],
      description: "The customer's tax exemption.",
    },
    test_clock: { type: nullable(['string', 'object']), description: 'ID of the test clock.' },
  },
};

/** A customer as Stripe returns it; the engine treats it as plain JSON. */
export type StripeCustomer = {
  id: string;
  object: 'customer';
  created: number;
  [field: string]: unknown;
};

/** What Stripe returns for a customer that has been deleted. */
export type DeletedStripeCustomer = { id: string; object: 'customer'; deleted: true };

/**
 * The least a listed object must be for the connector to key and page it: a string id and an
 * integer `created`. Anything else is reported and left out, never allowed to derail paging.
 */
export function isWellFormedCustomer(value: unknown): value is StripeCustomer {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { id?: unknown; created?: unknown };
  return (
    typeof candidate.id === 'string' &&
    candidate.id.length > 0 &&
    Number.isInteger(candidate.created)
  );
}

/**
 * With connected accounts (`connected_accounts`), every customer the engine reads carries the
 * account it belongs to here, before filters and transformations see it, and every record keeps
 * it: records are keyed by it and the customer's id.
 */
export const ACCOUNT_FIELD = 'stripe_account_id';

/** The `stripe_account_id` of the platform's own customers (`include_platform_account`). */
export const PLATFORM_ACCOUNT = 'platform';

export const ACCOUNT_FIELD_SCHEMA: JsonSchema = {
  type: 'string',
  description: `The Stripe account the customer belongs to: a connected account (acct_...), or "${PLATFORM_ACCOUNT}" for the platform's own customers.`,
};

/**
 * What filters and mappings may read of a customer: Stripe's customer and `stripe_account_id`
 * (null unless the config reads connected accounts; a filter on it then is refused).
 */
export const READABLE_CUSTOMER_SCHEMA: JsonSchema = {
  ...STRIPE_CUSTOMER_SCHEMA,
  properties: {
    ...STRIPE_CUSTOMER_SCHEMA.properties,
    [ACCOUNT_FIELD]: {
      ...ACCOUNT_FIELD_SCHEMA,
      type: ['null', 'string'],
      description: `${String(ACCOUNT_FIELD_SCHEMA.description)} Set when the config reads connected accounts (connected_accounts); null otherwise.`,
    },
  },
};
