/**
 * Changes customers in a running emulator through the official SDK, then moves its clock past the
 * connector's settle time: 2 created, 1 updated, 1 deleted.   tsx test/docker/mutate.ts URL
 */
import Stripe from 'stripe';

async function main(): Promise<void> {
  const url = new URL(process.argv[2] as string);
  const stripe = new Stripe('sk_test_emulator', {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    telemetry: false,
  });
  const [first, second] = (await stripe.customers.list({ limit: 2 })).data;
  await stripe.customers.create({ email: 'smoke-1@example.com', metadata: { plan: 'pro' } });
  await stripe.customers.create({ email: 'smoke-2@example.com', metadata: { plan: 'free' } });
  await stripe.customers.update(first!.id, {
    email: 'smoke-updated@example.com',
    metadata: { plan: 'pro' },
  });
  await stripe.customers.del(second!.id);
  await fetch(new URL('/_emulator/clock', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advance_seconds: 60 }),
  });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
