import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, errorMessage } from '../../connector';
import { isTransient } from '../warehouse/retry';
import { ClientError, sendJson, sendText } from './http';
import { route, type ServeApp } from './routes';

export interface ServerOptions {
  host: string;
  port: number;
  /** Required for any address but the loopback one: the page and the API control the syncs. */
  token?: string;
  destination: string;
  /** Scrubs secrets (the API key, the destination's password) from error messages it answers. */
  redact: (text: string) => string;
  /**
   * Stripe's webhook deliveries (`POST /stripe/webhooks`): their signature authenticates them,
   * so the token and the host name check (which Stripe cannot pass) do not apply to them.
   */
  webhooks?: {
    path: string;
    receive(request: IncomingMessage, response: ServerResponse): Promise<void>;
  };
  /**
   * The host name of `--public-url`: behind a reverse proxy, the page answers for it too (with a
   * token only: the proxy makes the page reachable from elsewhere).
   */
  publicHost?: string;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;
const TOKEN_COOKIE = 'stripe_sync_token';

/** Whether an address only this machine can reach: the one place the page needs no token. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/**
 * The pipelines page, its JSON API and its metrics (see routes.ts for the routes). Bound to
 * 127.0.0.1 by default. Another address needs a token (Authorization: Bearer, or `?token=` once
 * in the browser, which sets a cookie). State-changing requests from another site's page are
 * refused (Origin must be this server), and so are requests naming another host (DNS
 * rebinding). Every route, /metrics included, is behind these rules; only /healthz is not.
 */
export async function startServer(app: ServeApp, options: ServerOptions): Promise<RunningServer> {
  if (!isLoopback(options.host) && !options.token) {
    throw new ConfigError(
      `serve --host ${options.host} would let anyone who reaches this address control the syncs: set a token with --token or SERVE_TOKEN (requests then need "Authorization: Bearer TOKEN"), or keep the default --host 127.0.0.1.`,
    );
  }
  const server = createServer((request, response) => {
    handle(app, options, request, response).catch((error: unknown) => {
      if (response.headersSent) return response.destroy();
      // The client's mistake (4xx), the warehouse away for now (503), or a bug of ours (500).
      const status = error instanceof ClientError ? error.status : isTransient(error) ? 503 : 500;
      const message =
        status === 500 ? `Unexpected error: ${errorMessage(error)}` : errorMessage(error);
      const text = options.redact(message);
      if (request.url?.startsWith('/api/')) sendJson(response, status, { error: text });
      else sendText(response, status, `${text}\n`);
      // What is left of an oversized body is not read.
      if (error instanceof ClientError && error.status === 413) request.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          `Cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}): ${error.code === 'EADDRINUSE' ? 'another program uses that port; pick another with --port' : 'check --host and --port'}.`,
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${shownHost}:${port}`, close: () => closeServer(server) };
}

async function handle(
  app: ServeApp,
  options: ServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = parseUrl(request.url);
  const method = request.method ?? 'GET';
  if (url.pathname === '/healthz') return sendText(response, 200, 'ok\n');
  if (options.webhooks && url.pathname === options.webhooks.path) {
    return options.webhooks.receive(request, response);
  }
  const host = hostName(request.headers.host);
  if (isLoopback(options.host) && !isLoopback(host)) {
    const publicHost = options.publicHost?.toLowerCase();
    if (publicHost === undefined || host.toLowerCase() !== publicHost) {
      return sendText(response, 421, 'This server answers only for 127.0.0.1 and localhost.\n');
    }
    if (!options.token) {
      return sendText(
        response,
        421,
        `The page answers for ${publicHost} (--public-url) only with a token: start serve with --token or SERVE_TOKEN, since the proxy lets others reach it.\n`,
      );
    }
  }
  if (options.token) {
    const offered = url.searchParams.get('token');
    if (method === 'GET' && url.pathname === '/' && offered !== null) {
      if (!sameSecret(offered, options.token)) return sendText(response, 401, 'Wrong token.\n');
      response.writeHead(303, {
        location: '/',
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`,
      });
      response.end();
      return;
    }
    if (!authorized(request, options.token)) {
      return sendText(
        response,
        401,
        'A token is required: send "Authorization: Bearer TOKEN", or open /?token=TOKEN once in the browser.\n',
      );
    }
  }
  if (method === 'POST' && !sameOrigin(request)) {
    return sendText(response, 403, 'Cross-site requests are refused.\n');
  }
  // A config file changed on disk is picked up before anything is shown or done.
  await app.refreshConfig();
  const handled = await route(app, { method, url, request, response });
  if (!handled) sendText(response, 404, 'Not found.\n');
}

function hostName(header: string | undefined): string {
  if (!header) return '';
  const bracketed = /^\[([^\]]+)\]/.exec(header);
  return bracketed ? (bracketed[1] as string) : header.replace(/:\d+$/, '');
}

/** Browsers send Origin with every POST; a page of another site must not drive the syncs. */
function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (!origin) return request.headers['sec-fetch-site'] !== 'cross-site';
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function authorized(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return sameSecret(header.slice('Bearer '.length), token);
  const cookie = (request.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${TOKEN_COOKIE}=`));
  return (
    cookie !== undefined &&
    sameSecret(decodeURIComponent(cookie.slice(TOKEN_COOKIE.length + 1)), token)
  );
}

function sameSecret(offered: string, expected: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function parseUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://server');
  } catch {
    throw new ClientError(400, 'The request path is not a valid URL.');
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
