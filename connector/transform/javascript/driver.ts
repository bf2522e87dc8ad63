/**
 * The trusted JavaScript that runs a batch inside the QuickJS sandbox (see sandbox.ts), evaluated before the user's code: it captures the intrinsics it uses so that
 * user code changing globals cannot break the batch protocol, and it is never stored where user
 * code can reach it (its completion value is kept by the host only).
 */
export const driverSource = (magic: readonly [number, number]): string => `(function () {
  'use strict';
  // Progress slot the host reads from WebAssembly memory (found through the magic numbers):
  // [magic, magic, index of the customer being transformed, probe].
  const progress = new Int32Array(4);
  progress[0] = ${magic[0]};
  progress[1] = ${magic[1]};
  progress[2] = -1;
  const probe = () => progress[3];
  const parse = JSON.parse, stringify = JSON.stringify, isArray = Array.isArray;
  const PromiseCtor = Promise, StringCtor = String, exec = RegExp.prototype.exec;
  const linePattern = /transform\\.js:(\\d+)/;
  const describe = (e) => {
    try {
      if (e !== null && typeof e === 'object' && typeof e.message === 'string') {
        const name = typeof e.name === 'string' ? e.name : 'Error';
        const m = typeof e.stack === 'string' ? exec.call(linePattern, e.stack) : null;
        return name + ': ' + e.message + (m ? ' (line ' + m[1] + ')' : '');
      }
      return 'threw ' + StringCtor(e);
    } catch (_) {
      return 'threw a value that cannot be described';
    }
  };
  const kind = (v) => (v === null ? 'null' : isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : 'a ' + typeof v);
  const run = function run(transform, input) {
    const records = parse(input);
    const out = [];
    for (let i = 0; i < records.length; i++) {
      progress[2] = i;
      let result;
      try {
        result = transform(records[i]);
      } catch (e) {
        out[i] = stringify({ e: describe(e) });
        continue;
      }
      if (result === null) {
        out[i] = '{"s":1}';
      } else if (result === undefined) {
        out[i] = stringify({ e: 'transform returned undefined: return an object, or null to skip the customer' });
      } else if (result instanceof PromiseCtor || (typeof result === 'object' && typeof result.then === 'function')) {
        out[i] = stringify({ e: 'transform returned a Promise: transformations must be synchronous (no async/await)' });
      } else if (typeof result !== 'object' || isArray(result)) {
        out[i] = stringify({ e: 'transform returned ' + kind(result) + ': return a plain object (the record), or null to skip the customer' });
      } else {
        try {
          out[i] = '{"r":' + stringify(result) + '}';
        } catch (e) {
          out[i] = stringify({ e: 'the returned object cannot be converted to JSON: ' + describe(e) });
        }
      }
    }
    progress[2] = records.length;
    let joined = '[';
    for (let i = 0; i < out.length; i++) joined += (i ? ',' : '') + out[i];
    progress[2] = -1;
    return joined + ']';
  };
  return [run, probe];
})()`;
