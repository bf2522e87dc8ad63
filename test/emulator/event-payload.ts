/**
 * An event's `data` as Stripe renders it when the event happens: the object and its
 * `previous_attributes` in the account's API version (api-versions.ts), with values that did not
 * exist before written as `null` or, as Stripe is reported to send them, `''`.
 */
import { renderObject, renderPreviousAttributes } from './api-versions.js';
import type { EmptyPreviousValue } from './behaviour.js';
import type { StripeEvent } from './model.js';

export interface PayloadStyle {
  apiVersion: string;
  emptyAs: EmptyPreviousValue;
}

export function eventData(
  object: object,
  previous: Record<string, unknown> | undefined,
  style: PayloadStyle,
): StripeEvent['data'] {
  const rendered = renderObject(object, style.apiVersion);
  if (!previous) return { object: rendered };
  const withEmpties = style.emptyAs === 'empty_string' ? nullsToEmpty(previous) : previous;
  return {
    object: rendered,
    previous_attributes: renderPreviousAttributes(withEmpties, style.apiVersion),
  };
}

/**
 * Every `null` (a value that did not exist before: an unset field, a new metadata key, a hash
 * that was null) becomes `''`, at any depth.
 */
function nullsToEmpty(previous: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(previous)) {
    if (value === null || value === undefined) out[key] = '';
    else if (typeof value === 'object' && !Array.isArray(value)) {
      out[key] = nullsToEmpty(value as Record<string, unknown>);
    } else out[key] = value;
  }
  return out;
}
