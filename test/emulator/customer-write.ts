/**
 * Turns create/update parameters into a new Customer, validating like Stripe (unknown
 * parameters, bad emails, enum values), and computes an update's `previous_attributes`.
 * Objects are rebuilt, never mutated, because events keep references to older versions.
 */
import { invalidRequest } from './errors.js';
import {
  type Address,
  type Customer,
  DEFAULT_INVOICE_SETTINGS,
  type InvoiceSettings,
  type Shipping,
  type TaxExempt,
} from './model.js';
import {
  arrayParam,
  intParam,
  type ParamTree,
  type ParamValue,
  rejectUnknown,
  stringParam,
} from './params.js';

const UPDATABLE = [
  'address',
  'balance',
  'business_name',
  'description',
  'email',
  'expand',
  'individual_name',
  'invoice_prefix',
  'invoice_settings',
  'metadata',
  'name',
  'next_invoice_sequence',
  'phone',
  'preferred_locales',
  'shipping',
  'tax_exempt',
  'validate',
];
const CREATABLE = [...UPDATABLE, 'test_clock'];

/** Real Stripe parameters that need objects this emulator does not model. */
const NOT_EMULATED = [
  'cash_balance',
  'default_source',
  'payment_method',
  'source',
  'tax',
  'tax_id_data',
];

function checkParams(params: ParamTree, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (NOT_EMULATED.includes(key)) {
      throw invalidRequest(`The Stripe emulator does not support the parameter '${key}'.`, key);
    }
  }
  rejectUnknown(params, allowed);
}

