/**
 * What the engine makes of each failure the SDK throws, in process: whether it is retried (and
 * after how long), and the error the user gets, with every key-shaped string scrubbed.
 */
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConnectorError,
  MissingPermissionError,
  TransientError,
} from '../../connector';
import {
  MissingObjectError,
  StaleCursorError,
  classifyFailure,
  toConnectorError,
} from '../../connector/stripe/errors';
import { redactSecrets } from '../../connector/stripe/redact';

function stripeError(
  raw: Record<string, unknown> & { type: string },
  headers: Record<string, string> = {},
): Stripe.errors.StripeError {
  return Stripe.errors.StripeError.generate({ message: 'failed', headers, ...raw } as never);
}

const connection = (message: string, detail?: unknown) =>
  new Stripe.errors.StripeConnectionError({ message, detail } as never);

describe('classifying failures', () => {
  it('retries 429s, honouring Retry-After up to a minute', () => {
    const limited = (retryAfter?: string) =>
      classifyFailure(
        stripeError(
          { type: 'invalid_request_error', statusCode: 429, code: 'rate_limit' },
          retryAfter === undefined ? {} : { 'retry-after': retryAfter },
        ),
      );
    expect(limited()).toEqual({ retryable: true, reason: 'rate_limit', retryAfterMs: undefined });
    expect(limited('2')).toEqual({ retryable: true, reason: 'rate_limit', retryAfterMs: 2_000 });
    expect(limited('0')).toMatchObject({ retryAfterMs: 0 });
    expect(limited('600')).toMatchObject({ retryAfterMs: 60_000 });
    expect(limited('-1')).toMatchObject({ retryAfterMs: undefined });
    expect(limited('soon')).toMatchObject({ retryAfterMs: undefined });
  });

  it('retries server errors and conflicts, and network failures, telling timeouts apart', () => {
    for (const statusCode of [500, 502, 503, 409]) {
      expect(classifyFailure(stripeError({ type: 'api_error', statusCode }))).toMatchObject({
        retryable: true,
        reason: 'server',
      });
    }
    expect(classifyFailure(connection('socket hang up'))).toEqual({
      retryable: true,
      reason: 'network',
    });
    expect(classifyFailure(connection('Request timed out'))).toEqual({
      retryable: true,
      reason: 'timeout',
    });
    expect(classifyFailure(connection('failed', 'ETIMEDOUT'))).toEqual({
      retryable: true,
      reason: 'timeout',
    });
    // A body that was not JSON comes without a status.
    expect(classifyFailure(stripeError({ type: 'api_error' }))).toEqual({
      retryable: true,
      reason: 'server',
    });
  });

  it('does not retry client errors, anything not from Stripe, or what Stripe says not to', () => {
    expect(
      classifyFailure(stripeError({ type: 'invalid_request_error', statusCode: 400 })),
    ).toEqual({
      retryable: false,
    });
    expect(classifyFailure(new Error('boom'))).toEqual({ retryable: false });
    expect(
      classifyFailure(
        stripeError({ type: 'api_error', statusCode: 503 }, { 'stripe-should-retry': 'false' }),
      ),
    ).toEqual({ retryable: false });
    expect(
      classifyFailure(
        stripeError(
          { type: 'invalid_request_error', statusCode: 400 },
          { 'stripe-should-retry': 'true' },
        ),
      ),
    ).toMatchObject({ retryable: true, reason: 'server' });
  });
});

