/**
 * Source of the two scripts of the Python sandbox process (run with `node -e` and as an `eval`
 * worker, so they need no file of their own next to the compiled code). Plain JavaScript,
 * without template literals so they can live in these strings.
 *
 * Control block shared by controller and worker (Int32Array over a SharedArrayBuffer):
 *   [0] Pyodide's interrupt buffer (2 = SIGINT -> KeyboardInterrupt)
 *   [1] what runs: 0 idle, -1 the user's top-level code, i + 1 customer i of the batch
 *   [2] when it started (ms since the controller's `base`)
 */

/** Runs inside the Worker: loads Pyodide, locks the realm down, runs batches. */
export const WORKER_SCRIPT = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const os = require('node:os');
const { pyodideDir, source, timeoutMs, memoryLimitMb, control, base, driver } = workerData;
const ctl = new Int32Array(control);

// Pyodide's NODEFS reads constants through process.binding, which the permission model denies.
const realBinding = process.binding;
process.binding = function binding(name) {
  if (name === 'constants') return { fs: fs.constants, os: os.constants };
  return realBinding.call(process, name);
};

// Memory limit: the interpreter's WebAssembly memory may not grow past the cap.
let cap = Infinity;
const realGrow = WebAssembly.Memory.prototype.grow;
Object.defineProperty(WebAssembly.Memory.prototype, 'grow', {
  value: function grow(pages) {
    if (this.buffer.byteLength + pages * 65536 > cap) throw new RangeError('memory limit reached');
    return realGrow.call(this, pages);
  },
  writable: false,
  configurable: false,
});

const post = (message) => parentPort.postMessage(message);

// Pyodide loads from the package's files only: no network API exists in this realm, so a
// remote fetch (CDN) is impossible, not just unused.
for (const name of ['fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'Request', 'Response', 'Headers', 'FormData']) {
  try { delete globalThis[name]; } catch (e) { /* not configurable */ }
}

async function main() {
  const { loadPyodide } = require(pyodideDir + '/pyodide.js');
  const py = await loadPyodide({
    indexURL: pyodideDir + '/',
    jsglobals: Object.create(null),
    env: { HOME: '/home/pyodide' },
    stdout: () => {},
    stderr: () => {},
  });
  cap = py._module.HEAPU8.buffer.byteLength + memoryLimitMb * 1048576;
  py.setInterruptBuffer(new Int32Array(control, 0, 1));
  for (const name of ['js', 'pyodide_js']) {
    try { py.unregisterJsModule(name); } catch (e) { /* not registered */ }
  }
  const ns = py.runPython('dict()');
  py.runPython(driver, { globals: ns });
  const init = ns.get('_init');
  const load = ns.get('_load');
  const run = ns.get('_run');
  const collect = ns.get('_collect');
  const PythonError = py.ffi.PythonError;

  // Nothing the interpreter could reach may lead back to Node: drop the host globals. (Code
  // generation from strings is disabled for the whole process, so Function/eval/import() are
  // not a way back either.)
  for (const name of ['process', 'require', 'module', 'exports', '__filename', '__dirname',
    'fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'Request', 'Response', 'Headers',
    'FormData', 'Buffer', 'navigator', 'BroadcastChannel', 'MessageChannel', 'MessagePort',
    'Worker', 'pyodide', 'loadPyodide']) {
    try { delete globalThis[name]; } catch (e) { /* not configurable */ }
  }

  Atomics.store(ctl, 2, Date.now() - base);
  Atomics.store(ctl, 1, -1);
  const status = init(source, timeoutMs, memoryLimitMb);
  Atomics.store(ctl, 1, 0);
  Atomics.store(ctl, 0, 0);
  post({ t: 'ready', status });

  // A customer that times out stops the batch there, with the outcomes before it: the connector
  // counts timeouts in a row across batches, and decides whether the rest still runs.
  parentPort.on('message', (message) => {
    if (message.t !== 'batch') return;
    const count = load(message.json);
    for (let i = 0; i < count; i++) {
      Atomics.store(ctl, 0, 0);
      Atomics.store(ctl, 2, Date.now() - base);
      Atomics.store(ctl, 1, i + 1);
      let timedOut;
      try {
        timedOut = run(i) === true;
      } catch (error) {
        if (!(error instanceof PythonError)) {
          post({ t: 'crashed', index: i, message: String(error && error.message || error).slice(0, 300) });
          return;
        }
        // An interrupt that landed in the driver itself rather than in the user's code.
        timedOut = true;
      }
      Atomics.store(ctl, 1, 0);
      if (timedOut) {
        Atomics.store(ctl, 0, 0);
        post({ t: 'timed_out', index: i, before: collect(i) });
        return;
      }
    }
    Atomics.store(ctl, 0, 0);
    post({ t: 'result', json: collect(count) });
  });
}

main().catch((error) => {
  post({ t: 'failed', message: String(error && error.stack || error).slice(0, 2000) });
});
`;

/**
 * Runs as the sandbox process's main thread: talks to the connector over IPC, supervises the
 * worker. A batch comes back whole ({t: 'result'}) or stopped on one customer ({t: 'stopped'}:
 * it timed out, or crashed the interpreter, which is then replaced); the connector decides what
 * runs next.
 */
export const CONTROLLER_SCRIPT = `'use strict';
const { Worker } = require('node:worker_threads');
let config;
let worker;
let control;
let ctl;
let starting; // settle() of the worker start in progress
let waiting; // resolve() of the batch in flight on the worker
let timer;
let interrupted;
const base = Date.now();

const send = (message) => { if (process.connected) process.send(message); };
const text = (error) => String((error && error.message) || error);
const grace = () => Math.max(250, Math.min(config.timeoutMs, 2000));
const timeoutMessage = () =>
  'timed out: the transform ran longer than timeout_ms (' + config.timeoutMs + ' ms) and was stopped';

function disarm() {
  if (timer) clearTimeout(timer);
  timer = undefined;
}

function arm(delay) {
  disarm();
  timer = setTimeout(check, delay === undefined ? config.timeoutMs : delay);
}

function startWorker() {
  control = new SharedArrayBuffer(12);
  ctl = new Int32Array(control);
  interrupted = undefined;
  const w = new Worker(config.workerScript, {
    eval: true,
    workerData: {
      pyodideDir: config.pyodideDir,
      source: config.source,
      timeoutMs: config.timeoutMs,
      memoryLimitMb: config.memoryLimitMb,
      driver: config.driver,
      control,
      base,
    },
    resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 },
  });
  worker = w;
  return new Promise((resolve) => {
    starting = (value) => {
      starting = undefined;
      disarm();
      resolve(value);
    };
    w.on('message', (message) => {
      if (w !== worker) return;
      if (message.t === 'ready') { if (starting) starting({ ok: true, status: message.status }); }
      else if (message.t === 'failed') { if (starting) starting({ ok: false, message: message.message }); }
      else if (message.t === 'result') finish({ ok: true, json: message.json });
      else if (message.t === 'timed_out') {
        finish({ ok: false, index: message.index, before: message.before, message: timeoutMessage(), timedOut: true });
      } else if (message.t === 'crashed') {
        drop(w);
        finish({ ok: false, index: message.index, message: 'the Python sandbox crashed on this customer (' + message.message + ')' });
      }
    });
    const gone = (why) => {
      if (w !== worker) return;
      worker = undefined;
      if (starting) { starting({ ok: false, message: why }); return; }
      const running = Atomics.load(ctl, 1);
      finish({ ok: false, index: running > 0 ? running - 1 : -1, message: 'the Python sandbox stopped on this customer (' + why + ')' });
    };
    w.on('error', (error) => gone(text(error)));
    w.on('exit', (code) => gone('exit code ' + code));
    arm();
  });
}