export function buildCustomer(
  params: ParamTree,
  base: { id: string; created: number; livemode: boolean; invoicePrefix: string },
): Customer {
  checkParams(params, CREATABLE);
  const blank: Customer = {
    id: base.id,
    object: 'customer',
    address: null,
    balance: 0,
    created: base.created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: base.invoicePrefix,
    invoice_settings: DEFAULT_INVOICE_SETTINGS,
    livemode: base.livemode,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
  const testClock = stringParam(params.test_clock, 'test_clock');
  if (testClock !== undefined) {
    if (!/^clock_\w+$/.test(testClock)) {
      throw invalidRequest(`No such test clock: '${testClock}'`, 'test_clock', 'resource_missing');
    }
    if (base.livemode)
      throw invalidRequest('Test clocks are not available in live mode.', 'test_clock');
  }
  return applyChanges(blank, params, testClock ?? null);
}

export function updateCustomer(current: Customer, params: ParamTree): Customer {
  checkParams(params, UPDATABLE);
  return applyChanges(current, params, current.test_clock);
}

function applyChanges(c: Customer, p: ParamTree, testClock: string | null): Customer {
  const email = p.email === undefined ? c.email : emailParam(p.email);
  const businessName = optionalText(p.business_name, 'business_name', c.business_name, 150);
  const individualName = optionalText(p.individual_name, 'individual_name', c.individual_name, 150);
  // Rebuilt in Stripe's key order so every customer serializes the same way.
  const next: Customer = {
    id: c.id,
    object: 'customer',
    address: p.address === undefined ? c.address : addressParam(p.address, 'address'),
    balance: intParam(p.balance, 'balance') ?? c.balance,
    ...(businessName !== undefined ? { business_name: businessName } : {}),
    created: c.created,
    currency: c.currency,
    default_source: c.default_source,
    delinquent: c.delinquent,
    description: nullableText(p.description, 'description', c.description, 350),
    discount: c.discount,
    email,
    ...(individualName !== undefined ? { individual_name: individualName } : {}),
    invoice_prefix: invoicePrefixParam(p.invoice_prefix) ?? c.invoice_prefix,
    invoice_settings:
      p.invoice_settings === undefined
        ? c.invoice_settings
        : invoiceSettingsParam(p.invoice_settings, c.invoice_settings),
    livemode: c.livemode,
    metadata: p.metadata === undefined ? c.metadata : mergeMetadata(c.metadata, p.metadata),
    name: nullableText(p.name, 'name', c.name, 256),
    next_invoice_sequence:
      positiveInt(p.next_invoice_sequence, 'next_invoice_sequence') ?? c.next_invoice_sequence,
    phone: nullableText(p.phone, 'phone', c.phone, 20),
    preferred_locales:
      p.preferred_locales === undefined
        ? c.preferred_locales
        : (arrayParam(p.preferred_locales, 'preferred_locales') as string[]),
    shipping: p.shipping === undefined ? c.shipping : shippingParam(p.shipping),
    tax_exempt: p.tax_exempt === undefined ? c.tax_exempt : taxExemptParam(p.tax_exempt),
    test_clock: testClock,
  };
  return next;
}

/** A string field where `''` unsets it (null). */
function nullableText(
  value: ParamValue | undefined,
  name: string,
  current: string | null,
  max: number,
): string | null {
  const text = stringParam(value, name);
  if (text === undefined) return current;
  if (text.length > max) {
    throw invalidRequest(`Invalid ${name}: must be at most ${max} characters`, name);
  }
  return text === '' ? null : text;
}

/** A field that is absent from the object unless set; `''` removes it again. */
function optionalText(
  value: ParamValue | undefined,
  name: string,
  current: string | undefined,
  max: number,
): string | undefined {
  if (value === undefined) return current;
  return nullableText(value, name, null, max) ?? undefined;
}

function emailParam(value: ParamValue): string | null {
  const email = stringParam(value, 'email') as string;
  if (email === '') return null;
  if (email.length > 512 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw invalidRequest(`Invalid email address: ${email}`, 'email', 'email_invalid');
  }
  return email;
}

function positiveInt(value: ParamValue | undefined, name: string): number | undefined {
  const n = intParam(value, name);
  if (n !== undefined && n < 1) {
    throw invalidRequest('This value must be greater than or equal to 1.', name);
  }
  return n;
}

function invoicePrefixParam(value: ParamValue | undefined): string | undefined {
  const prefix = stringParam(value, 'invoice_prefix');
  if (prefix !== undefined && !/^[A-Z0-9]{3,12}$/.test(prefix)) {
    throw invalidRequest(
      'Invalid invoice_prefix: must be 3 to 12 uppercase letters or numbers.',
      'invoice_prefix',
    );
  }
  return prefix;
}

function taxExemptParam(value: ParamValue): TaxExempt {
  const v = stringParam(value, 'tax_exempt') as string;
  if (v === '') return 'none';
  if (v !== 'none' && v !== 'exempt' && v !== 'reverse') {
    throw invalidRequest(
      `Invalid tax_exempt: must be one of exempt, none, or reverse`,
      'tax_exempt',
    );
  }
  return v;
}

const ADDRESS_KEYS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const;

/** An address param replaces the whole address; `''` removes it. */
function addressParam(value: ParamValue, name: string): Address | null {
  if (value === '') return null;
  if (typeof value === 'string') throw invalidRequest('Invalid object', name);
  rejectUnknown(value, ADDRESS_KEYS, name);
  const address = {} as Address;
  for (const key of ADDRESS_KEYS) {
    const v = stringParam(value[key], `${name}[${key}]`);
    address[key] = v === undefined || v === '' ? null : v;
  }
  return address;
}

function shippingParam(value: ParamValue): Shipping | null {
  if (value === '') return null;
  if (typeof value === 'string') throw invalidRequest('Invalid object', 'shipping');
  rejectUnknown(value, ['address', 'name', 'phone'], 'shipping');
  for (const required of ['address', 'name']) {
    if (value[required] === undefined) {
      throw invalidRequest(
        `Missing required param: shipping[${required}].`,
        `shipping[${required}]`,
        'parameter_missing',
      );
    }
  }
  const phone = stringParam(value.phone, 'shipping[phone]');
  return {
    address: addressParam(value.address as ParamValue, 'shipping[address]') ?? emptyAddress(),
    name: stringParam(value.name, 'shipping[name]') as string,
    phone: phone === undefined || phone === '' ? null : phone,
  };
}

function emptyAddress(): Address {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
}

/** invoice_settings merges: only the sub-fields given change. */
function invoiceSettingsParam(value: ParamValue, current: InvoiceSettings): InvoiceSettings {
  if (typeof value === 'string') throw invalidRequest('Invalid object', 'invoice_settings');
  rejectUnknown(
    value,
    ['custom_fields', 'default_payment_method', 'footer', 'rendering_options'],
    'invoice_settings',
  );
  const next: InvoiceSettings = { ...current };
  if (value.custom_fields !== undefined) {
    const fields = value.custom_fields;
    if (fields === '') next.custom_fields = null;
    else if (typeof fields === 'string') {
      throw invalidRequest('Invalid array', 'invoice_settings[custom_fields]');
    } else {
      next.custom_fields = Object.keys(fields)
        .sort((a, b) => Number(a) - Number(b))
        .map((i) => {
          const field = fields[i];
          const at = `invoice_settings[custom_fields][${i}]`;
          if (typeof field !== 'object') throw invalidRequest('Invalid object', at);
          rejectUnknown(field, ['name', 'value'], at);
          const name = stringParam(field.name, `${at}[name]`);
          const v = stringParam(field.value, `${at}[value]`);
          if (name === undefined || v === undefined) {
            throw invalidRequest(`Missing required param: ${at}[name].`, at, 'parameter_missing');
          }
          return { name, value: v };
        });
    }
  }
  const pm = stringParam(value.default_payment_method, 'invoice_settings[default_payment_method]');
  if (pm !== undefined) next.default_payment_method = pm === '' ? null : pm;
  const footer = stringParam(value.footer, 'invoice_settings[footer]');
  if (footer !== undefined) next.footer = footer === '' ? null : footer;
  const rendering = value.rendering_options;
  if (rendering !== undefined) {
    if (rendering === '') next.rendering_options = null;
    else if (typeof rendering === 'string') {
      throw invalidRequest('Invalid object', 'invoice_settings[rendering_options]');
    } else {
      rejectUnknown(
        rendering,
        ['amount_tax_display', 'template'],
        'invoice_settings[rendering_options]',
      );
      const display = stringParam(rendering.amount_tax_display, 'amount_tax_display');
      const template = stringParam(rendering.template, 'template');
      next.rendering_options = {
        amount_tax_display: display ? display : null,
        template: template ? template : null,
      };
    }
  }
  return next;
}

/** Metadata merges key by key; `''` as a value unsets that key, `metadata=` unsets all. */
function mergeMetadata(current: Record<string, string>, value: ParamValue): Record<string, string> {
  if (value === '') return {};
  if (typeof value === 'string') throw invalidRequest('Invalid object', 'metadata');
  const next: Record<string, string> = { ...current };
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidRequest('Invalid string: {...}', `metadata[${key}]`);
    if (key.length > 40) {
      throw invalidRequest(
        `Metadata keys can have a maximum length of 40 characters. Invalid key: '${key}'.`,
        `metadata[${key}]`,
      );
    }
    if (v.length > 500) {
      throw invalidRequest(
        'Metadata values can have a maximum length of 500 characters.',
        `metadata[${key}]`,
      );
    }
    if (v === '') delete next[key];
    else next[key] = v;
  }
  if (Object.keys(next).length > 50) {
    throw invalidRequest('You can have a maximum of 50 metadata keys.', 'metadata');
  }
  return next;
}

/**
 * `previous_attributes` of a customer.updated event: the old values of the top-level fields that
 * changed; for hashes (metadata, address...) only the changed keys, with `null` for keys that
 * did not exist before. Returns undefined when nothing changed (Stripe then sends no event).
 */
export function previousAttributes(
  before: Customer,
  after: Customer,
): Record<string, unknown> | undefined {
  const diff = diffObjects(
    before as unknown as Record<string, unknown>,
    after as unknown as Record<string, unknown>,
  );
  return diff && Object.keys(diff).length > 0 ? diff : undefined;
}

function diffObjects(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const old = before[key];
    const now = after[key];
    if (isPlainObject(old) && isPlainObject(now)) {
      const nested = diffObjects(old, now);
      if (nested) out[key] = nested;
    } else if (JSON.stringify(old) !== JSON.stringify(now)) {
      out[key] = old === undefined ? null : old;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
