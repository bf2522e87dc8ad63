/**
 * Python transformations in Pyodide. Loading Pyodide takes seconds, so one transformer (one
 * sandbox process) serves most tests: its source dispatches on `customer.metadata.case`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namesIn } from '../../connector/words';
import { ConfigError, DataError } from '../../connector/errors';
import {
  createTransformer,
  type Transformer,
  type TransformOutcome,
} from '../../connector/transform';
import { manyCustomers, stripeCustomer } from './fixtures';

const SOURCE = String.raw`
import datetime
import json
import time
from decimal import Decimal


def transform(customer):
    case = customer["metadata"].get("case")
    B = print.__self__  # the real builtins module, reachable from any builtin function
    if case is None:
        return {
            "id": customer["id"],
            "email": customer["email"].strip().lower(),
            "city": (customer.get("address") or {}).get("city"),
            "locales": [l.upper() for l in customer["preferred_locales"]],
            "created": datetime.datetime.fromtimestamp(customer["created"], datetime.timezone.utc).isoformat(),
            "fields": {f["name"]: f["value"] for f in customer["invoice_settings"]["custom_fields"]},
        }
    if case == "skip":
        return None
    if case == "raise":
        raise ValueError("bad customer " + customer["id"])
    if case == "list":
        return [1]
    if case == "string":
        return "x"
    if case == "nan":
        return {"x": float("nan")}
    if case == "bytes":
        return {"x": b"raw"}
    if case == "rich":
        return {"d": Decimal("1.50"), "when": datetime.date(2024, 2, 29), "tags": ("a", "b"), "n": None}
    if case == "exit":
        raise SystemExit(3)
    if case == "import_os":
        import os
        return {"cwd": os.getcwd()}
    if case == "import_subprocess":
        import subprocess
        return {"out": subprocess.run(["id"]).stdout}
    if case == "import_js":
        import js
        return {"process": str(js.process)}
    if case == "pyodide_ffi":
        from pyodide.ffi import to_js
        return {"v": str(to_js({}))}
    if case == "open":
        return {"passwd": open("/etc/passwd").read()}
    if case == "real_open":
        return {"passwd": B.open("/etc/passwd").read()}
    if case == "real_os":
        os = B.__import__("os")
        return {"root": sorted(os.listdir("/")), "env": dict(os.environ)}
    if case == "sys_modules":
        sys = B.__import__("sys")
        return {"js": [m for m in ("js", "pyodide_js") if m in sys.modules]}
    if case == "meta_path_removed":
        sys = B.__import__("sys")
        sys.meta_path[:] = [f for f in sys.meta_path if "Blocker" not in repr(f)]
        js = B.__import__("js")
        return {"process": str(js.process)}
    if case == "pyodide_js":
        sys = B.__import__("sys")
        sys.meta_path[:] = [f for f in sys.meta_path if "Blocker" not in repr(f)]
        return {"v": str(B.__import__("pyodide_js").mountNodeFS("/mnt", "/"))}
    if case == "js_function_constructor":
        ffi = B.__import__("pyodide.ffi", fromlist=["to_js"])
        Function = ffi.to_js({}).constructor.constructor
        return {"v": str(Function("return process")())}
    if case == "run_js":
        code = B.__import__("pyodide.code", fromlist=["run_js"])
        return {"v": str(code.run_js("process.env"))}
    if case == "ctypes":
        sys = B.__import__("sys")
        sys.meta_path[:] = [f for f in sys.meta_path if "Blocker" not in repr(f)]
        ctypes = B.__import__("ctypes")
        return {"v": ctypes.CDLL(None).emscripten_run_script_int(b"process.exit(7)")}
    if case == "http_open_url":
        http = B.__import__("pyodide.http", fromlist=["open_url"])
        return {"v": http.open_url("http://127.0.0.1:9/").read()}
    if case == "socket":
        socket = B.__import__("socket")
        socket.create_connection(("127.0.0.1", 9), timeout=0.5)
        return {"connected": True}
    if case == "proto":
        return json.loads('{"__proto__": {"polluted": "yes"}}')
    if case == "loop":
        while True:
            pass
    if case == "sleep":
        time.sleep(10**9)
    if case == "uninterruptible_sleep":
        # The sleep Pyodide provides waits inside WebAssembly, where no interrupt lands.
        time.sleep.__globals__["_real_sleep"](10**9)
    if case == "swallow":
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
    if case == "alloc_str":
        return {"s": "x" * 10**9}
    if case == "alloc_list":
        return {"n": len([0] * 10**9)}
    if case == "alloc_grow":
        chunks = []
        while True:
            chunks.append(bytearray(10**6))
    if case == "recursion":
        def f(n):
            return f(n + 1) + 1
        return {"n": f(0)}
    if case == "state":
        global counter
        counter = globals().get("counter", 0) + 1
        return {"counter": counter}
    return {"unknown": case}
`;

const PLACE = {
  at: ['pipelines', 1, 'transformation'],
  names: namesIn({ pipelines: [{}, { name: 'py' }] }),
};
/** 1-based line of the first line of SOURCE containing `text`. */
const lineOf = (text: string): number =>
  SOURCE.split('\n').findIndex((line) => line.includes(text)) + 1;
