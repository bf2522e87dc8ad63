import Stripe from 'stripe';
import { ConfigError, ConnectorError, TransientError, errorMessage } from '../errors';
import { redactSecrets } from './redact';
import { field, words } from '../words';

/** Permissions a restricted key may lack, named as Stripe's dashboard names them. */
const PERMISSION_HINTS: Record<string, string> = {
  customers: 'Customers: Read',
  events: 'Events: Read (under "All core resources")',
};

/** The object a page cursor pointed at is gone (deleted meanwhile); the caller re-anchors. */
export class StaleCursorError extends ConnectorError {
  constructor(message: string) {
    super('system', message);
    this.name = 'StaleCursorError';
  }
}

/**
 * The key lacks a permission (HTTP 403; Stripe's body says `invalid_request_error`, v1 has no
 * permission type): which resource it may not read.
 */
export class MissingPermissionError extends ConfigError {
  constructor(
    readonly resource: 'customers' | 'events',
    message: string,
    details: ConstructorParameters<typeof ConfigError>[1],
  ) {
    super(message, details);
    this.name = 'MissingPermissionError';
  }
}

/** The object asked for by id does not exist (404 resource_missing). */
export class MissingObjectError extends ConnectorError {
  constructor(message: string) {
    super('system', message);
    this.name = 'MissingObjectError';
  }
}

export type StripeFailure =
  | {
      retryable: true;
      reason: 'rate_limit' | 'server' | 'network' | 'timeout';
      retryAfterMs?: number;
    }
  | { retryable: false };

/** Decides whether a failed call may be retried, honouring Stripe's own hints. */
export function classifyFailure(error: unknown): StripeFailure {
  if (!(error instanceof Stripe.errors.StripeError)) return { retryable: false };
  const headers = error.headers ?? {};
  const shouldRetry = headers['stripe-should-retry'];
  if (shouldRetry === 'false') return { retryable: false };
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  if (error instanceof Stripe.errors.StripeRateLimitError || error.statusCode === 429) {
    return { retryable: true, reason: 'rate_limit', retryAfterMs };
  }
  if (error instanceof Stripe.errors.StripeConnectionError) {
    const timedOut = /timed? ?out|ETIMEDOUT/i.test(error.message + String(error.detail ?? ''));
    return { retryable: true, reason: timedOut ? 'timeout' : 'network' };
  }
  if (shouldRetry === 'true' || (error.statusCode ?? 0) >= 500 || error.statusCode === 409) {
    return { retryable: true, reason: 'server', retryAfterMs };
  }
  if (error.statusCode === undefined && error.type === 'StripeAPIError') {
    // A body that is not JSON (truncated, HTML from a proxy) surfaces without a status.
    return { retryable: true, reason: 'server' };
  }
  return { retryable: false };
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, 60_000) : undefined;
}

/**
 * What Stripe answered, as its body names it: the HTTP status and the error `type` of the body
 * ("HTTP 403, invalid_request_error"). Stripe's v1 bodies use `invalid_request_error` for a
 * rejected key (401) and a missing permission (403) alike; the SDK's class names
 * (StripeAuthenticationError, StripePermissionError) are its own, not Stripe's, so they are not
 * quoted. Without a status (a network failure) there is nothing to quote.
 */
function stripeAnswer(error: unknown): string {
  const status = (error as { statusCode?: unknown }).statusCode;
  const rawType = (error as { rawType?: unknown }).rawType;
  const code = (error as { code?: unknown }).code;
  const parts = [typeof status === 'number' ? `HTTP ${status}` : 'no HTTP status'];
  if (typeof rawType === 'string' && rawType !== '') parts.push(rawType);
  if (typeof code === 'string' && code !== '') parts.push(code);
  return parts.join(', ');
}

/** What Stripe (or the network) answered, for errors built from an SDK failure. */
function fromStripe(error: unknown): { cause: unknown; origin: 'stripe'; httpStatus?: number } {
  const status = (error as { statusCode?: unknown }).statusCode;
  return {
    cause: error,
    origin: 'stripe',
    ...(typeof status === 'number' ? { httpStatus: status } : {}),
  };
}

/**
 * Turns what the SDK threw into an engine error whose message tells the user what to do.
 * `resource` says what we were reading, so permission errors can name the permission to enable.
 */
export function toConnectorError(
  error: unknown,
  resource: 'customers' | 'events',
  secrets: ReadonlyArray<string>,
): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const stripeMessage = redactSecrets(errorMessage(error), secrets);
  const details = fromStripe(error);
  if (error instanceof Stripe.errors.StripeAuthenticationError) {
    return new ConfigError(
      words`Stripe rejected the API key (${stripeAnswer(error)}): ${stripeMessage} Check ${field(['api_key'])}: use a secret key (sk_live_/sk_test_) or a restricted key (rk_live_/rk_test_) from Dashboard > Developers > API keys, and make sure it has not been rolled or deleted.`,
      details,
    );
  }
  // Stripe answers 403 `account_invalid` for a Stripe-Account the key may not act on: that is
  // `account_id`'s problem, not a missing permission.
  const code = (error as { code?: unknown }).code;
  if (code === 'account_invalid') {
    const account = field(['account_id']);
    return new ConfigError(
      words`Stripe refused the connected account (${stripeAnswer(error)}): ${stripeMessage} Check ${account} (acct_...): it must be an account connected to the platform that owns the key, and the key must be the platform's (leave ${account} empty to read the key's own account).`,
      details,
    );
  }
  if (error instanceof Stripe.errors.StripePermissionError) {
    const hint = PERMISSION_HINTS[resource];
    return new MissingPermissionError(
      resource,
      `The API key may not read ${resource} (${stripeAnswer(error)}): ${stripeMessage} ` +
        `If it is a restricted key, enable the "${hint}" permission for it in ` +
        'Dashboard > Developers > API keys > (your restricted key) > Edit, or use a secret key.',
      details,
    );
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    if (error.param === 'starting_after') return new StaleCursorError(stripeMessage);
    if (error.code === 'resource_missing' && error.param === 'id') {
      return new MissingObjectError(stripeMessage);
    }
    const param = error.param ? ` (parameter \`${error.param}\`)` : '';
    if (/account/i.test(error.param ?? '')) {
      return new ConfigError(
        words`Stripe refused the connected account${param}: ${stripeMessage} Check ${field(['account_id'])} (acct_...): it must be an account connected to the platform that owns the key.`,
        details,
      );
    }
    return new ConnectorError(
      'system',
      `Stripe rejected a request${param}: ${stripeMessage}`,
      details,
    );
  }
  if (error instanceof Stripe.errors.StripeConnectionError) {
    return new TransientError(
      words`Could not reach the Stripe API: ${stripeMessage} Check network access to the API (and ${field(['api_base_url'])} if set); the read can be retried.`,
      details,
    );
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    return new TransientError(
      words`Stripe kept answering 429 (rate limit) after all retries: ${stripeMessage} Lower ${field(['max_share_of_rate_limits'])} or ${field(['requests_per_second'])}, or run when other integrations on this account are quieter.`,
      details,
    );
  }
  if (error instanceof Stripe.errors.StripeError) {
    return new TransientError(`Stripe failed (${stripeAnswer(error)}): ${stripeMessage}`, details);
  }
  return new ConnectorError('system', stripeMessage, { cause: error });
}
