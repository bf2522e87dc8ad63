/**
 * Stripe's error responses. Shapes follow what api.stripe.com actually returns, which differs
 * from a naive reading of the error types list: invalid keys (401), missing restricted-key
 * permissions (403) and rate limits (429) all come back with `type: "invalid_request_error"`
 * (rate limits with `code: "rate_limit"`). The SDK picks its error class from the HTTP status
 * (401 StripeAuthenticationError, 403 StripePermissionError, 429 StripeRateLimitError), so
 * clients must branch on status / SDK class, never on `error.type`; the emulator keeps the real
 * types so code that relies on the wrong field fails here as it would in production.
 */

export interface ErrorBody {
  type: string;
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
  request_log_url?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

function withCode(code: string): { code: string; doc_url: string } {
  return { code, doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` };
}

export function invalidRequest(message: string, param?: string, code?: string): ApiError {
  return new ApiError(400, {
    type: 'invalid_request_error',
    message,
    ...(code ? withCode(code) : {}),
    ...(param !== undefined ? { param } : {}),
  });
}

export function unknownParameter(name: string): ApiError {
  return invalidRequest(`Received unknown parameter: ${name}`, name, 'parameter_unknown');
}

export function invalidInteger(param: string, value: string): ApiError {
  return invalidRequest(`Invalid integer: ${value}`, param, 'parameter_invalid_integer');
}

export function onlyOneOf(a: string, b: string): ApiError {
  return invalidRequest(`You may only specify one of these parameters: ${a}, ${b}.`);
}

/** `No such customer: 'cus_x'`; 404 for the object in the path, 400 for one named in a parameter. */
export function resourceMissing(kind: string, id: string, param: string, status = 404): ApiError {
  return new ApiError(status, {
    type: 'invalid_request_error',
    message: `No such ${kind}: '${id}'`,
    param,
    ...withCode('resource_missing'),
  });
}

export function unrecognizedUrl(method: string, path: string): ApiError {
  return new ApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}

export function noApiKey(): ApiError {
  return new ApiError(401, {
    type: 'invalid_request_error',
    message:
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
  });
}

export function invalidApiKey(maskedKey: string): ApiError {
  return new ApiError(401, {
    type: 'invalid_request_error',
    message: `Invalid API Key provided: ${maskedKey}`,
  });
}

export function missingPermission(
  maskedKey: string,
  account: string,
  permission: string,
): ApiError {
  return new ApiError(403, {
    type: 'invalid_request_error',
    message: `The provided key '${maskedKey}' does not have the required permissions for this endpoint on account '${account}'. Having the '${permission}' permission would allow this request to continue.`,
  });
}

/** What Stripe answers when `Stripe-Account` names an account the key cannot act for. */
export function accountInvalid(maskedKey: string, account: string): ApiError {
  return new ApiError(403, {
    type: 'invalid_request_error',
    message: `The provided key '${maskedKey}' does not have access to account '${account}' (or that account does not exist). Application access may have been revoked.`,
    ...withCode('account_invalid'),
  });
}

export function rateLimited(): ApiError {
  return new ApiError(429, {
    type: 'invalid_request_error',
    message:
      'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
    ...withCode('rate_limit'),
  });
}

export function apiError(status: number): ApiError {
  return new ApiError(status, {
    type: 'api_error',
    message:
      status === 500
        ? 'An unknown error occurred. Please try again later or contact support.'
        : 'The service is temporarily unavailable. Please try again later.',
  });
}

export function idempotencyMismatch(key: string): ApiError {
  return new ApiError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}
