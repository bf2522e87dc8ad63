/**
 * Per-record cost of each transformation type: filter → transform → model conversion →
 * bookkeeping → JSON serialisation, on real emulator customers, in records per CPU-second
 * (user + system time of the whole process, sandbox threads included).
 */
import Stripe from 'stripe';
import { parseConfig } from '../connector';
import { closePipeline, openPipeline } from '../connector/open-pipeline';
import { shapeCustomers } from '../connector/pipeline/shape';
import type { StripeCustomer } from '../connector/stripe/customer-schema';
import { startEmulator } from '../test/emulator';

const MODEL = [
  { name: 'email', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'plan', type: 'string' },
  { name: 'balance', type: 'integer' },
  { name: 'signed_up', type: 'datetime' },
];

const TRANSFORMATIONS: Array<[string, unknown]> = [
  ['pass-through', undefined],
  [
    'mapping',
    {
      type: 'mapping',
      mappings: [
        { to: 'email', from: 'lower(trim(email))' },
        { to: 'name', from: 'coalesce(name, "unknown")' },
        { to: 'country', from: 'address.country' },
        { to: 'plan', from: 'metadata.plan' },
        { to: 'balance', from: 'balance' },
        { to: 'signed_up', from: 'created' },
      ],
    },
  ],
  [
    'javascript',
    {
      type: 'javascript',
      source:
        'function transform(c) { return { email: c.email && c.email.toLowerCase(), name: c.name || "unknown", country: c.address && c.address.country, plan: c.metadata.plan, balance: c.balance, signed_up: c.created }; }',
    },
  ],
  [
    'python',
    {
      type: 'python',
      source:
        'def transform(c):\n    return {"email": (c.get("email") or "").lower() or None, "name": c.get("name") or "unknown", "country": (c.get("address") or {}).get("country"), "plan": c["metadata"].get("plan"), "balance": c["balance"], "signed_up": c["created"]}\n',
    },
  ],
];

export async function benchTransformations(count: number): Promise<Array<[string, number]>> {
  const emulator = await startEmulator({ customers: count, seed: 99 });
  const customers: StripeCustomer[] = [];
  try {
    const stripe = new Stripe('sk_test_emulator', {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      telemetry: false,
    });
    for await (const customer of stripe.customers.list({ limit: 100 }))
      customers.push(customer as unknown as StripeCustomer);
  } finally {
    await emulator.close();
  }
  const results: Array<[string, number]> = [];
  for (const [name, transformation] of TRANSFORMATIONS) {
    const config = parseConfig({
      api_key: 'sk_test_bench',
      ...(transformation ? { customer_model: MODEL } : {}),
      pipelines: [{ name: 'bench', ...(transformation ? { transformation } : {}) }],
    });
    const pipeline = await openPipeline(config, config.pipelines[0]!);
    try {
      await shapeCustomers(pipeline, customers.slice(0, 100), () => 0); // warm-up
      const before = process.cpuUsage();
      let bytes = 0;
      for (let offset = 0; offset < customers.length; offset += 100) {
        const batch = customers
          .slice(offset, offset + 100)
          .filter((c) => pipeline.selector.matches(c));
        const shaped = await shapeCustomers(pipeline, batch, () => 1_700_000_000);
        for (const record of shaped.records) bytes += JSON.stringify(record).length;
      }
      const used = process.cpuUsage(before);
      const cpuSeconds = (used.user + used.system) / 1e6;
      results.push([name, bytes > 0 ? customers.length / cpuSeconds : 0]);
    } finally {
      await closePipeline(pipeline);
    }
  }
  return results;
}