describe('errors for the user', () => {
  const secrets = ['sk_test_Secret1234'];

  it('name the field to fix for a rejected key or connected account, without the key', () => {
    const auth = toConnectorError(
      stripeError({
        type: 'authentication_error',
        statusCode: 401,
        message: 'Invalid API Key provided: sk_test_Secret1234',
      }),
      'customers',
      secrets,
    );
    expect(auth).toBeInstanceOf(ConfigError);
    expect(auth.message).toMatch(
      /^Stripe rejected the API key \(HTTP 401, authentication_error\): /,
    );
    expect(auth.message).toMatch(/Check `api_key`/);
    expect(auth.message).not.toContain('Secret1234');
    expect(auth.httpStatus).toBe(401);
    expect(auth.origin).toBe('stripe');
    const account = toConnectorError(
      stripeError({ type: 'invalid_request_error', statusCode: 403, code: 'account_invalid' }),
      'customers',
      secrets,
    );
    expect(account).toBeInstanceOf(ConfigError);
    expect(account.message).toMatch(
      /Stripe refused the connected account \(HTTP 403, invalid_request_error, account_invalid\)/,
    );
    const param = toConnectorError(
      stripeError({ type: 'invalid_request_error', statusCode: 400, param: 'stripe_account' }),
      'customers',
      secrets,
    );
    expect(param).toBeInstanceOf(ConfigError);
    expect(param.message).toMatch(/\(parameter `stripe_account`\).*Check `account_id`/);
  });

  it('name the permission a restricted key lacks, per resource', () => {
    for (const [resource, permission] of [
      ['customers', 'Customers: Read'],
      ['events', 'Events: Read (under "All core resources")'],
    ] as const) {
      const error = toConnectorError(
        stripeError({ type: 'invalid_request_error', statusCode: 403, message: 'no' }),
        resource,
        secrets,
      );
      expect(error).toBeInstanceOf(MissingPermissionError);
      expect((error as MissingPermissionError).resource).toBe(resource);
      expect(error.message).toContain(
        `The API key may not read ${resource} (HTTP 403, invalid_request_error): no `,
      );
      expect(error.message).toContain(`enable the "${permission}" permission`);
    }
  });

  it('tell stale cursors and missing objects apart from other rejected requests', () => {
    const invalid = (extra: Record<string, unknown>) =>
      toConnectorError(
        stripeError({ type: 'invalid_request_error', statusCode: 400, ...extra }),
        'customers',
        secrets,
      );
    expect(invalid({ param: 'starting_after' })).toBeInstanceOf(StaleCursorError);
    expect(invalid({ code: 'resource_missing', param: 'id' })).toBeInstanceOf(MissingObjectError);
    expect(invalid({ code: 'resource_missing', param: 'customer' })).not.toBeInstanceOf(
      MissingObjectError,
    );
    const other = invalid({ param: 'limit', message: 'bad limit' });
    expect(other.kind).toBe('system');
    expect(other.message).toBe('Stripe rejected a request (parameter `limit`): bad limit');
    expect(invalid({ message: 'bad' }).message).toBe('Stripe rejected a request: bad');
  });

  it('call network failures, exhausted 429s and other Stripe failures transient', () => {
    const network = toConnectorError(connection('ECONNREFUSED'), 'events', secrets);
    expect(network).toBeInstanceOf(TransientError);
    expect(network.message).toMatch(/^Could not reach the Stripe API: ECONNREFUSED/);
    const limited = toConnectorError(
      stripeError({ type: 'invalid_request_error', statusCode: 429, code: 'rate_limit' }),
      'customers',
      secrets,
    );
    expect(limited).toBeInstanceOf(TransientError);
    expect(limited.message).toMatch(/Stripe kept answering 429 \(rate limit\) after all retries/);
    const server = toConnectorError(
      stripeError({ type: 'api_error', statusCode: 502 }),
      'customers',
      secrets,
    );
    expect(server).toBeInstanceOf(TransientError);
    expect(server.message).toBe('Stripe failed (HTTP 502, api_error): failed');
    const statusless = toConnectorError(stripeError({ type: 'api_error' }), 'customers', secrets);
    expect(statusless.message).toMatch(/^Stripe failed \(no HTTP status, api_error\)/);
  });

  it('keep engine errors as they are, and make anything else a system error', () => {
    const config = new ConfigError('already actionable');
    expect(toConnectorError(config, 'customers', secrets)).toBe(config);
    const other = toConnectorError(new Error('sk_test_Secret1234 leaked'), 'customers', secrets);
    expect(other).toBeInstanceOf(ConnectorError);
    expect(other.kind).toBe('system');
    expect(other.message).toBe('[redacted] leaked');
  });
});

describe('redacting secrets', () => {
  it('replaces the given secrets and anything shaped like a Stripe key', () => {
    expect(redactSecrets('key sk_test_abc123 and rk_live_Zz9 and pk_test_**** end')).toBe(
      'key sk_test_[redacted] and rk_live_[redacted] and pk_test_[redacted] end',
    );
    expect(redactSecrets('token hunter2 here', ['hunter2'])).toBe('token [redacted] here');
    // Secrets too short to be one are left alone (they would blank out ordinary words).
    expect(redactSecrets('a b c', ['b'])).toBe('a b c');
    expect(redactSecrets('xsk_test_abc')).toBe('xsk_test_abc');
    expect(redactSecrets('sk_prod_abc')).toBe('sk_prod_abc');
  });
});
