/**
 * Micro-benchmark of the transformations alone: 100,000 synthetic Stripe customers in batches of
 * 100 through a mapping, a JavaScript and a Python transformation doing the same work, then
 * through the Customer Model conversion. Prints records/second (wall clock; the Python sandbox
 * runs in its own process, so its CPU is not on this process's clock).
 *
 *   npx tsx bench/transform.ts            (BENCH_TRANSFORM_CUSTOMERS=20000 for a quicker run)
 */
import { compileCustomerModel } from '../connector/model';
import { createTransformer, type TransformOutcome } from '../connector/transform';

const COUNT = Number(process.env.BENCH_TRANSFORM_CUSTOMERS ?? 100_000);
const BATCH = 100;

function customer(i: number): Record<string, unknown> {
  return {
    id: `cus_${i.toString(36).padStart(14, '0')}`,
    object: 'customer',
    address: {
      city: i % 2 ? 'Paris' : 'Berlin',
      country: i % 2 ? 'FR' : 'DE',
      line1: `${i} Main Street`,
      line2: null,
      postal_code: String(10000 + (i % 89999)),
      state: null,
    },
    balance: (i % 13) * 100 - 600,
    created: 1_600_000_000 + i * 37,
    currency: 'eur',
    default_source: null,
    delinquent: i % 17 === 0,
    description: null,
    discount: null,
    email: ` User.${i}@Example.com `,
    invoice_prefix: 'ABC123',
    invoice_settings: {
      custom_fields: [{ name: 'VAT', value: `FR${i}` }],
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: {
      plan: i % 3 ? 'free' : 'pro',
      seats: String(i % 50),
      first: 'Jenny',
      last: `Rosen${i}`,
    },
    name: i % 5 ? `Customer ${i}` : null,
    next_invoice_sequence: 1 + (i % 9),
    phone: '+33 1 23 45 67 89',
    preferred_locales: ['fr', 'en'],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

const model = compileCustomerModel([
  { name: 'id', type: 'string', nullable: false },
  { name: 'email', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'plan', type: 'string' },
  { name: 'seats', type: 'integer' },
  { name: 'balance', type: 'decimal', precision: 12, scale: 2 },
  { name: 'created_at', type: 'datetime' },
  { name: 'locales', type: 'array', items: { type: 'string' } },
]);

const MAPPING = {
  type: 'mapping',
  mappings: [
    { to: 'id', from: 'id' },
    { to: 'email', from: 'lower(trim(email))' },
    { to: 'name', from: 'coalesce(name, concat(metadata.first, " ", metadata.last))' },
    { to: 'country', from: '$.address.country' },
    { to: 'plan', from: 'metadata.plan' },
    { to: 'seats', from: 'metadata.seats' },
    { to: 'balance', from: 'balance' },
    { to: 'created_at', from: 'created' },
    { to: 'locales', from: 'map(preferred_locales, upper(item))' },
  ],
};

const JAVASCRIPT = {
  type: 'javascript',
  source: `function transform(c) {
    return {
      id: c.id,
      email: c.email.trim().toLowerCase(),
      name: c.name ?? c.metadata.first + ' ' + c.metadata.last,
      country: c.address && c.address.country,
      plan: c.metadata.plan,
      seats: c.metadata.seats,
      balance: c.balance,
      created_at: c.created,
      locales: c.preferred_locales.map((l) => l.toUpperCase()),
    };
  }`,
};

const PYTHON = {
  type: 'python',
  source: `def transform(c):
    meta = c["metadata"]
    return {
        "id": c["id"],
        "email": c["email"].strip().lower(),
        "name": c["name"] if c["name"] is not None else meta["first"] + " " + meta["last"],
        "country": (c.get("address") or {}).get("country"),
        "plan": meta.get("plan"),
        "seats": meta.get("seats"),
        "balance": c["balance"],
        "created_at": c["created"],
        "locales": [l.upper() for l in c["preferred_locales"]],
    }
`,
};

async function measure(
  name: string,
  spec: unknown,
  batches: Array<Array<Record<string, unknown>>>,
) {
  const loadStart = performance.now();
  const transformer = await createTransformer(spec, model, `bench (${name})`);
  const loadMs = performance.now() - loadStart;
  // Warm-up (JIT and WebAssembly tier-up), not counted.
  for (const batch of batches.slice(0, 20)) await transformer.transformBatch(batch);
  let outcomes: TransformOutcome[] = [];
  let errors = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (const batch of batches) {
    outcomes = await transformer.transformBatch(batch);
    for (const outcome of outcomes) if (outcome.kind !== 'record') errors++;
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await transformer.close();
  const last = outcomes[outcomes.length - 1];
  if (errors > 0 || last?.kind !== 'record') {
    throw new Error(`${name}: ${errors} customers failed, e.g. ${JSON.stringify(last)}`);
  }
  return { name, loadMs, rate: COUNT / seconds, cpuRate: COUNT / cpuSeconds, sample: last.record };
}

async function main(): Promise<void> {
  const customers = Array.from({ length: COUNT }, (_, i) => customer(i));
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < customers.length; i += BATCH) batches.push(customers.slice(i, i + BATCH));

  console.log(
    `${COUNT.toLocaleString('en')} customers, batches of ${BATCH}, Node ${process.version}`,
  );
  const results = [];
  for (const [name, spec] of [
    ['mapping', MAPPING],
    ['javascript', JAVASCRIPT],
    ['python', PYTHON],
  ] as const) {
    const result = await measure(name, spec, batches);
    results.push(result);
    const cpu =
      name === 'python'
        ? 'Python runs in its own process'
        : `${Math.round(result.cpuRate).toLocaleString('en')} records per CPU-second of this process`;
    console.log(
      `${name.padEnd(13)} ${Math.round(result.rate).toLocaleString('en').padStart(9)} records/s   (${cpu}; sandbox load ${Math.round(result.loadMs)} ms)`,
    );
  }

  // Model conversion of the mapping output, as the pipeline applies it after every transformation.
  const mapping = await createTransformer(MAPPING, model, 'bench');
  const raw = (await mapping.transformBatch(customers)).map((o) =>
    o.kind === 'record' ? o.record : {},
  );
  const start = performance.now();
  let failures = 0;
  for (const record of raw) if (!model.convert(record).ok) failures++;
  const rate = raw.length / ((performance.now() - start) / 1000);
  if (failures) throw new Error(`${failures} conversions failed`);
  console.log(
    `${'model.convert'.padEnd(13)} ${Math.round(rate).toLocaleString('en').padStart(9)} records/s`,
  );

  const outputs = results.map((r) => JSON.stringify(model.convert(r.sample)));
  if (new Set(outputs).size !== 1) {
    console.log('note: the three transformations disagree on the last customer:', outputs);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
