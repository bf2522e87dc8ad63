/**
 * Customer changes delivered by Stripe's webhooks, applied through the same pipeline as a run:
 * filter (entering and leaving), transformation, Customer Model, record or deletion. The event
 * log stays the truth: each pipeline takes only events its runs have not read (its saved cursor
 * and processed events decide), and reports which it took, for its state to list them as
 * processed; so a run neither applies them again nor misses one a delivery dropped.
 */
import type { ConnectorConfig, PipelineConfig } from '../config/config';
import { pipelineSelection } from '../pipeline/selection';
import { ConnectorError, DataError } from '../errors';
import { closePipeline, openPipeline } from '../open-pipeline';
import type { PipelineDefinition } from '../pipeline/definition';
import { deletionRecord } from '../pipeline/records';
import type { EmittedRecord, StripeChangeKind } from '../pipeline/run';
import { SeenEvents } from '../pipeline/seen-events';
import { shapeCustomers, type ShapeResult, type SkippedCustomer } from '../pipeline/shape';
import {
  incrementalState,
  isStateOf,
  parsePipelineState,
  type SingleAccountState,
} from '../pipeline/state';
import { StripeApi } from '../stripe/api';
import { isWellFormedCustomer, type StripeCustomer } from '../stripe/customer-schema';
import type { StripePort } from '../stripe/port';
import { resolve, type DeliveredChange } from './changes';
import { toCustomerEvent, type DeliveredCustomerEvent } from './event';

/** A pipeline to apply delivered events to, with what the destination knows of it. */
export interface WebhookPipelineRequest {
  name: string;
  /** Its saved state, as a run gets it; undefined: it has never run. */
  state: unknown;
  /** A full import of it was started and is not finished: its end and catch-up cover the events. */
  importUnderWay?: boolean;
  /**
   * The version the destination holds for each of these customers (unix seconds): its row's
   * cursor, or the latest change applied to it without leaving a row (deleted, filtered out).
   * Customers it knows nothing of are left out.
   */
  heldVersions(customerIds: string[]): Promise<ReadonlyMap<string, number>>;
}

/** Events of a customer the pipeline could not apply: its next run reads them from the event log. */
export interface LeftToRun {
  customerId: string;
  eventIds: string[];
  reason: string;
}

export type WebhookOutcome =
  | {
      kind: 'applied';
      pipeline: string;
      /** Records and deletions to write, each with its version in its cursor field. */
      items: EmittedRecord[];
      /** Selected but given no record (the transformation skipped them): their rows stay. */
      skipped: SkippedCustomer[];
      /**
       * The version of every customer the applied events concerned, with a record or not: keep
       * them with the records, so that an older delivery, or a run reading an older event,
       * never overwrites a newer state (or brings back a deleted or filtered-out customer).
       */
      versions: ReadonlyMap<string, number>;
      /** The events applied (older ones included): the new state lists them as processed. */
      applied: string[];
      /** Events it had processed before (repeated deliveries, or read by a run already). */
      alreadyProcessed: number;
      /** Events older than the state the destination holds for their customer: nothing to write. */
      older: number;
      filteredOut: number;
      leftToRun: LeftToRun[];
      /** Save with the records, in the same transaction. */
      state: SingleAccountState;
    }
  /** The pipeline takes no deliveries now; its next run covers these events (`reason` says why). */
  | { kind: 'not_applied'; pipeline: string; reason: string }
  /** Nothing was applied to it; `error.kind` says whether trying again can help. */
  | { kind: 'failed'; pipeline: string; error: ConnectorError };

/** A damaged retrieve is asked again once before the change is left to the next run. */
const RETRIEVE_ATTEMPTS = 2;

type Current = StripeCustomer | undefined | 'malformed';

/**
 * Applies batches of delivered events for one version of the config: each pipeline's
 * transformation is loaded once and kept for the next batches (close it when the config
 * changes or the shell stops). Retrieves go through the Stripe port, within the budget of
 * `GET /v1/customers/{id}`, at most once per customer and batch.
 */
export class WebhookApplier {
  private readonly stripe: StripePort;
  private readonly definitions = new Map<string, Promise<PipelineDefinition>>();

  constructor(
    private readonly config: ConnectorConfig,
    options: { stripe?: StripePort } = {},
  ) {
    this.stripe = options.stripe ?? new StripeApi(config.connection);
  }

