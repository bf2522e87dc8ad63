/**
 * The 'garble' fault: a list answered normally, except that its objects are damaged in the ways
 * a client must survive (missing or mistyped keys, nulls everywhere, wrong types, a huge string,
 * every kind of unicode, stray entries), so tests can prove one bad object spoils nothing else.
 */

/** The damaged positions whose objects can no longer be keyed (no id, or created as text). */
export const UNKEYABLE_POSITIONS = [0, 1];
/** Entries appended to a damaged page that are not objects at all. */
export const STRAY_ENTRIES = 3;

export const UNICODE =
  'Zoë Ōkubo 山田 عربى עברית \u200f\u200b 🎉👩‍👩‍👧 \u0000 \u2028 \ud800 "quoted" \\back\\slash';

/** What each damaged position of a page becomes; positions beyond the page are skipped. */
const DAMAGE: Array<(object: Record<string, unknown>) => unknown> = [
  // Unkeyable: no id.
  ({ id: _id, ...rest }) => rest,
  // Unkeyable: created as text.
  (object) => ({ ...object, created: '2024-01-01' }),
  // Keyable, every other field null.
  (object) =>
    Object.fromEntries(
      Object.keys(object).map((key) => [
        key,
        ['id', 'object', 'created'].includes(key) ? object[key] : null,
      ]),
    ),
  // Keyable, a huge name and every kind of unicode.
  (object) => ({ ...object, name: UNICODE.repeat(20_000), description: UNICODE }),
  // Keyable, fields of unexpected types and fields Stripe never sent.
  (object) => ({
    ...object,
    balance: '12',
    email: 42,
    metadata: ['plan', 'pro'],
    address: 'Paris',
    preferred_locales: 'fr',
    delinquent: 'yes',
    invoice_settings: [],
    surprise: { nested: [1, { deeper: null }] },
  }),
];

/** Damages a list body (customers, or events' data.object), or drops a single object's id. */
export function garbleListBody(body: string): string {
  const parsed = JSON.parse(body) as { object?: string; data?: unknown[] };
  if (parsed.object !== 'list' && parsed.object !== 'search_result') {
    // A single object (a retrieve) loses its id.
    return JSON.stringify((DAMAGE[0] as (o: object) => unknown)(parsed), null, 2);
  }
  if (!Array.isArray(parsed.data)) return body;
  parsed.data = parsed.data.map((item, index) => {
    const damage = DAMAGE[index];
    if (!damage || typeof item !== 'object' || item === null) return item;
    const record = item as Record<string, unknown>;
    if (record.object === 'event') {
      const data = record.data as { object: Record<string, unknown> };
      return { ...record, data: { ...data, object: damage(data.object) } };
    }
    return damage(record);
  });
  // Stray entries that are not objects at all.
  parsed.data.push(...[null, 'cus_NotAnObject', 7].slice(0, STRAY_ENTRIES));
  return JSON.stringify(parsed, null, 2);
}

/** The 'hollow' fault: a list whose entries are all unusable, though it says there is more. */
export function hollowListBody(body: string): string {
  const parsed = JSON.parse(body) as { object?: string; data?: unknown[]; has_more?: boolean };
  if (parsed.object !== 'list' || !Array.isArray(parsed.data)) return body;
  return JSON.stringify({ ...parsed, data: parsed.data.map(() => null), has_more: true }, null, 2);
}
