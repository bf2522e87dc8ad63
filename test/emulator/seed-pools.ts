/** Value pools for seed data: realistic variety, including unicode and awkward keys. */
import type { InvoiceSettings } from './model.js';

export const FOUR_YEARS = 4 * 365 * 86400;

export const FIRST = [
  'James',
  'Mary',
  'Wei',
  'Fatima',
  'Carlos',
  'Aiko',
  'Olga',
  'Liam',
  'Priya',
  'Noah',
  'Amara',
  'Lucas',
  'Sofia',
  'Mateo',
  'Hannah',
  'Omar',
  'Chloe',
  'Ivan',
  'Grace',
  'Kenji',
  'Elena',
  'Daniel',
  'Aisha',
  'Tom',
  'Ingrid',
  'Pedro',
  'Mei',
  'Samuel',
  'Nadia',
  'Jonas',
];
export const LAST = [
  'Smith',
  'Johnson',
  'Chen',
  'Khan',
  'Garcia',
  'Tanaka',
  'Ivanova',
  'Brown',
  'Patel',
  'Miller',
  'Okafor',
  'Silva',
  'Rossi',
  'Lopez',
  'Schmidt',
  'Haddad',
  'Martin',
  'Petrov',
  'Wilson',
  'Sato',
  'Novak',
  'Davis',
  'Ali',
  'Clarke',
  'Larsen',
  'Santos',
  'Wang',
  'Cohen',
  'Kowalski',
  'Weber',
];
/** Names that exercise unicode handling end to end. */
export const UNICODE_NAMES = [
  'José Álvarez',
  'Zoë Martin',
  '山田太郎',
  'Łukasz Nowak',
  'François Dubois',
  'Søren Kierkegaard-Olsen',
  "Siobhán O'Brien",
  'Nguyễn Văn An',
  'Иван Петров',
  'Müller & Söhne GmbH',
  'Ærø Ølstue ApS',
  'Renée Lefèvre',
  'Çağla Yılmaz',
  'محمد علي',
  'Dvořák Antonín',
  'Straße Café',
];
export const COMPANIES = [
  'Acme Corp',
  'Globex LLC',
  'Initech',
  'Umbrella Ltd',
  'Stark Industries Pty',
  'Hooli',
];
export const DOMAINS = [
  'example.com',
  'example.org',
  'mail.example.net',
  'corp.example',
  'example.co.uk',
];
export const PLACES: Array<[city: string, country: string, state: string | null, postal: string]> =
  [
    ['San Francisco', 'US', 'CA', '94107'],
    ['New York', 'US', 'NY', '10001'],
    ['Austin', 'US', 'TX', '73301'],
    ['London', 'GB', null, 'EC1A 1BB'],
    ['Berlin', 'DE', null, '10115'],
    ['Paris', 'FR', null, '75001'],
    ['Kraków', 'PL', null, '30-001'],
    ['Tokyo', 'JP', 'Tokyo', '100-0001'],
    ['São Paulo', 'BR', 'SP', '01000-000'],
    ['Toronto', 'CA', 'ON', 'M5H 2N2'],
    ['Dublin', 'IE', null, 'D02 XY45'],
    ['Sydney', 'AU', 'NSW', '2000'],
  ];
export const STREETS = [
  'Main St',
  'Market St',
  'High Street',
  'Hauptstraße',
  'Rue de Rivoli',
  'ul. Floriańska',
];
export const PLANS = [
  'free',
  'free',
  'free',
  'free',
  'starter',
  'starter',
  'pro',
  'pro',
  'enterprise',
];
export const SOURCES = ['web', 'mobile', 'sales', 'partner'];
export const MANAGERS = ['Dana Scully', 'Ana Souza', 'Kim Lee'];
export const LOCALES: string[][] = [
  ['en'],
  ['fr', 'en'],
  ['de'],
  ['ja'],
  ['es-419'],
  ['pt-BR', 'en'],
];
export const COUPONS = ['SUMMER20', 'WELCOME10', 'LAUNCH50', 'Z4OV52SU'];
export const DESCRIPTIONS = [
  'Imported from legacy CRM',
  'VIP',
  'Reseller — EMEA',
  'Trial extended',
  'Net 30',
];
/** Shared: stored objects are never mutated in place. */
export const EMPTY_LOCALES: string[] = [];
export const CUSTOM_INVOICE_SETTINGS: InvoiceSettings = {
  custom_fields: [{ name: 'PO number', value: 'PO-1182' }],
  default_payment_method: null,
  footer: 'Thank you for your business.',
  rendering_options: { amount_tax_display: null, template: null },
};
/** Letters NFD does not decompose. */
export const TRANSLIT: Record<string, string> = {
  ł: 'l',
  ø: 'o',
  æ: 'ae',
  ß: 'ss',
  đ: 'd',
  ı: 'i',
};