  /**
   * One batch of verified events (as delivered, in any order, repeats included), for each of
   * `pipelines` in turn. Events that are not customer changes are ignored.
   */
  async *apply(
    events: unknown[],
    pipelines: WebhookPipelineRequest[],
  ): AsyncGenerator<WebhookOutcome, void> {
    const byId = new Map<string, DeliveredCustomerEvent>();
    for (const raw of events) {
      const event = toCustomerEvent(raw);
      if (event && !byId.has(event.id)) byId.set(event.id, event);
    }
    const batch = [...byId.values()];
    const retrieved = new Map<string, Promise<Current>>();
    for (const request of pipelines) {
      try {
        yield await this.applyTo(request, batch, retrieved);
      } catch (error) {
        yield {
          kind: 'failed',
          pipeline: request.name,
          error:
            error instanceof ConnectorError
              ? error
              : new ConnectorError(
                  'system',
                  error instanceof Error ? error.message : String(error),
                  {
                    cause: error,
                  },
                ),
        };
      }
    }
  }

  async close(): Promise<void> {
    const opened = [...this.definitions.values()];
    this.definitions.clear();
    for (const definition of opened) {
      await definition.then(closePipeline, () => undefined);
    }
  }

  private async applyTo(
    request: WebhookPipelineRequest,
    events: DeliveredCustomerEvent[],
    retrieved: Map<string, Promise<Current>>,
  ): Promise<WebhookOutcome> {
    const name = request.name;
    const notApplied = (reason: string): WebhookOutcome => ({
      kind: 'not_applied',
      pipeline: name,
      reason,
    });
    const pipeline = this.config.pipelines.find((candidate) => candidate.name === name);
    if (!pipeline) return notApplied('it is not in the config');
    if (!pipeline.enabled) return notApplied('it is disabled');
    if (!pipeline.incremental) {
      return notApplied('it is not incremental: each run imports every customer again');
    }
    if (this.config.accounts) {
      return notApplied(
        "it reads connected accounts (connected_accounts), whose changes each account's runs read from its event log",
      );
    }
    const state = parsePipelineState(request.state, name);
    if (!state) return notApplied('it has not run yet: its first run imports every customer');
    if (state.phase !== 'incremental' || request.importUnderWay) {
      return notApplied(
        'its full import is not finished: when it is, the changes made meanwhile are read from the event log',
      );
    }
    if (!isStateOf(state, pipeline.fingerprint, pipeline.formerFingerprints)) {
      return notApplied(
        'its definition changed since its last run, which imports every customer again',
      );
    }
    const seen = SeenEvents.from(state.seen_events);
    // Events before the cursor were read by a run already (or will be, through its overlap).
    const fresh = events.filter(
      (event) => !seen.has(event) && event.created >= state.events_cursor,
    );
    const definition = await this.definition(pipeline);
    const ids = [...new Set(fresh.map((event) => event.object.id))];
    const held = ids.length > 0 ? await request.heldVersions(ids) : new Map<string, number>();
    const { changes, older } = resolve(
      fresh,
      held,
      this.stripe.apiVersion,
      pipelineSelection(definition),
    );
    const current = await Promise.all(
      changes.map((change) => this.currentState(change, retrieved)),
    );

    const versions = new Map<string, number>();
    const leftToRun: LeftToRun[] = [];
    const toShape: StripeCustomer[] = [];
    const deletions: EmittedRecord[] = [];
    let filteredOut = 0;
    changes.forEach((change, index) => {
      const customer = current[index];
      if (customer === 'malformed') {
        leftToRun.push(
          left(
            change,
            'Stripe answered its retrieve twice with an object lacking its id or an integer created time',
          ),
        );
        return;
      }
      versions.set(change.customerId, change.version);
      if (customer && pipelineSelection(definition).matches(customer)) {
        toShape.push(customer);
      } else if (held.has(change.customerId) || change.everSelected) {
        // Deleted in Stripe, or no longer matching the filter: the destination must drop it.
        deletions.push({
          record: deletionRecord(definition.layout, change.customerId, change.version),
          change: 'deleted',
          stripeChange: stripeChangeOf(change),
        });
      } else {
        filteredOut++;
      }
    });
    const byCustomer = new Map(changes.map((change) => [change.customerId, change]));
    const shaped = await shapeEach(
      definition,
      toShape,
      (customer) => byCustomer.get(customer.id)?.version ?? 0,
    );
    for (const failure of shaped.failed) {
      versions.delete(failure.id);
      leftToRun.push(left(byCustomer.get(failure.id) as DeliveredChange, failure.reason));
    }
    const key = definition.layout.primaryKey;
    const items: EmittedRecord[] = [
      ...shaped.records.map((record) => {
        const change = byCustomer.get(String(record[key])) as DeliveredChange;
        // New to the pipeline: created in Stripe, or not selected before (it starts matching).
        const isNew = createdAmong(change) || !change.selectedBefore;
        return {
          record,
          change: isNew ? ('created' as const) : ('updated' as const),
          stripeChange: stripeChangeOf(change),
        };
      }),
      ...deletions,
    ];
    const unapplied = new Set(leftToRun.flatMap((entry) => entry.eventIds));
    const applied = fresh.filter((event) => !unapplied.has(event.id));
    for (const event of applied) seen.add(event);
    return {
      kind: 'applied',
      pipeline: name,
      items,
      skipped: shaped.skipped,
      versions,
      applied: applied.map((event) => event.id),
      alreadyProcessed: events.length - fresh.length,
      older: older.length,
      filteredOut,
      leftToRun,
      state: incrementalState(
        state.events_cursor,
        seen,
        this.config.reading.overlapSeconds,
        pipeline.fingerprint,
      ),
    };
  }

