import { describe, expect, it } from 'vitest';
import { namesIn } from '../../connector/words';
import { DataError } from '../../connector/errors';
import {
  TimeoutStreak,
  oneBatchAtATime,
  transformInOrder,
  type BatchAttempt,
} from '../../connector/transform/sandbox-batches';
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

/**
 * A scripted sandbox: customers whose id starts with "slow" time out, "crash" breaks the sandbox
 * without saying on which customer; a batch stops at the first such customer. `keepsBefore`:
 * the sandbox hands back the outcomes before it (Python's interpreter survives an interrupt).
 */
function scriptedSandbox(keepsBefore: boolean) {
  const batches: string[] = [];
  const attempt = (customers: ReadonlyArray<Customer>): Promise<BatchAttempt> => {
    const ids = customers.map((c) => String(c.id));
    batches.push(ids.join(','));
    const outcomes: TransformOutcome[] = [];
    for (const [index, id] of ids.entries()) {
      if (id.startsWith('crash')) {
        return Promise.resolve({
          kind: 'stopped',
          index: -1,
          failure: { kind: 'error', message: 'the sandbox died' },
        });
      }
      if (id.startsWith('slow')) {
        return Promise.resolve({
          kind: 'stopped',
          index,
          failure: { kind: 'error', message: `${id} timed out`, timedOut: true },
          ...(keepsBefore ? { before: outcomes } : {}),
        });
      }
      outcomes.push({ kind: 'record', record: { id } });
    }
    return Promise.resolve({ kind: 'done', outcomes });
  };
  return { batches, attempt };
}

const customers = (...ids: string[]) => ids.map((id) => ({ id }));
const streak = () =>
  new TimeoutStreak(500, {
    at: ['pipelines', 0, 'transformation'],
    names: namesIn({ pipelines: [{ name: 'crm' }] }),
  });

describe('transformInOrder', () => {
  it('gives the customer a batch stopped on its failure, and runs the rest after it', async () => {
    const { batches, attempt } = scriptedSandbox(true);
    const outcomes = await transformInOrder(customers('a', 'slow1', 'b'), attempt, streak());
    expect(outcomes).toEqual([
      { kind: 'record', record: { id: 'a' } },
      { kind: 'error', message: 'slow1 timed out', timedOut: true },
      { kind: 'record', record: { id: 'b' } },
    ]);
    expect(batches).toEqual(['a,slow1,b', 'b']);
  });

  it('runs the customers before the failure again when the sandbox lost their outcomes', async () => {
    const { batches, attempt } = scriptedSandbox(false);
    const outcomes = await transformInOrder(customers('a', 'slow1', 'b'), attempt, streak());
    expect(outcomes.map((o) => o.kind)).toEqual(['record', 'error', 'record']);
    expect(batches).toEqual(['a,slow1,b', 'a', 'b']);
  });

  it('runs each customer alone when the sandbox cannot say which one broke it', async () => {
    const { batches, attempt } = scriptedSandbox(true);
    const outcomes = await transformInOrder(customers('a', 'crash', 'b'), attempt, streak());
    expect(outcomes).toEqual([
      { kind: 'record', record: { id: 'a' } },
      { kind: 'error', message: 'the sandbox died' },
      { kind: 'record', record: { id: 'b' } },
    ]);
    expect(batches).toEqual(['a,crash,b', 'a', 'crash', 'b']);
  });
});

describe('TimeoutStreak', () => {
  it('stops at the third timeout in a row, across batches, without running the rest', async () => {
    const { batches, attempt } = scriptedSandbox(true);
    const row = streak();
    await transformInOrder(customers('a', 'slow1', 'slow2'), attempt, row);
    const error = await transformInOrder(customers('slow3', 'b', 'c'), attempt, row).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toBe(
      'pipelines[0] ("crm").transformation.source: transform() ran longer than `timeout_ms` (500 ms) for 3 customers in a row (slow1, slow2, slow3): ' +
        'the code looks stuck (an endless loop, a long sleep or a wait that never ends), so the pipeline stopped at once, whatever `on_error` says. ' +
        'Fix the code, or raise `timeout_ms` if one customer really needs that long; the next run continues from the last checkpoint.',
    );
    expect(batches).toEqual(['a,slow1,slow2', 'slow2', 'slow3,b,c']);
  });

  it('starts counting again after any other outcome', async () => {
    const { attempt } = scriptedSandbox(true);
    const outcomes = await transformInOrder(
      customers('slow1', 'slow2', 'a', 'slow3', 'slow4', 'crash', 'slow5', 'slow6'),
      attempt,
      streak(),
    );
    expect(outcomes.filter((o) => o.kind === 'error' && o.timedOut)).toHaveLength(6);
  });
});
