import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlerts } from '../../standalone/alerts-config';
import { Alerter } from '../../standalone/alerts';

interface Receiver {
  url: string;
  bodies: unknown[];
  close(): Promise<void>;
}

/** A local webhook receiver answering each POST with the next status of `statuses` (then 200). */
async function receiver(statuses: number[], delayMs = 0): Promise<Receiver> {
  const bodies: unknown[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      bodies.push(JSON.parse(body));
      setTimeout(() => {
        response.statusCode = statuses.shift() ?? 200;
        response.end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T1/B2/very-secret-token`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('alerts', () => {
  const open: Receiver[] = [];
  afterEach(async () => {
    for (const one of open.splice(0)) await one.close();
  });

  it('POSTs the alert as JSON, tried again with back-off until the receiver takes it, never logging the URL', async () => {
    const hook = await receiver([500, 503]);
    open.push(hook);
    const lines: string[] = [];
    const alerter = new Alerter(parseAlerts({ webhook_url: hook.url }), {
      pageUrl: 'http://127.0.0.1:8080/',
      log: (level, pipeline, message) => lines.push(`${level} ${pipeline}: ${message}`),
      firstDelayMs: 20,
    });
    alerter.notify({ event: 'failure', pipeline: 'pro', error: 'Stripe is down', runId: 'run-1' });
    await alerter.idle();
    expect(hook.bodies).toHaveLength(3);
    expect(hook.bodies[2]).toMatchObject({
      event: 'failure',
      pipeline: 'pro',
      status: 'failed',
      error: 'Stripe is down',
      run_id: 'run-1',
      page: 'http://127.0.0.1:8080/pipelines/pro',
      text: 'Stripe customers: pipeline pro failed: Stripe is down http://127.0.0.1:8080/pipelines/pro',
    });
    expect(lines).toEqual([`INFO pro: alert "failure" sent to ${new URL(hook.url).origin}/***.`]);
  });

  it('never delays the caller, gives up on a refusal at once, and sends only the kinds asked for', async () => {
    const slow = await receiver([404], 1_500);
    open.push(slow);
    const lines: string[] = [];
    const alerter = new Alerter(parseAlerts({ webhook_url: slow.url, on: ['failure', 'stale'] }), {
      pageUrl: 'https://sync.example',
      log: (_level, _pipeline, message) => lines.push(message),
      firstDelayMs: 20,
    });
    const started = Date.now();
    alerter.notify({ event: 'recovery', pipeline: 'pro' });
    alerter.notify({ event: 'stale', pipeline: 'pro', lastSuccess: Date.UTC(2026, 0, 1) });
    // The receiver takes 1.5 s to answer; notify only queues.
    expect(Date.now() - started).toBeLessThan(750);
    await alerter.idle();
    // The recovery was not asked for; the stale alert was refused (404): no retry.
    expect(slow.bodies).toEqual([
      expect.objectContaining({
        event: 'stale',
        text: 'Stripe customers: pipeline pro is stale: its last successful run was at 2026-01-01T00:00:00.000Z, more than twice its schedule ago. https://sync.example/pipelines/pro',
      }),
    ]);
    expect(lines).toEqual([
      expect.stringMatching(
        /^alert "stale" could not be sent to http:\/\/127\.0\.0\.1:\d+\/\*\*\* \(the receiver answered HTTP 404\); check alerts\.webhook_url\.$/,
      ),
    ]);
    expect(lines.join('\n')).not.toContain('very-secret-token');
  });
});
