/**
 * Engine errors → n8n errors, keeping the engine's message (it names the field, the customer and
 * the fix). What Stripe answered becomes a NodeApiError (with the HTTP status when known, so n8n
 * can tell a dead key from a flaky network); everything the user configured — the filter, the
 * model, code that fails for a customer, a saved cursor — becomes a NodeOperationError.
 */
import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';
import { ConnectorError } from './engine';

type Failure = NonNullable<ConstructorParameters<typeof NodeApiError>[2]>['failure'];

const DESCRIPTIONS = {
  config: undefined,
  data: undefined,
  transient:
    'Stripe or the network failed after several retries. Running the node again may succeed; consider enabling "Retry On Fail".',
  system: 'An unexpected error in the Stripe Customers engine. Please report it with this message.',
} as const;

function failureOf(error: ConnectorError, httpCode: string | undefined): Failure {
  if (httpCode === '401' || httpCode === '403') return { cause: 'credential-invalid' };
  if (httpCode === '429') return { cause: 'rate-limited' };
  if (error.kind === 'transient') return { cause: 'temporarily-unavailable' };
  if (error.kind === 'system') return { cause: 'node-defect' };
  return { cause: 'configuration-invalid' };
}

export function toNodeError(
  node: INode,
  error: unknown,
  itemIndex?: number,
): NodeApiError | NodeOperationError {
  if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
  const context = itemIndex === undefined ? {} : { itemIndex };
  if (!(error instanceof ConnectorError)) {
    return new NodeOperationError(node, error instanceof Error ? error : String(error), context);
  }
  const description = DESCRIPTIONS[error.kind];
  if (error.origin === 'stripe') {
    const httpCode = error.httpStatus === undefined ? undefined : String(error.httpStatus);
    return new NodeApiError(node, { message: error.message } as JsonObject, {
      message: error.message,
      ...(description ? { description } : {}),
      ...(httpCode ? { httpCode } : {}),
      failure: failureOf(error, httpCode),
      ...context,
    });
  }
  return new NodeOperationError(node, error.message, {
    ...(description ? { description } : {}),
    failure: failureOf(error, undefined),
    ...context,
  });
}
