/**
 * The density map a full import cuts its slices with: learned from pages, it estimates how many
 * customers a stretch of `created` holds, and where a stretch of so many customers ends, however
 * unevenly customers were created.
 */
import { describe, expect, it } from 'vitest';
import { CreatedDensity } from '../../connector/stripe/created-density';
import { mulberry32 } from '../support/prng';

const DAY = 86_400;

/** Customer `created` times, oldest first: slow years, then growth, with a launch-day burst. */
function account(): number[] {
  const random = mulberry32(7);
  const times: number[] = [];
  const start = 1_600_000_000;
  for (let day = 0; day < 1000; day++) {
    const perDay = day === 700 ? 3000 : Math.floor(2 + day * day * 0.0004);
    for (let i = 0; i < perDay; i++) times.push(start + day * DAY + Math.floor(random() * DAY));
  }
  return times.sort((a, b) => a - b);
}

const countIn = (times: number[], gte: number, lte: number) =>
  times.filter((time) => time >= gte && time <= lte).length;

/** Observes every `every`-th page of `size` customers, as list pages report them. */
function learned(times: number[], every: number, size = 100): CreatedDensity {
  const density = new CreatedDensity();
  for (let page = 0; page * size < times.length; page += every) {
    const items = times.slice(page * size, page * size + size);
    density.observe(items[0] as number, items.at(-1) as number, items.length);
  }
  return density;
}

describe('the created-density map', () => {
  it('cuts stretches of about the customers asked for, in slow years and on the launch day', () => {
    const times = account();
    // A third of the pages read: the list has read that much of a range when search cuts it.
    const density = learned(times, 3);
    const random = mulberry32(11);
    const cuts = Array.from({ length: 200 }, () => {
      const gte = times[Math.floor(random() * (times.length - 5000))] as number;
      return countIn(times, gte, density.endFor(gte, 2000));
    });
    // Within a factor of 1.5 nearly always; only cuts starting right at the edges of the launch
    // day (15 times as dense as the days around it) may be off by more, and never by 2x too long.
    const close = cuts.filter((actual) => actual >= 2000 / 1.5 && actual <= 2000 * 1.5);
    expect(close.length / cuts.length).toBeGreaterThan(0.9);
    expect(Math.max(...cuts)).toBeLessThan(4000);
    expect(Math.min(...cuts)).toBeGreaterThan(400);
  });

  it('estimates what a stretch holds', () => {
    const times = account();
    const density = learned(times, 3);
    const random = mulberry32(3);
    for (let i = 0; i < 200; i++) {
      const a = times[Math.floor(random() * times.length)] as number;
      const b = times[Math.floor(random() * times.length)] as number;
      const [gte, lte] = a < b ? [a, b] : [b, a];
      const actual = countIn(times, gte, lte);
      if (actual < 2000) continue;
      const estimate = density.customersIn(gte, lte);
      expect(estimate / actual).toBeGreaterThan(0.7);
      expect(estimate / actual).toBeLessThan(1.4);
    }
  });

  it('learns that a stretch is empty', () => {
    const density = new CreatedDensity();
    density.observe(1_700_000_000, 1_700_000_100, 100);
    // Extrapolated from the one page: the whole past as dense as it.
    expect(density.customersIn(0, 1_000_000_000)).toBeGreaterThan(1e8);
    density.observe(0, 1_000_000_000, 0);
    expect(density.customersIn(0, 800_000_000)).toBeLessThan(2);
    // A stretch of 500 customers from the empty past ends near the page, not in the year 2001.
    expect(density.endFor(0, 500)).toBeGreaterThan(1_000_000_000);
  });

  it('keeps estimating after more observations than it keeps', () => {
    const times = account();
    // About 7,000 observations of 20 customers: more than the 4,096 kept.
    const density = learned(times, 1, 20);
    const all = density.customersIn(times[0] as number, times.at(-1) as number);
    expect(all / times.length).toBeGreaterThan(0.8);
    expect(all / times.length).toBeLessThan(1.25);
  });
});
