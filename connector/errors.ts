/**
 * Errors the engine raises, classified the way every shell needs them:
 * - `config`: the user's mistake (bad key, missing permission, invalid filter). Retrying won't help;
 *   the message says which field is wrong and how to fix it.
 * - `transient`: the service misbehaved (rate limit storm, 5xx, network). A rerun may succeed.
 * - `system`: a bug or an unexpected state on our side.
 *
 * Messages must never contain secrets: build them from field names and Stripe's own error text,
 * never from the config values themselves.
 */
export type FailureKind = 'config' | 'transient' | 'system';

export class ConnectorError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectorError';
  }
}

/** The user's input is wrong; `message` names the field, what was expected and how to fix it. */
export class ConfigError extends ConnectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('config', message, options);
    this.name = 'ConfigError';
  }
}

export class TransientError extends ConnectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('transient', message, options);
    this.name = 'TransientError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
