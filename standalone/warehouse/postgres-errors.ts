import { ConfigError, ConnectorError, TransientError, errorMessage } from '../../connector';

/**
 * SQLSTATEs and socket errors that mean the connection is gone or cannot be made right now
 * (a restart, a failover, `pg_terminate_backend`, `idle_session_timeout`, the server full or
 * starting up): nothing about the request was wrong, and a new connection later may succeed.
 */
const CONNECTION_CODES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a fast or smart shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '57P05', // idle_session_timeout
  '25P03', // idle_in_transaction_session_timeout
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
]);

/** pg's own words for a socket that closed under it. */
const CONNECTION_MESSAGES =
  /Connection terminated|not queryable|connection error|server closed the connection|timeout expired/i;

/** SQLSTATEs that mean the URL (user, password, database) is wrong: retrying will not help. */
const CREDENTIAL_CODES: Record<string, string> = {
  '28P01': 'the password was refused',
  '28000': 'the user may not connect',
  '3D000': 'the database does not exist',
  ENOTFOUND: 'the host name is not known',
};

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isConnectionLoss(error: unknown): boolean {
  if (error instanceof ConnectorError) return false;
  const code = codeOf(error);
  return (
    (code !== undefined && CONNECTION_CODES.has(code)) ||
    CONNECTION_MESSAGES.test(errorMessage(error))
  );
}

/** A session's statement failed: a lost connection becomes one clear, transient line. */
export function lostConnection(error: unknown, display: string): unknown {
  if (!isConnectionLoss(error)) return error;
  return new TransientError(
    `lost the connection to PostgreSQL at ${display} (${errorMessage(error)}); nothing was lost; the next run resumes from its last checkpoint.`,
    { cause: error },
  );
}

/** A new connection could not be made: the URL is wrong (config), or the server is away (transient). */
export function cannotConnect(error: unknown, display: string): ConnectorError {
  const code = codeOf(error);
  const reason = errorMessage(error);
  const credential = code === undefined ? undefined : CREDENTIAL_CODES[code];
  if (credential) {
    return new ConfigError(
      `Cannot connect to PostgreSQL at ${display}: ${credential} (${reason}). Check the host, database, user and password (PGPASSWORD) in --destination.`,
      { cause: error },
    );
  }
  if (isConnectionLoss(error)) {
    return new TransientError(
      `PostgreSQL at ${display} cannot be reached (${reason}): is the server running and accepting connections? Nothing was written; run again once it is back.`,
      { cause: error },
    );
  }
  return new ConfigError(
    `Cannot connect to PostgreSQL at ${display}: ${reason}. Check the host, port, database, user and password (PGPASSWORD), and that the server accepts connections.`,
    { cause: error },
  );
}