let py: Transformer;

beforeAll(async () => {
  process.env.SANDBOX_CANARY = 'host-secret';
  py = await createTransformer(
    { type: 'python', source: SOURCE, timeout_ms: 1000, memory_limit_mb: 64 },
    undefined,
    PLACE,
  );
}, 120_000);
afterAll(async () => {
  await py?.close();
});

const withCase = (c: string, overrides: Record<string, unknown> = {}) =>
  stripeCustomer({ metadata: { case: c }, ...overrides });

async function runCase(c: string): Promise<TransformOutcome> {
  const [outcome] = await py.transformBatch([withCase(c)]);
  return outcome as TransformOutcome;
}

async function loadError(source: string, options: Record<string, unknown> = {}): Promise<string> {
  try {
    const t = await createTransformer({ type: 'python', source, ...options }, undefined, {
      at: ['pipelines', 0, 'transformation'],
    });
    await t.close();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('Python transformations', () => {
  it('transforms a Stripe customer', async () => {
    const [outcome] = await py.transformBatch([stripeCustomer({ metadata: {} })]);
    expect(outcome).toEqual({
      kind: 'record',
      record: {
        id: 'cus_QXg1o8vcGmoR32',
        email: 'jenny.rosen@example.com',
        city: 'Paris',
        locales: ['FR', 'EN'],
        created: '2009-02-13T23:31:30+00:00',
        fields: { VAT: 'FR123', PO: '42' },
      },
    });
  });

  it('skips on None and reports errors and wrong shapes per customer', async () => {
    const cases = ['skip', 'raise', 'list', 'string', 'nan', 'bytes', 'rich', 'exit'];
    const outcomes = await py.transformBatch(cases.map((c) => withCase(c)));
    expect(outcomes).toEqual([
      { kind: 'skip' },
      {
        kind: 'error',
        message: `ValueError: bad customer cus_QXg1o8vcGmoR32 (line ${lineOf('raise ValueError')})`,
      },
      {
        kind: 'error',
        message:
          'transform returned list: return a dict (the record), or None to skip the customer',
      },
      {
        kind: 'error',
        message: 'transform returned str: return a dict (the record), or None to skip the customer',
      },
      {
        kind: 'error',
        message: expect.stringMatching(
          /^the returned dict cannot be converted to JSON: ValueError: Out of range float values/,
        ),
      },
      {
        kind: 'error',
        message:
          'the returned dict cannot be converted to JSON: TypeError: values of type bytes cannot be converted to JSON',
      },
      { kind: 'record', record: { d: '1.50', when: '2024-02-29', tags: ['a', 'b'], n: null } },
      { kind: 'error', message: `SystemExit: 3 (line ${lineOf('raise SystemExit')})` },
    ]);
  });

  it('transforms a batch of 1,000 customers in order', async () => {
    const customers = manyCustomers(1000).map((c) => ({
      ...c,
      metadata: { ...(c.metadata as object), case: 'state' },
    }));
    const outcomes = await py.transformBatch(customers);
    expect(outcomes).toHaveLength(1000);
    const counters = outcomes.map((o) => (o.kind === 'record' ? (o.record.counter as number) : -1));
    // Module state persists across customers (one interpreter), and order is kept.
    expect(counters.every((n, i) => i === 0 || n === (counters[i - 1] as number) + 1)).toBe(true);
  });

  it('reports load errors with their line', async () => {
    expect(
      await loadError(
        'def transform(customer):\n    return {\n        "id": customer["id"],,\n    }\n',
      ),
    ).toBe('pipelines[0].transformation.source: line 3: SyntaxError: invalid syntax.');
    expect(await loadError('def transform(customer):\nreturn 1\n')).toBe(
      'pipelines[0].transformation.source: line 2: IndentationError: expected an indented block after function definition on line 1.',
    );
    expect(await loadError('import os\n\ndef transform(c):\n    return {}\n')).toMatch(
      /^pipelines\[0\]\.transformation\.source: line 1: ImportError: import of 'os' is not allowed in transformations; allowed modules: abc, array/,
    );
    expect(await loadError('def transfrom(c):\n    return {}\n')).toBe(
      'pipelines[0].transformation.source: no function named transform. Define one, e.g. "def transform(customer):\\n    return {\\"email\\": customer[\\"email\\"]}".',
    );
    expect(await loadError('while True:\n    pass\n', { timeout_ms: 200 })).toBe(
      'pipelines[0].transformation.source: the top-level code did not finish within `timeout_ms` (200 ms). Define transform(customer) and keep work inside it.',
    );
  }, 120_000);
});

describe('Python sandbox process', () => {
  it('does not keep the connector process alive between batches (compiled dist, no close())', () => {
    const script = `
      const { createTransformer } = require(${JSON.stringify(join(__dirname, '../../dist/connector/transform'))});
      createTransformer({ type: 'python', source: 'def transform(c):\\n    return {"id": c["id"]}' }, undefined, { at: ['p', 'transformation'] })
        .then((t) => t.transformBatch([{ id: 'cus_1' }]))
        .then((outcomes) => console.log(JSON.stringify(outcomes)));
    `;
    const result = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([{ kind: 'record', record: { id: 'cus_1' } }]);
  }, 90_000);
});

describe('Python sandbox limits', () => {
  it('stops an infinite loop within the limit; the next customer still transforms', async () => {
    const started = performance.now();
    const outcomes = await py.transformBatch([
      withCase('skip'),
      withCase('loop'),
      stripeCustomer({ id: 'cus_next', metadata: {} }),
    ]);
    // The loop is stopped at timeout_ms (1 s), not left to run: on a busy 2-core machine the
    // stop and a fresh interpreter take a few seconds more, so the margin is wide.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(outcomes[0]).toEqual({ kind: 'skip' });
    expect(outcomes[1]).toEqual({
      kind: 'error',
      message: 'timed out: the transform ran longer than timeout_ms (1000 ms) and was stopped',
      timedOut: true,
    });
    expect(outcomes[2]).toMatchObject({ kind: 'record', record: { id: 'cus_next' } });
  });

  it('terminates code that swallows the interrupt, then runs the next customers on a fresh interpreter', async () => {
    const outcomes = await py.transformBatch([
      stripeCustomer({ id: 'cus_before', metadata: {} }),
      withCase('swallow'),
      stripeCustomer({ id: 'cus_after', metadata: {} }),
    ]);
    expect(outcomes[0]).toMatchObject({ kind: 'record', record: { id: 'cus_before' } });
    expect(outcomes[1]).toEqual({
      kind: 'error',
      message: 'timed out: the transform ran longer than timeout_ms (1000 ms) and was stopped',
      timedOut: true,
    });
    expect(outcomes[2]).toMatchObject({ kind: 'record', record: { id: 'cus_after' } });
  }, 60_000);

  it('stops time.sleep within the limit on the same interpreter; the next customer still transforms', async () => {
    const started = performance.now();
    const outcomes = await py.transformBatch([
      withCase('state'),
      withCase('sleep'),
      withCase('state'),
    ]);
    // The limit (1 s) plus room for a loaded machine; a worker restart alone takes 2-3 s more.
    expect(performance.now() - started).toBeLessThan(2500);
    expect(outcomes[1]).toEqual({
      kind: 'error',
      message: 'timed out: the transform ran longer than timeout_ms (1000 ms) and was stopped',
      timedOut: true,
    });
    const counters = [outcomes[0], outcomes[2]].map(
      (outcome) => (outcome as unknown as { record: { counter: number } }).record.counter,
    );
    // The module's state carried over: no new interpreter was needed.
    expect(counters[1]).toBe((counters[0] as number) + 1);
  });

  it('replaces the interpreter under a wait Python cannot interrupt; the next customer still transforms', async () => {
    const outcomes = await py.transformBatch([
      withCase('uninterruptible_sleep'),
      stripeCustomer({ id: 'cus_after', metadata: {} }),
      withCase('state'),
    ]);
    expect(outcomes[0]).toEqual({
      kind: 'error',
      message: 'timed out: the transform ran longer than timeout_ms (1000 ms) and was stopped',
      timedOut: true,
    });
    expect(outcomes[1]).toMatchObject({ kind: 'record', record: { id: 'cus_after' } });
    // A fresh interpreter: the module's state starts again.
    expect(outcomes[2]).toEqual({ kind: 'record', record: { counter: 1 } });
  }, 60_000);

  it('stops the pipeline, whatever `on_error` says, at the third customer in a row that times out', async () => {
    const started = performance.now();
    const error = await py
      .transformBatch([
        withCase('loop'),
        withCase('sleep'),
        withCase('loop'),
        stripeCustomer({ id: 'cus_never', metadata: {} }),
      ])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(
      /^pipelines\[1\] \("py"\)\.transformation\.source: transform\(\) ran longer than `timeout_ms` \(1000 ms\) for 3 customers in a row \(cus_QXg1o8vcGmoR32, cus_QXg1o8vcGmoR32, cus_QXg1o8vcGmoR32\): /,
    );
    expect(performance.now() - started).toBeLessThan(3 * 1000 + 3000);
    // The transformer still works for whoever goes on.
    const [next] = await py.transformBatch([stripeCustomer({ id: 'cus_next', metadata: {} })]);
    expect(next).toMatchObject({ kind: 'record', record: { id: 'cus_next' } });
  }, 60_000);

  it('stops huge allocations with MemoryError; the next customer still transforms', async () => {
    const outcomes = await py.transformBatch([
      withCase('alloc_str'),
      withCase('alloc_list'),
      withCase('alloc_grow'),
      withCase('recursion'),
      stripeCustomer({ id: 'cus_next', metadata: {} }),
    ]);
    const memory =
      'MemoryError: ran out of memory: the sandbox is limited to memory_limit_mb (64 MB)';
    expect(outcomes.slice(0, 3)).toEqual([
      { kind: 'error', message: memory },
      { kind: 'error', message: memory },
      { kind: 'error', message: memory },
    ]);
    expect(outcomes[3]).toEqual({
      kind: 'error',
      message: expect.stringMatching(/^RecursionError: maximum recursion depth exceeded/),
    });
    expect(outcomes[4]).toMatchObject({ kind: 'record', record: { id: 'cus_next' } });
  });
});

describe('Python sandbox escapes', () => {
  it.each([
    ['import_os', "ImportError: import of 'os' is not allowed in transformations"],
    ['import_subprocess', "ImportError: import of 'subprocess' is not allowed in transformations"],
    ['import_js', "ImportError: import of 'js' is not allowed in transformations"],
    ['pyodide_ffi', "ImportError: import of 'pyodide.ffi' is not allowed in transformations"],
    ['open', 'PermissionError: file access is not available in transformations'],
    ['real_open', "FileNotFoundError: [Errno 44] No such file or directory: '/etc/passwd'"],
    ['meta_path_removed', "ModuleNotFoundError: No module named 'js'"],
    ['pyodide_js', "ModuleNotFoundError: No module named 'pyodide_js'"],
    [
      'js_function_constructor',
      'JsException: EvalError: Code generation from strings disallowed for this context',
    ],
    // An earlier case removed the import blocker in this interpreter: js is still not there.
    ['run_js', "No module named 'js'"],
    ['http_open_url', "NameError: name 'XMLHttpRequest' is not defined"],
    ['socket', 'OSError'],
    ['proto', 'the returned object has a "__proto__" key, which is not allowed'],
  ])('%s fails without reaching the host', async (c, message) => {
    const outcome = await runCase(c);
    expect(outcome.kind).toBe('error');
    expect((outcome as { message: string }).message).toContain(message);
  });

  it('cannot pollute host prototypes', async () => {
    await runCase('proto');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('sees only the in-memory file system and no host environment', async () => {
    const outcome = await runCase('real_os');
    expect(outcome.kind).toBe('record');
    const record = (
      outcome as unknown as { record: { root: string[]; env: Record<string, string> } }
    ).record;
    expect(record.root).toEqual(['dev', 'home', 'lib', 'proc', 'tmp']);
    expect(Object.values(record.env)).not.toContain('host-secret');
    expect(Object.keys(record.env)).not.toContain('SANDBOX_CANARY');
  });

  it('cannot see the JavaScript bridge modules in sys.modules', async () => {
    expect(await runCase('sys_modules')).toEqual({ kind: 'record', record: { js: [] } });
  });

  it('a crash of the interpreter (ctypes -> emscripten eval) fails that customer only', async () => {
    const outcomes = await py.transformBatch([
      withCase('ctypes'),
      stripeCustomer({ id: 'cus_next', metadata: {} }),
    ]);
    expect(outcomes[0]).toEqual({
      kind: 'error',
      message: expect.stringMatching(/^the Python sandbox (crashed|stopped) on this customer/),
    });
    expect(outcomes[1]).toMatchObject({ kind: 'record', record: { id: 'cus_next' } });
    expect(process.exitCode ?? 0).toBe(0);
  }, 60_000);
});
