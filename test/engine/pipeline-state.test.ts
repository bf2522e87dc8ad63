/**
 * A pipeline's saved state, in process: what a checkpoint writes (the processed events of the
 * overlap, newest kept first under the cap) and what a saved state must look like to be trusted
 * again. A state the platform hands back damaged must be refused with the stream's name and how to
 * start over, never half-read into a run that then skips or repeats customers.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parsePipelineState } from '../../connector';
import {
  MAX_SEEN_EVENTS,
  SeenEvents,
  isSavedSeenEvents,
} from '../../connector/pipeline/seen-events';
import { fullImportState, incrementalState } from '../../connector/pipeline/state';

const event = (id: string, created: number) => ({ id, created });

describe('processed events', () => {
  it('keep the overlap before the cursor and anything after it, and nothing older', () => {
    const seen = new SeenEvents();
    seen.add(event('evt_old', 699));
    seen.add(event('evt_first', 700));
    seen.add(event('evt_inside', 850));
    seen.add(event('evt_after', 1_200));
    const saved = seen.saved(1_000, 300);
    expect(saved.map(([second]) => second)).toEqual([700, 850, 1_200]);
    const again = SeenEvents.from(saved);
    expect(again.size).toBe(3);
    expect(again.has(event('evt_first', 700))).toBe(true);
    expect(again.has(event('evt_after', 1_200))).toBe(true);
    expect(again.has(event('evt_old', 699))).toBe(false);
    // An event is known by its id and its second together.
    expect(again.has(event('evt_first', 701))).toBe(false);
    expect(again.has(event('evt_other', 700))).toBe(false);
  });

  it('keep at most MAX_SEEN_EVENTS, the newest seconds first, as sorted short keys', () => {
    const seen = new SeenEvents();
    const perSecond = 1_000;
    const seconds = MAX_SEEN_EVENTS / perSecond + 2;
    for (let second = 0; second < seconds; second++) {
      for (let i = 0; i < perSecond; i++) seen.add(event(`evt_${second}_${i}`, 10_000 + second));
    }
    expect(seen.size).toBe(seconds * perSecond);
    const saved = seen.saved(10_000 + seconds, 3_600);
    const kept = saved.reduce((sum, [, keys]) => sum + keys.length, 0);
    expect(kept).toBe(MAX_SEEN_EVENTS);
    // The oldest two seconds are the ones dropped; the rest come oldest first.
    expect(saved.map(([second]) => second)).toEqual(
      Array.from({ length: seconds - 2 }, (_, i) => 10_002 + i),
    );
    for (const [, keys] of saved) {
      expect([...keys].sort()).toEqual(keys);
      expect(keys.every((key) => key.length === 12)).toBe(true);
    }
    expect(SeenEvents.from(saved).has(event('evt_2_0', 10_002))).toBe(true);
    expect(SeenEvents.from(saved).has(event('evt_1_0', 10_001))).toBe(false);
  });

  it('drop part of a second when the cap falls inside it', () => {
    const seen = new SeenEvents();
    for (let i = 0; i < MAX_SEEN_EVENTS; i++) seen.add(event(`evt_new_${i}`, 5_000));
    for (let i = 0; i < 10; i++) seen.add(event(`evt_older_${i}`, 4_999));
    const saved = seen.saved(5_001, 300);
    expect(saved).toHaveLength(1);
    expect(saved[0]![0]).toBe(5_000);
    expect(saved[0]![1]).toHaveLength(MAX_SEEN_EVENTS);
  });

  it('are recognised in the shape a checkpoint writes, and only in it', () => {
    expect(isSavedSeenEvents([])).toBe(true);
    expect(isSavedSeenEvents([[1_000, ['abcdefghijkl']]])).toBe(true);
    expect(isSavedSeenEvents([[1_000, []]])).toBe(true);
    for (const bad of [
      {},
      'x',
      [[1_000]],
      [[1_000, ['a'], 'extra']],
      [[1_000.5, ['a']]],
      [['1000', ['a']]],
      [[1_000, 'a']],
      [[1_000, ['a', '']]],
      [[1_000, ['a', 7]]],
      [[1_000, ['a']], 'x'],
    ]) {
      expect(isSavedSeenEvents(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('saved states', () => {
  const seen = SeenEvents.from([[1_699_999_900, ['abcdefghijkl']]]);

  it('read back exactly as a checkpoint wrote them', () => {
    const incremental = incrementalState(1_700_000_000, seen, 300, 'fp');
    expect(incremental).toEqual({
      version: 1,
      phase: 'incremental',
      events_cursor: 1_700_000_000,
      seen_events: [[1_699_999_900, ['abcdefghijkl']]],
      fingerprint: 'fp',
    });
    expect(parsePipelineState(JSON.parse(JSON.stringify(incremental)), 's')).toEqual(incremental);
    const importing = fullImportState(
      1_700_000_000,
      [
        [0, 1_600_000_000],
        [1_600_000_001, 1_650_000_000, 'cus_last'],
      ],
      seen,
      300,
      'fp',
    );
    expect(importing).toMatchObject({ phase: 'full_import', events_cursor: 1_700_000_000 });
    expect(parsePipelineState(JSON.parse(JSON.stringify(importing)), 's')).toEqual(importing);
  });

  it('without seen events or fingerprint are still read (older versions wrote none)', () => {
    expect(
      parsePipelineState({ version: 1, phase: 'incremental', events_cursor: 1_700_000_000 }, 's'),
    ).toEqual({
      version: 1,
      phase: 'incremental',
      events_cursor: 1_700_000_000,
      fingerprint: undefined,
    });
    expect(
      parsePipelineState(
        { version: 1, phase: 'incremental', events_cursor: 0, fingerprint: 42 },
        's',
      ),
    ).toMatchObject({ events_cursor: 0, fingerprint: undefined });
  });

  it('that are missing or empty mean "no state"', () => {
    expect(parsePipelineState(undefined, 's')).toBeUndefined();
    expect(parsePipelineState(null, 's')).toBeUndefined();
    expect(parsePipelineState({}, 's')).toBeUndefined();
  });

  it('that this connector did not write are refused, naming the stream, the problem and the way out', () => {
    const valid = { version: 1, phase: 'incremental', events_cursor: 1_700_000_000 };
    const cases: Array<[unknown, RegExp]> = [
      ['a string', /it is not an object/],
      [[valid], /it is not an object/],
      [{ ...valid, version: 2 }, /unknown version 2/],
      [{ ...valid, version: undefined }, /unknown version undefined/],
      [{ ...valid, events_cursor: '1700000000' }, /`events_cursor` must be a unix time/],
      [{ ...valid, events_cursor: 1.5 }, /`events_cursor` must be a unix time/],
      [{ ...valid, events_cursor: -1 }, /`events_cursor` must be a unix time/],
      [{ ...valid, events_cursor: 1e11 }, /`events_cursor` must be a unix time/],
      [
        { ...valid, seen_events: [[1, 'x']] },
        /`seen_events` must be a list of \[second, \[keys\]\]/,
      ],
      [{ ...valid, phase: 'done' }, /unknown phase "done"/],
      [{ ...valid, phase: 'full_import' }, /`remaining` must be a list/],
      [{ ...valid, phase: 'full_import', remaining: {} }, /`remaining` must be a list/],
      [{ ...valid, phase: 'full_import', remaining: [[5, 4]] }, /`remaining` must be a list/],
      [{ ...valid, phase: 'full_import', remaining: [[1]] }, /`remaining` must be a list/],
      [{ ...valid, phase: 'full_import', remaining: [[1, 2, '']] }, /`remaining` must be a list/],
      [{ ...valid, phase: 'full_import', remaining: [[1, 2, 3]] }, /`remaining` must be a list/],
      [
        { ...valid, phase: 'full_import', remaining: [[1, 2, 'c', 4]] },
        /`remaining` must be a list/,
      ],
      [{ ...valid, phase: 'full_import', remaining: [[-1, 2]] }, /`remaining` must be a list/],
      [{ ...valid, phase: 'full_import', remaining: [[1, 1e11]] }, /`remaining` must be a list/],
      [{ ...valid, phase: 'full_import', remaining: ['1-2'] }, /`remaining` must be a list/],
    ];
    for (const [blob, reason] of cases) {
      let error: unknown;
      try {
        parsePipelineState(blob, 'eu_pro');
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(blob)).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message, JSON.stringify(blob)).toMatch(reason);
      expect(message).toMatch(
        /The saved state of pipeline "eu_pro" is not one this connector wrote/,
      );
      expect(message).toMatch(/Clear the pipeline's saved state to start again with a full import/);
    }
  });

  it('keep a one-second slice and a resumed slice as they were saved', () => {
    const state = parsePipelineState(
      {
        version: 1,
        phase: 'full_import',
        events_cursor: 10,
        remaining: [
          [7, 7],
          [8, 9, 'cus_x'],
        ],
      },
      's',
    );
    expect(state).toEqual({
      version: 1,
      phase: 'full_import',
      events_cursor: 10,
      remaining: [
        [7, 7],
        [8, 9, 'cus_x'],
      ],
      fingerprint: undefined,
    });
  });
});
