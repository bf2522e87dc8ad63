import { describe, expect, it } from 'vitest';
import { oneBatchAtATime, runEachAlone } from '../../connector/transform/sandbox-batches';
import type { TransformOutcome } from '../../connector/transform';

type Customer = Record<string, unknown>;

/** A batch runner whose batches finish when the test says so, recording what ran when. */
function controlledRunner() {
  const log: string[] = [];
  const pending: Array<() => void> = [];
  const runBatch = (customers: ReadonlyArray<Customer>): Promise<TransformOutcome[]> => {
    const ids = customers.map((c) => String(c.id)).join(',');
    log.push(`start ${ids}`);
    return new Promise((resolve, reject) => {
      pending.push(() => {
        log.push(`end ${ids}`);
        if (ids.includes('bad')) reject(new Error(`batch ${ids} broke`));
        else resolve(customers.map((c) => ({ kind: 'record', record: c })));
      });
    });
  };
  /** Lets the oldest running batch finish, once it has started. */
  const finishNext = async (): Promise<void> => {
    for (let tick = 0; pending.length === 0; tick++) {
      if (tick > 100) throw new Error(`no batch is running; so far: ${log.join(' | ')}`);
      await new Promise((r) => setImmediate(r));
    }
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { log, runBatch, finishNext };
}

describe('oneBatchAtATime', () => {
  it('starts a batch only once the one before it has finished', async () => {
    const { log, runBatch, finishNext } = controlledRunner();
    const transformer = oneBatchAtATime('Test', runBatch, () => undefined);
    const first = transformer.transformBatch([{ id: 'a' }]);
    const second = transformer.transformBatch([{ id: 'b' }]);
    await finishNext();
    await finishNext();
    await expect(first).resolves.toEqual([{ kind: 'record', record: { id: 'a' } }]);
    await expect(second).resolves.toEqual([{ kind: 'record', record: { id: 'b' } }]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('runs the batches queued after one that failed', async () => {
    const { runBatch, finishNext } = controlledRunner();
    const transformer = oneBatchAtATime('Test', runBatch, () => undefined);
    const broken = transformer.transformBatch([{ id: 'bad' }]);
    const next = transformer.transformBatch([{ id: 'c' }]);
    await finishNext();
    await expect(broken).rejects.toThrow('batch bad broke');
    await finishNext();
    await expect(next).resolves.toEqual([{ kind: 'record', record: { id: 'c' } }]);
  });

  it('answers an empty batch without running the sandbox', async () => {
    const { log, runBatch } = controlledRunner();
    const transformer = oneBatchAtATime('Test', runBatch, () => undefined);
    await expect(transformer.transformBatch([])).resolves.toEqual([]);
    expect(log).toEqual([]);
  });

  it('closes after the queued batches, releases once, then refuses batches', async () => {
    const { log, runBatch, finishNext } = controlledRunner();
    let released = 0;
    const transformer = oneBatchAtATime('Test', runBatch, async () => {
      log.push('release');
      released++;
    });
    const running = transformer.transformBatch([{ id: 'a' }]);
    const closed = transformer.close();
    await finishNext();
    await running;
    await closed;
    expect(log).toEqual(['start a', 'end a', 'release']);
    expect(released).toBe(1);
    await expect(transformer.transformBatch([{ id: 'b' }])).rejects.toThrow(
      'the Test transformer is closed',
    );
  });
});

describe('runEachAlone', () => {
  it('runs every customer as a batch of its own, in order, and joins the outcomes', async () => {
    const batches: string[][] = [];
    const outcomes = await runEachAlone([{ id: 'a' }, { id: 'b' }, { id: 'c' }], (customers) => {
      batches.push(customers.map((c) => String(c.id)));
      const [customer] = customers;
      return Promise.resolve([
        customer?.id === 'b'
          ? { kind: 'error', message: 'b failed' }
          : { kind: 'record', record: { ...customer } },
      ]);
    });
    expect(batches).toEqual([['a'], ['b'], ['c']]);
    expect(outcomes).toEqual([
      { kind: 'record', record: { id: 'a' } },
      { kind: 'error', message: 'b failed' },
      { kind: 'record', record: { id: 'c' } },
    ]);
  });
});
