/**
 * CLI: `npm run emulator -- --port 12111 --customers 1000 --seed 7`. Prints exactly one line,
 * `listening on http://HOST:PORT`, once ready (with `--port 0`, the port picked), so a parent
 * process can wait for it. Use `npm run -s emulator` to keep npm's own banner off stdout.
 */
import { parseArgs } from 'node:util';
import { type EmulatorOptions, startEmulator } from './index.js';

function parseOptions(argv: string[]): EmulatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      customers: { type: 'string' },
      seed: { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      'restricted-key': { type: 'string', multiple: true },
      'latency-ms': { type: 'string' },
      'rate-limit': { type: 'string' },
      'fail-rate': { type: 'string' },
      now: { type: 'string' },
      account: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const num = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${value}'`);
    return n;
  };
  const pairs = (name: string, items: string[] | undefined): Array<[string, string]> =>
    (items ?? []).map((item) => {
      const at = item.indexOf('=');
      if (at <= 0) throw new Error(`--${name} expects NAME=VALUE, got '${item}'`);
      return [item.slice(0, at), item.slice(at + 1)];
    });
  return {
    host: values.host,
    port: num('port', values.port),
    customers: num('customers', values.customers),
    seed: num('seed', values.seed),
    apiKeys: values['api-key'],
    restrictedKeys: Object.fromEntries(
      pairs('restricted-key', values['restricted-key']).map(([key, perms]) => [
        key,
        perms.split(',').filter(Boolean),
      ]),
    ),
    latencyMs: num('latency-ms', values['latency-ms']),
    rateLimit: num('rate-limit', values['rate-limit']),
    failRate: num('fail-rate', values['fail-rate']),
    now: num('now', values.now),
    accounts: Object.fromEntries(
      pairs('account', values.account).map(([id, n]) => [
        id,
        { customers: num('account', n) ?? 0 },
      ]),
    ),
  };
}

async function main(): Promise<void> {
  let options: EmulatorOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`stripe emulator: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const emulator = await startEmulator(options);
  process.stdout.write(`listening on ${emulator.url}\n`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