function drop(w) {
  if (worker === w) worker = undefined;
  w.removeAllListeners('exit');
  w.removeAllListeners('error');
  w.terminate();
}

/** Per-customer time limit: interrupt (KeyboardInterrupt) first, then terminate the worker. */
function check() {
  timer = undefined;
  if (!worker) return;
  const running = Atomics.load(ctl, 1);
  if (running === 0) { arm(Math.max(10, config.timeoutMs / 4)); return; }
  const started = Atomics.load(ctl, 2);
  const now = Date.now();
  if (interrupted && interrupted.running === running && interrupted.started === started) {
    const waited = now - interrupted.at;
    if (waited < grace()) { arm(grace() - waited); return; }
    drop(worker);
    if (running === -1) {
      if (starting) starting({ ok: true, status: JSON.stringify({ error: 'timeout' }) });
    } else {
      finish({ ok: false, index: running - 1, message: timeoutMessage(), timedOut: true });
    }
    return;
  }
  const elapsed = now - base - started;
  if (elapsed >= config.timeoutMs) {
    Atomics.store(ctl, 0, 2);
    interrupted = { running, started, at: now };
    arm(grace());
  } else {
    arm(config.timeoutMs - elapsed);
  }
}

function finish(result) {
  disarm();
  const resolve = waiting;
  waiting = undefined;
  if (resolve) resolve(result);
}

/** A worker that a customer stopped is replaced; its user code must load again as it did. */
async function ensureWorker() {
  if (worker) return;
  const started = await startWorker();
  if (!started.ok) {
    throw Object.assign(new Error('the Python sandbox failed to restart: ' + started.message), { blame: 'sandbox' });
  }
  const status = JSON.parse(started.status);
  if (!status.ok) {
    if (worker) drop(worker);
    const why = status.error === 'timeout'
      ? 'the top-level code did not finish within timeout_ms (' + config.timeoutMs + ' ms)'
      : status.error === 'missing' ? 'transform is no longer defined' : status.message;
    throw Object.assign(new Error('the Python sandbox could not be restarted after a customer stopped it: ' + why), { blame: 'code' });
  }
}

/** Runs one batch (JSON text): { ok, json } or { ok: false, index, message, timedOut?, before? }. */
async function runOnWorker(json) {
  await ensureWorker();
  return new Promise((resolve) => {
    waiting = resolve;
    interrupted = undefined;
    arm();
    worker.postMessage({ t: 'batch', json });
  });
}

let queue = Promise.resolve();

process.on('message', (message) => {
  if (message.t === 'init') {
    config = message;
    startWorker().then(
      (started) => send(started.ok ? { t: 'ready', status: started.status } : { t: 'init_failed', message: started.message }),
      (error) => send({ t: 'init_failed', message: text(error) }),
    );
  } else if (message.t === 'batch') {
    queue = queue.then(async () => {
      try {
        const result = await runOnWorker(message.json);
        if (result.ok) send({ t: 'result', id: message.id, json: result.json });
        else send({ t: 'stopped', id: message.id, index: result.index, message: result.message, timedOut: result.timedOut === true, before: result.before });
      } catch (error) {
        send({ t: 'error', id: message.id, message: text(error), blame: error.blame === 'code' ? 'code' : 'sandbox' });
      }
    });
  } else if (message.t === 'close') {
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
`;
