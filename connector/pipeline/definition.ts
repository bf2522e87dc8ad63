import type { StripeCustomer } from '../stripe/customer-schema';
import type { RecordLayout } from './records';

/** Picks the customers a pipeline imports (compiled from the `filter` config). */
export interface CustomerSelector {
  matches(customer: Record<string, unknown>): boolean;
  matchesAll: boolean;
  /** A date value in the filter is relative ("30 days ago"): it moves with time alone. */
  relativeDates: boolean;
  pushDown: { created?: { gte?: number; lte?: number }; email?: string; searchQuery?: string };
}

export type TransformOutcome =
  | { kind: 'record'; record: Record<string, unknown> }
  | { kind: 'skip' }
  | { kind: 'error'; message: string };

/** Turns Stripe customers into the user's shape (mapping, JavaScript or Python). */
export interface CustomerTransformer {
  transformBatch(customers: ReadonlyArray<Record<string, unknown>>): Promise<TransformOutcome[]>;
  close(): Promise<void>;
}

/** Converts and validates a transformed record against the Customer Model. */
export interface RecordConverter {
  convert(
    value: Record<string, unknown>,
  ): { ok: true; record: Record<string, unknown> } | { ok: false; error: string };
}

export type OnError = 'fail' | 'skip';

/** One pipeline, ready to run: what to select, how to shape it, and how to name its output. */
export interface PipelineDefinition {
  name: string;
  selector: CustomerSelector;
  /** Absent: customers pass through as Stripe returns them. */
  transformer?: CustomerTransformer;
  converter?: RecordConverter;
  layout: RecordLayout;
  onError: OnError;
}

export type { StripeCustomer };
