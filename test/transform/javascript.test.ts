import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../../connector/errors';
import {
  createTransformer,
  type Transformer,
  type TransformOutcome,
} from '../../connector/transform';
import { manyCustomers, stripeCustomer } from './fixtures';

const PLACE = { at: ['pipelines', 0, 'transformation'] };
const open: Transformer[] = [];
afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
});

async function js(source: string, options: Record<string, unknown> = {}): Promise<Transformer> {
  const transformer = await createTransformer(
    { type: 'javascript', source, ...options },
    undefined,
    PLACE,
  );
  open.push(transformer);
  return transformer;
}

async function runOne(
  source: string,
  customer: Record<string, unknown> = stripeCustomer(),
): Promise<TransformOutcome> {
  const [outcome] = await (await js(source)).transformBatch([customer]);
  return outcome as TransformOutcome;
}

async function loadError(source: string, options: Record<string, unknown> = {}): Promise<string> {
  try {
    await js(source, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('JavaScript transformations', () => {
  it('transforms a Stripe customer', async () => {
    const outcome = await runOne(`
      function transform(customer) {
        return {
          id: customer.id,
          email: customer.email.trim().toLowerCase(),
          city: customer.address && customer.address.city,
          plan: customer.metadata.plan,
          locales: customer.preferred_locales.map((l) => l.toUpperCase()),
          created: new Date(customer.created * 1000).toISOString(),
          missing: undefined,
        };
      }`);
    expect(outcome).toEqual({
      kind: 'record',
      record: {
        id: 'cus_QXg1o8vcGmoR32',
        email: 'jenny.rosen@example.com',
        city: 'Paris',
        plan: 'pro',
        locales: ['FR', 'EN'],
        created: '2009-02-13T23:31:30.000Z',
      },
    });
  });

  it('accepts const arrow functions and a bare function expression', async () => {
    expect(await runOne('const transform = (c) => ({ id: c.id });')).toEqual({
      kind: 'record',
      record: { id: 'cus_QXg1o8vcGmoR32' },
    });
    expect(await runOne('(c) => ({ n: c.balance + 1 })')).toEqual({
      kind: 'record',
      record: { n: 1 },
    });
    expect(
      await runOne(
        'let helper = (x) => x * 2;\nfunction transform(c) { return { v: helper(21) }; }',
      ),
    ).toEqual({ kind: 'record', record: { v: 42 } });
  });

  it('skips on null and reports wrong shapes', async () => {
    const t = await js(`
      function transform(c) {
        switch (c.metadata.kind) {
          case 'skip': return null;
          case 'undefined': return undefined;
          case 'array': return [1];
          case 'string': return 'x';
          case 'number': return 3;
          case 'promise': return Promise.resolve({});
          case 'bigint': return { n: 10n };
          case 'cycle': { const o = {}; o.o = o; return o; }
          case 'throw': throw new TypeError('bad customer ' + c.id);
          case 'throw-string': throw 'plain';
          default: return { ok: true };
        }
      }`);
    const kinds = [
      'skip',
      'undefined',
      'array',
      'string',
      'number',
      'promise',
      'bigint',
      'cycle',
      'throw',
      'throw-string',
      'fine',
    ];
    const outcomes = await t.transformBatch(
      kinds.map((kind) => stripeCustomer({ metadata: { kind } })),
    );
    expect(outcomes).toEqual([
      { kind: 'skip' },
      {
        kind: 'error',
        message: 'transform returned undefined: return an object, or null to skip the customer',
      },
      {
        kind: 'error',
        message:
          'transform returned an array: return a plain object (the record), or null to skip the customer',
      },
      {
        kind: 'error',
        message:
          'transform returned a string: return a plain object (the record), or null to skip the customer',
      },
      {
        kind: 'error',
        message:
          'transform returned a number: return a plain object (the record), or null to skip the customer',
      },
      {
        kind: 'error',
        message:
          'transform returned a Promise: transformations must be synchronous (no async/await)',
      },
      {
        kind: 'error',
        message: expect.stringMatching(
          /^the returned object cannot be converted to JSON: TypeError: .*BigInt/i,
        ),
      },
      {
        kind: 'error',
        message: expect.stringMatching(
          /^the returned object cannot be converted to JSON: TypeError: .*circular/i,
        ),
      },
      { kind: 'error', message: 'TypeError: bad customer cus_QXg1o8vcGmoR32 (line 12)' },
      { kind: 'error', message: 'threw plain' },
      { kind: 'record', record: { ok: true } },
    ]);
  });

  it('async functions are refused per customer', async () => {
    expect(await runOne('async function transform(c) { return { id: c.id }; }')).toEqual({
      kind: 'error',
      message: 'transform returned a Promise: transformations must be synchronous (no async/await)',
    });
  });

  it('reports syntax errors with their line when loading', async () => {
    expect(await loadError('function transform(c) {\n  return {\n    id: c.id,,\n  };\n}')).toMatch(
      /^pipelines\[0\]\.transformation\.source: line 3: SyntaxError: /,
    );
    expect(await loadError('function transform(c) {\n  return { id: c.id };\n')).toMatch(
      /^pipelines\[0\]\.transformation\.source: line \d: SyntaxError/,
    );
    expect(
      await loadError('const x = 1;\nundefinedThing();\nfunction transform(c) { return c; }'),
    ).toBe(
      "pipelines[0].transformation.source: line 2: ReferenceError: 'undefinedThing' is not defined.",
    );
    expect(await loadError('function transfrom(c) { return c; }')).toBe(
      'pipelines[0].transformation.source: no function named transform. Define one, e.g. "function transform(customer) { return { email: customer.email }; }".',
    );
    expect(await loadError('while (true) {}', { timeout_ms: 100 })).toBe(
      'pipelines[0].transformation.source: the top-level code did not finish within `timeout_ms` (100 ms). Define transform(customer) and keep work inside it.',
    );
  });

  it('places what is wrong at the field: the source, or the limit', async () => {
    const placed = async (source: string, options: Record<string, unknown> = {}) => {
      try {
        await js(source, options);
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    const slow = await placed('while (true) {}', { timeout_ms: 100 });
    expect(slow.at).toEqual(['pipelines', 0, 'transformation', 'source']);
    // The limit it ran into is a term of the message: each shell names that field its own way.
    expect(slow.problem).toContainEqual({
      kind: 'field',
      at: ['pipelines', 0, 'transformation', 'timeout_ms'],
    });
    expect((await placed('(c) => c', { memory_limit_mb: 4 })).at).toEqual([
      'pipelines',
      0,
      'transformation',
      'memory_limit_mb',
    ]);
  });

  it('validates the options', async () => {
    expect(await loadError('(c) => c', { timeout_ms: 0 })).toContain(
      'pipelines[0].transformation.timeout_ms: must be a whole number of milliseconds from 1 to 60000',
    );
    expect(await loadError('(c) => c', { memory_limit_mb: 4 })).toContain(
      'pipelines[0].transformation.memory_limit_mb: must be a whole number from 16 to 2048',
    );
    expect(await loadError('(c) => c', { timeout: 5 })).toContain(
      'pipelines[0].transformation.timeout: unknown key "timeout" (did you mean "timeout_ms"?)',
    );
    expect(await loadError('   ')).toContain(
      'pipelines[0].transformation.source: no code given. Give the code as text',
    );
  });

  it('isolates errors per customer within a batch of 1,000', async () => {
    const t = await js(`function transform(c) {
      if (c.id.endsWith('7')) throw new Error('no sevens');
      if (c.id.endsWith('3')) return null;
      return { id: c.id, email: c.email.toUpperCase(), seats: Number(c.metadata.seats) };
    }`);
    const customers = manyCustomers(1000);
    const outcomes = await t.transformBatch(customers);
    expect(outcomes).toHaveLength(1000);
    outcomes.forEach((outcome, i) => {
      const id = customers[i]?.id as string;
      if (id.endsWith('7'))
        expect(outcome).toEqual({ kind: 'error', message: 'Error: no sevens (line 2)' });
      else if (id.endsWith('3')) expect(outcome).toEqual({ kind: 'skip' });
      else
        expect(outcome).toEqual({
          kind: 'record',
          record: { id, email: `USER${i}@EXAMPLE.COM`, seats: i % 50 },
        });
    });
  });
});

describe('JavaScript sandbox limits', () => {
  it('stops an infinite loop within the limit; the next customer still transforms', async () => {
    const t = await js(
      `function transform(c) {
        if (c.metadata.loop === 'plain') { while (true) {} }
        if (c.metadata.loop === 'catching') { for (;;) { try { while (true) {} } catch (e) {} } }
        return { id: c.id };
      }`,
      { timeout_ms: 200 },
    );
    const started = performance.now();
    const outcomes = await t.transformBatch([
      stripeCustomer({ id: 'cus_a' }),
      stripeCustomer({ id: 'cus_loop', metadata: { loop: 'plain' } }),
      stripeCustomer({ id: 'cus_b' }),
      stripeCustomer({ id: 'cus_catch', metadata: { loop: 'catching' } }),
      stripeCustomer({ id: 'cus_c' }),
    ]);
    const elapsed = performance.now() - started;
    const timeout = 'timed out: the transform ran longer than timeout_ms (200 ms) and was stopped';
    expect(outcomes).toEqual([
      { kind: 'record', record: { id: 'cus_a' } },
      { kind: 'error', message: timeout, timedOut: true },
      { kind: 'record', record: { id: 'cus_b' } },
      { kind: 'error', message: timeout, timedOut: true },
      { kind: 'record', record: { id: 'cus_c' } },
    ]);
    expect(elapsed).toBeLessThan(2000);
    expect(await t.transformBatch([stripeCustomer({ id: 'cus_d' })])).toEqual([
      { kind: 'record', record: { id: 'cus_d' } },
    ]);
  });

  it('stops the pipeline, whatever `on_error` says, at the third customer in a row that times out', async () => {
    const t = await js(
      `function transform(c) {
        if (c.metadata.loop) { for (;;) {} }
        return { id: c.id };
      }`,
      { timeout_ms: 200 },
    );
    const loop = (id: string) => stripeCustomer({ id, metadata: { loop: 'yes' } });
    const started = performance.now();
    // Two in a row, then a customer that transforms: the row starts again.
    const outcomes = await t.transformBatch([loop('cus_1'), loop('cus_2'), stripeCustomer()]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['error', 'error', 'record']);
    const error = await t
      .transformBatch([loop('cus_3'), loop('cus_4')])
      .then(() => t.transformBatch([loop('cus_5'), stripeCustomer({ id: 'cus_never' })]))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(
      /^pipelines\[0\]\.transformation\.source: transform\(\) ran longer than `timeout_ms` \(200 ms\) for 3 customers in a row \(cus_3, cus_4, cus_5\): .*whatever `on_error` says/,
    );
    // Five timeouts of 200 ms, and no more.
    expect(performance.now() - started).toBeLessThan(5 * 200 + 2000);
  });

  it('stops a huge allocation; the next customer still transforms', async () => {
    const t = await js(
      `function transform(c) {
        if (c.metadata.alloc === 'string') return { s: 'x'.repeat(1e9) };
        if (c.metadata.alloc === 'array') { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }
        if (c.metadata.alloc === 'recursion') { const f = (n) => f(n + 1) + 1; return { n: f(0) }; }
        return { id: c.id };
      }`,
      { memory_limit_mb: 32, timeout_ms: 5000 },
    );
    const outcomes = await t.transformBatch([
      stripeCustomer({ id: 'cus_a' }),
      stripeCustomer({ metadata: { alloc: 'string' } }),
      stripeCustomer({ id: 'cus_b' }),
      stripeCustomer({ metadata: { alloc: 'array' } }),
      stripeCustomer({ metadata: { alloc: 'recursion' } }),
      stripeCustomer({ id: 'cus_c' }),
    ]);
    expect(outcomes[0]).toEqual({ kind: 'record', record: { id: 'cus_a' } });
    expect(outcomes[1]).toEqual({
      kind: 'error',
      message: expect.stringMatching(/out of memory/i),
    });
    expect(outcomes[2]).toEqual({ kind: 'record', record: { id: 'cus_b' } });
    expect(outcomes[3]).toEqual({
      kind: 'error',
      message: expect.stringMatching(/out of memory/i),
    });
    expect(outcomes[4]).toEqual({
      kind: 'error',
      message: expect.stringMatching(/stack overflow|too much recursion/i),
    });
    expect(outcomes[5]).toEqual({ kind: 'record', record: { id: 'cus_c' } });
  });
  it('runs at the top of the memory range (2 GB is all 32-bit WebAssembly has)', async () => {
    for (const memory_limit_mb of [2032, 2033, 2048]) {
      const t = await js('function transform(c) { return { id: c.id }; }', { memory_limit_mb });
      expect(
        await t.transformBatch([stripeCustomer({ id: 'cus_top' })]),
        `${memory_limit_mb}`,
      ).toEqual([{ kind: 'record', record: { id: 'cus_top' } }]);
    }
  });
});

describe('JavaScript sandbox escapes', () => {
  it('sees no Node globals', async () => {
    const outcome = await runOne(`function transform() {
      const g = Function('return this')();
      return {
        process: typeof process, require: typeof require, globalProcess: typeof globalThis.process,
        module: typeof module, setTimeout: typeof setTimeout, setInterval: typeof setInterval,
        queueMicrotask: typeof queueMicrotask, fetch: typeof fetch, Buffer: typeof Buffer,
        sameGlobal: g === globalThis, globals: Object.getOwnPropertyNames(g).filter((k) => /process|require|module|fetch|fs|os|std/.test(k)),
      };
    }`);
    expect(outcome).toEqual({
      kind: 'record',
      record: {
        process: 'undefined',
        require: 'undefined',
        globalProcess: 'undefined',
        module: 'undefined',
        setTimeout: 'undefined',
        setInterval: 'undefined',
        queueMicrotask: 'undefined',
        fetch: 'undefined',
        Buffer: 'undefined',
        sameGlobal: true,
        globals: [],
      },
    });
  });

  it.each([
    [
      'constructor chain',
      'return this.constructor.constructor("return process")().env;',
      /ReferenceError: 'process' is not defined/,
    ],
    [
      'function constructor',
      'return Function("return process")().mainModule;',
      /ReferenceError: 'process' is not defined/,
    ],
    [
      'customer constructor',
      'return c.constructor.constructor("return require")()("fs");',
      /ReferenceError: 'require' is not defined/,
    ],
    ['require', 'return { fs: require("fs") };', /ReferenceError: 'require' is not defined/],
    ['dynamic import', 'return import("fs");', /returned a Promise/],
    [
      'globalThis.process',
      'return globalThis.process.env;',
      /TypeError: cannot read property 'env' of undefined/,
    ],
    [
      'timers',
      'setTimeout(() => {}, 0); return {};',
      /ReferenceError: 'setTimeout' is not defined/,
    ],
    ['eval', 'return { v: eval("typeof process") };', null],
  ])('%s', async (_name, body, error) => {
    const outcome = await runOne(`function transform(c) { ${body} }`);
    if (error) expect(outcome).toEqual({ kind: 'error', message: expect.stringMatching(error) });
    else expect(outcome).toEqual({ kind: 'record', record: { v: 'undefined' } });
  });

  it('cannot pollute host prototypes', async () => {
    const t = await js(`function transform(c) {
      Object.prototype.polluted = 'yes';
      Array.prototype.polluted = 'yes';
      c.__proto__.viaCustomer = 'yes';
      JSON.parse = () => ({ hijacked: true });
      return c.metadata.proto ? JSON.constructor.prototype && { ['__proto__']: { polluted: 'yes' } } : { ok: ({}).polluted };
    }`);
    const outcomes = await t.transformBatch([
      stripeCustomer(),
      stripeCustomer({ metadata: { proto: 'x' } }),
    ]);
    expect(outcomes[0]).toEqual({ kind: 'record', record: { ok: 'yes' } });
    expect(outcomes[1]).toEqual({
      kind: 'error',
      message: 'the returned object has a "__proto__" key, which is not allowed',
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).viaCustomer).toBeUndefined();
    // The driver kept its own JSON.parse: batches still work after the user replaced it.
    expect(await t.transformBatch([stripeCustomer()])).toEqual([
      { kind: 'record', record: { ok: 'yes' } },
    ]);
  });
});
