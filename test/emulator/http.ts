/**
 * Low-level HTTP: reading bodies and writing responses with the headers Stripe sends. `Date` comes
 * from the emulator clock, not the host's, because clients (the connector) read server time from it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1 << 20;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const ID_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `req_` + 14 alphanumerics. Not seeded: request ids are per run, like Stripe's. */
export function newRequestId(): string {
  const bytes = randomBytes(14);
  let id = 'req_';
  for (const b of bytes) id += ID_CHARS[b % ID_CHARS.length];
  return id;
}

export interface ResponseMeta {
  requestId: string;
  stripeVersion: string;
  dateMs: number;
  extraHeaders?: Record<string, string>;
}

export function jsonHeaders(body: Buffer, meta: ResponseMeta): Record<string, string | number> {
  return {
    'Content-Type': 'application/json',
    'Content-Length': body.length,
    Date: new Date(meta.dateMs).toUTCString(),
    'Request-Id': meta.requestId,
    'Stripe-Version': meta.stripeVersion,
    'Cache-Control': 'no-cache, no-store',
    'Access-Control-Allow-Origin': '*',
    Server: 'nginx',
    ...meta.extraHeaders,
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  meta: ResponseMeta,
): void {
  if (res.destroyed || res.headersSent) return;
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, jsonHeaders(buf, meta));
  res.end(buf);
}

/** Headers for the whole body, then half of it, then the connection drops. */
export function sendTruncated(
  res: ServerResponse,
  status: number,
  body: string,
  meta: ResponseMeta,
): void {
  if (res.destroyed || res.headersSent) return;
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, jsonHeaders(buf, meta));
  res.write(buf.subarray(0, Math.floor(buf.length / 2)), () => res.socket?.destroy());
}
