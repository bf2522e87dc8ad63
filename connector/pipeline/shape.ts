import { DataError } from '../errors';
import { field, value, words } from '../words';
import type { StripeCustomer } from '../stripe/customer-schema';
import type { PipelineDefinition } from './definition';
import { liveRecord, type OutputRecord } from './records';

/**
 * A customer the pipeline selected but emitted no record for: its transformation returned null
 * (`transformation`), or failed on it with `on_error: skip` (`error`, with why). Shells keep any
 * row imported for it earlier, in every kind of run: a skip never deletes.
 */
export interface SkippedCustomer {
  id: string;
  cause: 'transformation' | 'error';
  /** For `error`: what went wrong, naming no secret and no customer value. */
  reason?: string;
}

export interface ShapeResult {
  records: OutputRecord[];
  /** Customers of the batch that got no record, in the order they came. */
  skipped: SkippedCustomer[];
}

/**
 * Transform → convert to the model → add bookkeeping, for a batch of selected customers. A
 * failure either stops the run (`on_error: fail`: a DataError naming the customer and the
 * reason) or is reported as a skip.
 */
export async function shapeCustomers(
  pipeline: PipelineDefinition,
  customers: ReadonlyArray<StripeCustomer>,
  observedAt: (customer: StripeCustomer) => number,
): Promise<ShapeResult> {
  const result: ShapeResult = { records: [], skipped: [] };
  if (customers.length === 0) return result;
  const outcomes = pipeline.transformer
    ? await pipeline.transformer.transformBatch(customers)
    : customers.map((customer) => ({ kind: 'record' as const, record: customer }));
  outcomes.forEach((outcome, index) => {
    const customer = customers[index] as StripeCustomer;
    if (outcome.kind === 'skip') {
      result.skipped.push({ id: customer.id, cause: 'transformation' });
      return;
    }
    let reason: string;
    if (outcome.kind === 'record') {
      const converted = pipeline.converter
        ? pipeline.converter.convert(outcome.record)
        : { ok: true as const, record: outcome.record };
      if (converted.ok) {
        result.records.push(
          liveRecord(pipeline.layout, customer, converted.record, observedAt(customer)),
        );
        return;
      }
      reason = `does not fit the Customer Model: ${converted.error}`;
    } else {
      reason = `transformation failed: ${outcome.message}`;
    }
    if (pipeline.onError === 'fail') {
      const onError = [...pipeline.at, 'on_error'];
      throw new DataError(
        {
          at: pipeline.at,
          problem: `customer ${customer.id} ${reason}`,
          fix: words`fix the transformation or the Customer Model, or set ${field(onError)} to ${value(onError, 'skip')} to import the other customers`,
        },
        pipeline.names ? { names: pipeline.names } : {},
      );
    }
    result.skipped.push({ id: customer.id, cause: 'error', reason });
  });
  return result;
}
