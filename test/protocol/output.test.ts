import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MessageWriter } from '../../protocol/output';

/** A stdout stand-in that keeps what reached it, line by line. */
function collectingStream() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

const state = (n: number) => ({
  type: 'STREAM' as const,
  stream: { stream_descriptor: { name: 'customers' }, stream_state: { n } },
});

describe('MessageWriter', () => {
  it('holds lines in its buffer until a STATE has waited a second, then sends them all', async () => {
    const { stream, lines } = collectingStream();
    let now = 0;
    const out = new MessageWriter(stream, [], () => now);
    await out.record('customers', { id: 'cus_1' }, 1);
    await out.checkpoint(state(1));
    expect(lines).toEqual([]);

    now = 999;
    await out.record('customers', { id: 'cus_2' }, 1);
    await out.checkpoint(state(2));
    expect(lines).toEqual([]);

    now = 1_000;
    await out.checkpoint(state(3));
    expect(lines.map((line) => JSON.parse(line).type)).toEqual([
      'RECORD',
      'STATE',
      'RECORD',
      'STATE',
      'STATE',
    ]);
    expect(JSON.parse(lines.at(-1) as string).state.stream.stream_state).toEqual({ n: 3 });

    // The second counts from the last flush, not from the start.
    now = 1_500;
    await out.checkpoint(state(4));
    expect(lines).toHaveLength(5);
    await out.flush();
    expect(lines).toHaveLength(6);
  });

  it('sends a STATE that nothing follows within a second of real time', async () => {
    const { stream, lines } = collectingStream();
    const out = new MessageWriter(stream);
    await out.record('customers', { id: 'cus_1' }, 1);
    await out.flush();
    await out.checkpoint(state(1));
    expect(lines).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(lines.map((line) => JSON.parse(line).type)).toEqual(['RECORD', 'STATE']);
  });

  it('sends a full chunk without waiting for a STATE, and a line larger than a chunk whole', async () => {
    const { stream, lines } = collectingStream();
    const out = new MessageWriter(stream, [], () => 0);
    const bio = 'x'.repeat(10_000);
    for (let i = 0; i < 100; i++) await out.record('customers', { id: `cus_${i}`, bio }, 1);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(100);
    await out.record('customers', { id: 'cus_huge', bio: 'y'.repeat(600_000) }, 1);
    await out.flush();
    expect(lines.map((line) => JSON.parse(line).record.data.id)).toEqual([
      ...Array.from({ length: 100 }, (_, i) => `cus_${i}`),
      'cus_huge',
    ]);
  });

  it('scrubs registered secrets from every line but records', async () => {
    const { stream, lines } = collectingStream();
    const out = new MessageWriter(stream, ['sk_test_secret123'], () => 0);
    await out.log('INFO', 'key sk_test_secret123 rejected');
    await out.flush();
    expect(lines[0]).not.toContain('sk_test_secret123');
  });
});
