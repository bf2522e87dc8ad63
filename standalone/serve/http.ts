import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the client got wrong: answered with its status and what to change. */
export class ClientError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

const NOTICE_COOKIE = 'stripe_sync_notice';

/** The CSP of every page: nothing from elsewhere, the one same-origin script, inline styles. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw new ClientError(413, `The request body is larger than ${limit} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ClientError(
      400,
      'The pipeline name in the path is not valid percent-encoding (UTF-8, e.g. %C3%A9): encode it with encodeURIComponent.',
    );
  }
}

/**
 * After a form: back to a page, with a line about what happened. The line travels in a cookie
 * read once, not in the URL, so a reload or a bookmark does not show it again.
 */
export function redirect(response: ServerResponse, location: string, notice?: string): void {
  response.writeHead(303, {
    location,
    ...(notice
      ? {
          'set-cookie': `${NOTICE_COOKIE}=${encodeURIComponent(notice)}; Max-Age=60; HttpOnly; SameSite=Strict; Path=/`,
        }
      : {}),
  });
  response.end();
}

/** The notice a redirect left, if any; the answer clears it (see `sendHtml`). */
export function takeNotice(request: IncomingMessage): string | undefined {
  const cookie = (request.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${NOTICE_COOKIE}=`));
  if (!cookie) return undefined;
  try {
    return decodeURIComponent(cookie.slice(NOTICE_COOKIE.length + 1)) || undefined;
  } catch {
    return undefined;
  }
}

export function sendHtml(
  response: ServerResponse,
  status: number,
  html: string,
  clearNotice: boolean,
): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    ...(clearNotice
      ? { 'set-cookie': `${NOTICE_COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/` }
      : {}),
  });
  response.end(html);
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(`${JSON.stringify(body)}\n`);
}

export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  response.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(text);
}
