/**
 * `npm start`: the connector's main job on an embedded default. Starts the Stripe API emulator
 * with sample customers, then runs spec, check, discover, a first (full) read and, after a few
 * changes made through the official SDK, an incremental read, and prints what happened.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { startEmulator } from '../test/emulator';

type Message = { type: string; [key: string]: any };

const ROOT = join(__dirname, '..');
const CUSTOMERS = Number(process.env.DEMO_CUSTOMERS ?? 2_500);

async function main(): Promise<void> {
  const emulator = await startEmulator({ customers: CUSTOMERS, seed: 42 });
  emulator.advanceClock(3_600);
  const dir = mkdtempSync(join(tmpdir(), 'stripe-customers-demo-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(content, null, 2));
    return path;
  };
  const config = file('config', {
    api_key: 'sk_test_emulator',
    api_base_url: emulator.url,
    requests_per_second: 100,
    pipelines: [
      { name: 'customers', description: 'Every customer, as Stripe returns it' },
      {
        name: 'pro_customers',
        description: 'Customers on the pro plan',
        filter: {
          logical: 'all',
          conditions: [{ property: 'metadata.plan', operator: 'is', values: ['pro'] }],
        },
      },
    ],
  });
  try {
    console.log(`Stripe API emulator on ${emulator.url} with ${CUSTOMERS} sample customers\n`);

    const spec = await connector(['spec']);
    const properties = Object.keys(spec[0]?.spec.connectionSpecification.properties ?? {});
    console.log(`spec      ${properties.length} config fields: ${properties.join(', ')}`);

    const check = (await connector(['check', '--config', config]))[0]?.connectionStatus;
    console.log(`check     ${check?.status}: ${check?.message}`);

    const catalog = (await connector(['discover', '--config', config]))[0]?.catalog;
    const streams: Array<{ name: string }> = catalog?.streams ?? [];
    console.log(`discover  ${streams.map((s) => s.name).join(', ')}`);

    const configured = file('catalog', {
      streams: streams.map((stream) => ({
        stream,
        sync_mode: 'incremental',
        destination_sync_mode: 'append_dedup',
      })),
    });
    let started = Date.now();
    const first = await connector(['read', '--config', config, '--catalog', configured]);
    summarizeRead('read #1  ', first, Date.now() - started);

    const stripe = new Stripe('sk_test_emulator', {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      telemetry: false,
    });
    const newest = (await stripe.customers.list({ limit: 20 })).data;
    const [a, c] = newest;
    // A customer not on the pro plan yet, so moving it there is a change (and enters pro_customers).
    const b = newest.slice(2).find((customer) => customer.metadata.plan !== 'pro');
    await stripe.customers.create({
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      metadata: { plan: 'pro' },
    });
    await stripe.customers.update(a!.id, { email: 'renamed@example.com' });
    await stripe.customers.update(b!.id, { metadata: { plan: 'pro' } });
    await stripe.customers.del(c!.id);
    emulator.advanceClock(60);
    console.log('\nchanges   1 customer created, 2 updated, 1 deleted through the Stripe SDK\n');

    const state = file('state', lastStates(first));
    started = Date.now();
    const second = await connector([
      'read',
      '--config',
      config,
      '--catalog',
      configured,
      '--state',
      state,
    ]);
    summarizeRead('read #2  ', second, Date.now() - started);
    for (const message of second.filter((m) => m.type === 'RECORD').slice(0, 8)) {
      const data = message.record.data;
      console.log(
        `          ${message.record.stream.padEnd(14)} ${data.id}  ${data.is_deleted ? 'deleted' : (data.email ?? '(no email)')}`,
      );
    }
    console.log(`\nFiles used: ${dir}`);
  } finally {
    await emulator.close();
  }
}

function summarizeRead(label: string, messages: Message[], millis: number): void {
  const perStream = new Map<string, number>();
  for (const m of messages.filter((m) => m.type === 'RECORD')) {
    perStream.set(m.record.stream, (perStream.get(m.record.stream) ?? 0) + 1);
  }
  const counts = [...perStream].map(([stream, n]) => `${stream}: ${n}`).join(', ') || 'no records';
  const statesCount = messages.filter((m) => m.type === 'STATE').length;
  const errors = messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
  console.log(`${label} ${counts} (${statesCount} checkpoints, ${(millis / 1000).toFixed(1)} s)`);
  for (const m of messages.filter((m) => m.type === 'LOG' && m.log.level !== 'DEBUG')) {
    console.log(`          ${m.log.level} ${m.log.message}`);
  }
  for (const error of errors) console.log(`          ERROR ${error.trace.error.message}`);
}

function lastStates(messages: Message[]): unknown[] {
  const byStream = new Map<string, unknown>();
  for (const m of messages.filter((m) => m.type === 'STATE')) {
    byStream.set(m.state.stream.stream_descriptor.name, { type: 'STREAM', stream: m.state.stream });
  }
  return [...byStream.values()];
}

/** Runs the connector's CLI as the platform would, and collects its messages. */
function connector(args: string[]): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'protocol', 'main.ts'), ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', () =>
      resolve(
        out
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Message),
      ),
    );
  });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
