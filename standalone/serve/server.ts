import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, errorMessage } from '../../connector';
import { isTransient } from '../warehouse/retry';
import { renderPage } from './page';
import type { RunNowOutcome, Scheduler } from './scheduler';

export interface ServerOptions {
  host: string;
  port: number;
  /** Required for any address but the loopback one: the page and the API control the syncs. */
  token?: string;
  destination: string;
  /** Scrubs secrets (the API key, the destination's password) from error messages it answers. */
  redact: (text: string) => string;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;
const TOKEN_COOKIE = 'stripe_sync_token';
const MAX_BODY = 16 * 1024;

/** Whether an address only this machine can reach: the one place the page needs no token. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/**
 * The pipelines page and its JSON API:
 *   GET  /                              the page
 *   POST /pipelines/NAME/enable|run     the page's forms (answer with a redirect to /)
 *   GET  /api/pipelines                 every pipeline, as the page shows it
 *   POST /api/pipelines/NAME/enable     {"enabled": true|false}
 *   POST /api/pipelines/NAME/run        starts a run now (202), 409 when running or disabled
 * Bound to 127.0.0.1 by default. Another address needs a token (Authorization: Bearer, or
 * `?token=` once in the browser, which sets a cookie). State-changing requests from another
 * site's page are refused (Origin must be this server), and so are requests naming another host
 * (DNS rebinding).
 */
export async function startServer(
  scheduler: Scheduler,
  options: ServerOptions,
): Promise<RunningServer> {
  if (!isLoopback(options.host) && !options.token) {
    throw new ConfigError(
      `serve --host ${options.host} would let anyone who reaches this address control the syncs: set a token with --token or SERVE_TOKEN (requests then need "Authorization: Bearer TOKEN"), or keep the default --host 127.0.0.1.`,
    );
  }
  const server = createServer((request, response) => {
    handle(scheduler, options, request, response).catch((error: unknown) => {
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
  scheduler: Scheduler,
  options: ServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = parseUrl(request.url);
  const method = request.method ?? 'GET';
  if (url.pathname === '/healthz') return sendText(response, 200, 'ok\n');
  if (isLoopback(options.host) && !isLoopback(hostName(request.headers.host))) {
    return sendText(response, 421, 'This server answers only for 127.0.0.1 and localhost.\n');
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

  if (method === 'GET' && url.pathname === '/') {
    const html = renderPage({
      pipelines: await scheduler.views(),
      destination: options.destination,
      timeZone: scheduler.timeZone,
      now: Date.now(),
      ...(url.searchParams.get('notice')
        ? { notice: url.searchParams.get('notice') as string }
        : {}),
    });
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    });
    response.end(html);
    return;
  }
  if (method === 'GET' && url.pathname === '/api/pipelines') {
    return sendJson(response, 200, { pipelines: await scheduler.views() });
  }
  const action = /^\/(api\/)?pipelines\/([^/]+)\/(enable|run)$/.exec(url.pathname);
  if (method === 'POST' && action) {
    const api = action[1] !== undefined;
    const name = decodePathPart(action[2] as string);
    const verb = action[3] as 'enable' | 'run';
    if (
      api &&
      !/^application\/json\b/i.test(request.headers['content-type'] ?? '') &&
      verb === 'enable'
    ) {
      return sendJson(response, 415, { error: 'Send the body as JSON: {"enabled": true}.' });
    }
    const body = await readBody(request);
    if (verb === 'enable') {
      const enabled = api ? jsonEnabled(body) : new URLSearchParams(body).get('enabled');
      const value =
        enabled === true || enabled === 'true'
          ? true
          : enabled === false || enabled === 'false'
            ? false
            : undefined;
      if (value === undefined) {
        return api
          ? sendJson(response, 400, {
              error: 'The body must be {"enabled": true} or {"enabled": false}.',
            })
          : sendText(response, 400, 'enabled must be true or false.\n');
      }
      if (!(await scheduler.setEnabled(name, value))) return notFound(response, api, name);
      if (api) {
        const view = (await scheduler.views()).find((pipeline) => pipeline.name === name);
        return sendJson(response, 200, { pipeline: view });
      }
      return redirect(response, `${name} ${value ? 'enabled' : 'disabled'}.`);
    }
    const outcome = scheduler.runNow(name);
    if (outcome === 'unknown') return notFound(response, api, name);
    if (api) {
      return sendJson(response, outcome === 'started' ? 202 : 409, {
        outcome,
        ...(outcome === 'started' ? {} : { error: RUN_REFUSALS[outcome] }),
      });
    }
    return redirect(
      response,
      outcome === 'started' ? `${name}: run started.` : `${name}: ${RUN_REFUSALS[outcome]}`,
    );
  }
  return sendText(response, 404, 'Not found.\n');
}

const RUN_REFUSALS: Record<Exclude<RunNowOutcome, 'started' | 'unknown'>, string> = {
  already_running: 'it is already running; wait for that run to end.',
  disabled: 'it is disabled; enable it first.',
  stopping: 'the server is stopping.',
};

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

function jsonEnabled(body: string): unknown {
  try {
    return (JSON.parse(body) as { enabled?: unknown })?.enabled;
  } catch {
    return undefined;
  }
}

/** A request the client got wrong: answered with its status and what to change. */
class ClientError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

function parseUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://server');
  } catch {
    throw new ClientError(400, 'The request path is not a valid URL.');
  }
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ClientError(
      400,
      'The pipeline name in the path is not valid percent-encoding (UTF-8, e.g. %C3%A9): encode it with encodeURIComponent.',
    );
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      throw new ClientError(413, `The request body is larger than ${MAX_BODY} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function redirect(response: ServerResponse, notice: string): void {
  response.writeHead(303, { location: `/?notice=${encodeURIComponent(notice)}` });
  response.end();
}

function notFound(response: ServerResponse, api: boolean, name: string): void {
  const message = `No pipeline "${name}" in the config.`;
  if (api) sendJson(response, 404, { error: message });
  else sendText(response, 404, `${message}\n`);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(`${JSON.stringify(body)}\n`);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
