/**
 * Knobs for how Stripe's data behaves beyond the happy path, shared by every account of one
 * emulator and changeable at runtime (`setFaults`, `POST /_emulator/faults`). All default to what
 * the emulator did before they existed: consistent reads, `null` in `previous_attributes`, event
 * payloads in the SDK's API version.
 *
 * - `eventDelayShare` / `eventDelayMaxSeconds`: `GET /v1/events` is eventually consistent (not
 *   documented by Stripe; reported by Estuary, singer's tap-stripe and Sequin). A seeded share of
 *   events is left out of the list until the emulator clock reaches `created + delay`, the delay
 *   uniform in (0, max] (event-delay.ts). Realistic test numbers: 0.3 and 90.
 * - `searchLagSeconds`: `/v1/customers/search` answers from an index that many seconds behind
 *   writes (search-index.ts). Stripe: "usually within a minute", "up to an hour during outages".
 * - `previousAttributesEmptyAs`: what `previous_attributes` holds for a value that did not exist
 *   before (a new metadata key, a field that was unset): `null` (default) or `''`, which Stripe
 *   is reported to send.
 * - `eventApiVersion`: the account's default API version, which event payloads are rendered in
 *   (api-versions.ts); it applies to events created after it is set, as an account upgrade does.
 * - `customerUpdatedForRelatedChanges`: whether a customer field changed through another object
 *   (a source added or deleted, a payment method detached, a discount attached or removed, a
 *   balance transaction) also sends `customer.updated`. Stripe's docs say `customer.updated`
 *   "occurs whenever any property of a customer changes" but are silent on these paths; the
 *   default, `false`, is the worst case: only the other object's own event (`customer.source.*`,
 *   `payment_method.detached`, `customer.discount.*`; nothing for a balance transaction).
 */
import { API_VERSION } from './model.js';

export type EmptyPreviousValue = 'null' | 'empty_string';

export interface BehaviourSettings {
  eventDelayShare?: number;
  eventDelayMaxSeconds?: number;
  searchLagSeconds?: number;
  previousAttributesEmptyAs?: EmptyPreviousValue;
  eventApiVersion?: string;
  customerUpdatedForRelatedChanges?: boolean;
}

const API_VERSION_FORMAT = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

export class Behaviour {
  eventDelayShare = 0;
  eventDelayMaxSeconds = 0;
  searchLagSeconds = 0;
  previousAttributesEmptyAs: EmptyPreviousValue = 'null';
  eventApiVersion = API_VERSION;
  customerUpdatedForRelatedChanges = false;

  constructor(settings: BehaviourSettings = {}) {
    this.set(settings);
  }

  /** Throws a TypeError naming the field when a value is malformed; changes nothing then. */
  static validate(s: BehaviourSettings): void {
    if (s.eventDelayShare !== undefined) {
      if (
        typeof s.eventDelayShare !== 'number' ||
        !(s.eventDelayShare >= 0 && s.eventDelayShare <= 1)
      ) {
        throw new TypeError(
          `eventDelayShare must be a number from 0 to 1, got ${JSON.stringify(s.eventDelayShare)}`,
        );
      }
    }
    for (const name of ['eventDelayMaxSeconds', 'searchLagSeconds'] as const) {
      const value = s[name];
      if (
        value !== undefined &&
        (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      ) {
        throw new TypeError(
          `${name} must be a number of seconds >= 0, got ${JSON.stringify(value)}`,
        );
      }
    }
    if (
      s.previousAttributesEmptyAs !== undefined &&
      s.previousAttributesEmptyAs !== 'null' &&
      s.previousAttributesEmptyAs !== 'empty_string'
    ) {
      throw new TypeError(
        `previousAttributesEmptyAs must be 'null' or 'empty_string', got ${JSON.stringify(s.previousAttributesEmptyAs)}`,
      );
    }
    if (
      s.customerUpdatedForRelatedChanges !== undefined &&
      typeof s.customerUpdatedForRelatedChanges !== 'boolean'
    ) {
      throw new TypeError(
        `customerUpdatedForRelatedChanges must be true or false, got ${JSON.stringify(s.customerUpdatedForRelatedChanges)}`,
      );
    }
    if (
      s.eventApiVersion !== undefined &&
      (typeof s.eventApiVersion !== 'string' || !API_VERSION_FORMAT.test(s.eventApiVersion))
    ) {
      throw new TypeError(
        `eventApiVersion must be a Stripe API version such as 2019-09-09 or ${API_VERSION}, got ${JSON.stringify(s.eventApiVersion)}`,
      );
    }
  }

  set(s: BehaviourSettings): void {
    if (s.customerUpdatedForRelatedChanges !== undefined) {
      this.customerUpdatedForRelatedChanges = s.customerUpdatedForRelatedChanges;
    }
    Behaviour.validate(s);
    if (s.eventDelayShare !== undefined) this.eventDelayShare = s.eventDelayShare;
    if (s.eventDelayMaxSeconds !== undefined) this.eventDelayMaxSeconds = s.eventDelayMaxSeconds;
    if (s.searchLagSeconds !== undefined) this.searchLagSeconds = s.searchLagSeconds;
    if (s.previousAttributesEmptyAs !== undefined) {
      this.previousAttributesEmptyAs = s.previousAttributesEmptyAs;
    }
    if (s.eventApiVersion !== undefined) this.eventApiVersion = s.eventApiVersion;
  }

  settings(): Required<BehaviourSettings> {
    return {
      eventDelayShare: this.eventDelayShare,
      eventDelayMaxSeconds: this.eventDelayMaxSeconds,
      searchLagSeconds: this.searchLagSeconds,
      previousAttributesEmptyAs: this.previousAttributesEmptyAs,
      eventApiVersion: this.eventApiVersion,
      customerUpdatedForRelatedChanges: this.customerUpdatedForRelatedChanges,
    };
  }
}
