import { ConnectorError } from '../errors';
import type { StripeCustomer } from '../stripe/customer-schema';
import type { PipelineDefinition } from './definition';
import { liveRecord, type OutputRecord } from './records';

export interface ShapeResult {
  records: OutputRecord[];
  /** Customers left out because the transformation returned null. */
  skippedByCode: number;
  /** Customers that failed with `on_error: skip`, each with why. */
  failures: Array<{ id: string; reason: string }>;
}

/**
 * Transform → convert to the model → add bookkeeping, for a batch of selected customers. A
 * failure either stops the run (`on_error: fail`, naming the customer and the reason) or is
 * reported and skipped.
 */
export async function shapeCustomers(
  pipeline: PipelineDefinition,
  customers: ReadonlyArray<StripeCustomer>,
  observedAt: (customer: StripeCustomer) => number,
): Promise<ShapeResult> {
  const result: ShapeResult = { records: [], skippedByCode: 0, failures: [] };
  if (customers.length === 0) return result;
  const outcomes = pipeline.transformer
    ? await pipeline.transformer.transformBatch(customers)
    : customers.map((customer) => ({ kind: 'record' as const, record: customer }));
  outcomes.forEach((outcome, index) => {
    const customer = customers[index] as StripeCustomer;
    if (outcome.kind === 'skip') {
      result.skippedByCode++;
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
      throw new ConnectorError(
        'config',
        `Pipeline "${pipeline.name}": customer ${customer.id} ${reason}. ` +
          'Fix the transformation or the Customer Model, or set the pipeline\'s `on_error` to "skip" to import the other customers.',
      );
    }
    result.failures.push({ id: customer.id, reason });
  });
  return result;
}
