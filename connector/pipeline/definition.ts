import type { CompiledFilter } from '../filter';
import type { CustomerModel } from '../model';
import type { StripeCustomer } from '../stripe/customer-schema';
import type { Transformer } from '../transform';
import type { ConfigPath, NameLookup } from '../words';
import type { RecordLayout } from './records';

/** Converts and validates a transformed record against the Customer Model. */
export type RecordConverter = Pick<CustomerModel, 'convert'>;

export type OnError = 'fail' | 'skip';

/** full_refresh: every matching customer. incremental: what changed since the saved state. */
export type SyncMode = 'full_refresh' | 'incremental';

/** One pipeline, ready to run: what to select, how to shape it, and how to name its output. */
export interface PipelineDefinition {
  name: string;
  /** Where it is in the config (`["pipelines", 2]`), for errors that point at its fields. */
  at: ConfigPath;
  /** Names of the config's pipelines and model rows, for such errors' messages. */
  names?: NameLookup;
  /** Picks the customers the pipeline imports (compiled from the `filter` config). */
  selector: CompiledFilter;
  /** Turns Stripe customers into the user's shape; absent: they pass through as Stripe returns them. */
  transformer?: Transformer;
  converter?: RecordConverter;
  layout: RecordLayout;
  onError: OnError;
}

export type { StripeCustomer };