  private definition(pipeline: PipelineConfig): Promise<PipelineDefinition> {
    let opened = this.definitions.get(pipeline.name);
    if (!opened) {
      opened = openPipeline(this.config, pipeline);
      // A transformation that cannot load fails this batch; the next one tries again.
      opened.catch(() => this.definitions.delete(pipeline.name));
      this.definitions.set(pipeline.name, opened);
    }
    return opened;
  }

  /** The customer after the change: the payload, or a retrieve shared by every pipeline. */
  private currentState(
    change: DeliveredChange,
    retrieved: Map<string, Promise<Current>>,
  ): Promise<Current> {
    if (change.deleted) return Promise.resolve(undefined);
    if (change.source === 'payload') return Promise.resolve(change.latest);
    let pending = retrieved.get(change.customerId);
    if (!pending) {
      pending = this.retrieve(change.customerId);
      retrieved.set(change.customerId, pending);
    }
    return pending;
  }

  private async retrieve(id: string): Promise<Current> {
    for (let attempt = 0; attempt < RETRIEVE_ATTEMPTS; attempt++) {
      const { customer } = await this.stripe.retrieveCustomer(id);
      if ('deleted' in customer && customer.deleted) return undefined;
      if (isWellFormedCustomer(customer) && customer.id === id) return customer;
    }
    return 'malformed';
  }
}

function createdAmong(change: DeliveredChange): boolean {
  return change.events.some((event) => event.type === 'customer.created');
}

function stripeChangeOf(change: DeliveredChange): StripeChangeKind {
  if (change.deleted) return 'deleted';
  return createdAmong(change) ? 'created' : 'updated';
}

function left(change: DeliveredChange, reason: string): LeftToRun {
  return {
    customerId: change.customerId,
    eventIds: change.events.map((event) => event.id),
    reason,
  };
}

/**
 * Shapes the customers together, and one by one when one of them fails its transformation or
 * the model with `on_error: fail`: that customer is left to the next run (which fails on it,
 * visibly), the others are applied.
 */
async function shapeEach(
  definition: PipelineDefinition,
  customers: StripeCustomer[],
  versionOf: (customer: StripeCustomer) => number,
): Promise<ShapeResult & { failed: Array<{ id: string; reason: string }> }> {
  try {
    return { ...(await shapeCustomers(definition, customers, versionOf)), failed: [] };
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
  }
  const result: ShapeResult & { failed: Array<{ id: string; reason: string }> } = {
    records: [],
    skipped: [],
    failed: [],
  };
  for (const customer of customers) {
    try {
      const one = await shapeCustomers(definition, [customer], versionOf);
      result.records.push(...one.records);
      result.skipped.push(...one.skipped);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      result.failed.push({ id: customer.id, reason: error.message });
    }
  }
  return result;
}
