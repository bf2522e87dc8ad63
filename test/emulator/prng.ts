/**
 * Seeded randomness. Every generated value (ids, seeded data, injected faults) comes from a PRNG
 * seeded from the emulator's `seed`, so a run with the same seed and clock is reproducible.
 */

/** Derives an independent stream from a seed and a label, so adding a stream never shifts another. */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x85ebca6b);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** A well-mixed 32-bit seed for item `index` of a stream (cheap; used once per seeded customer). */
export function mixSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * mulberry32: tiny, fast, statistically fine for test data. A class with its state in a field
 * (not a closure) so one instance can be reseeded per seeded customer without allocating.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  reseed(seed: number): this {
    this.state = seed >>> 0;
    return this;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Stripe-style id: prefix + alphanumerics (customer ids carry 14, event ids 24). */
  id(prefix: string, length: number): string {
    return prefix + this.chars(ALNUM, length);
  }

  hex(length: number): string {
    return this.chars(HEX, length);
  }

  /** One flat string per call: building ids with `+=` made seeding 200,000 customers GC-bound. */
  private chars(alphabet: readonly number[], length: number): string {
    const codes = (BUFFERS[length] ??= new Array<number>(length).fill(0));
    for (let i = 0; i < length; i++) {
      codes[i] = alphabet[Math.floor(this.next() * alphabet.length)] as number;
    }
    return String.fromCharCode.apply(null, codes);
  }
}

const toCodes = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const ALNUM = toCodes('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
const HEX = toCodes('0123456789ABCDEF');
/** Scratch arrays by length, reused across calls. */
const BUFFERS: number[][] = [];
