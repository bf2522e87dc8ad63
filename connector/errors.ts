/**
 * Errors the engine raises, classified the way every shell needs them:
 * - `config`: the user's mistake (bad key, missing permission, invalid filter). Retrying won't help;
 *   the message says which field is wrong and how to fix it.
 * - `data`: a pipeline failed on a customer: its transformation threw, timed out or returned what
 *   the Customer Model refuses (`on_error: fail`). The config is valid; the code or the data must
 *   change. Retrying the same run fails the same way.
 * - `transient`: the service misbehaved (rate limit storm, 5xx, network, a lost warehouse
 *   connection, a lock held by another process). A rerun may succeed.
 * - `system`: a bug or an unexpected state on our side.
 *
 * `origin` says who answered: `stripe` when the error is Stripe's (or the network's) answer to a
 * request, with its HTTP status when there was one; `local` when the engine decided on its own
 * (a config it refused, a transformation that failed). Shells map these without parsing messages.
 *
 * Messages must never contain secrets: build them from field names and Stripe's own error text,
 * never from the config values themselves.
 */
export type FailureKind = 'config' | 'data' | 'transient' | 'system';
export type FailureOrigin = 'stripe' | 'local';

export interface ErrorDetails {
  cause?: unknown;
  /** The HTTP status Stripe answered with (absent for network failures and local errors). */
  httpStatus?: number;
  /** Default `local`. */
  origin?: FailureOrigin;
}

export class ConnectorError extends Error {
  readonly origin: FailureOrigin;
  readonly httpStatus: number | undefined;

  constructor(
    readonly kind: FailureKind,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ConnectorError';
    this.origin = details.origin ?? 'local';
    this.httpStatus = details.httpStatus;
  }
}

/** The user's input is wrong; `message` names the field, what was expected and how to fix it. */
export class ConfigError extends ConnectorError {
  constructor(message: string, details?: ErrorDetails) {
    super('config', message, details);
    this.name = 'ConfigError';
  }
}

/** A pipeline failed on a customer's data or on its own code; the message names both. */
export class DataError extends ConnectorError {
  constructor(message: string, details?: ErrorDetails) {
    super('data', message, details);
    this.name = 'DataError';
  }
}

export class TransientError extends ConnectorError {
  constructor(message: string, details?: ErrorDetails) {
    super('transient', message, details);
    this.name = 'TransientError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
