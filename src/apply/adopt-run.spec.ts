import { describe, expect, it } from 'vitest';
import type { Run } from '../aep/types.js';
import { adoptedRunTime, matchRun } from './adopt-run.js';

const SINCE = 1_800_000_000;
const AUDIENCE = 1_749_324_248;

function run(runId: string, createdAt: number, dataFilterStartTime = 0): Run {
  return { runId, createdAt, dataFilterStartTime };
}

/** `count` runs of an audience, newest first; each at `time(i)`. */
function runs(count: number, time: (i: number) => number): Run[] {
  return Array.from({ length: count }, (_, i) => run(`old-${i}`, time(i)));
}

const none = new Set<string>();

describe('matchRun: the run a request whose answer was lost started', () => {
  it('with every run listed before the request: the one new since, whatever its createdAt', () => {
    const before = runs(3, () => AUDIENCE);
    const intent = { dataFilterStartTime: 0, knownRunIds: before.map((r) => r.runId), listedAll: true };
    expect(matchRun([run('ours', AUDIENCE), ...before], intent, SINCE, none)).toEqual({
      kind: 'adopt',
      run: run('ours', AUDIENCE),
    });
    expect(matchRun(before, intent, SINCE, none)).toEqual({ kind: 'none' });
    // A new run with another start time may be another's, or this request's with its start moved
    // by the service: it tells nothing (never "none", which starts a second run); two new ones
    // cannot be told apart; one that echoes the start is the request's, beside another's.
    const moved = matchRun([run('other', AUDIENCE, 5), ...before], intent, SINCE, none);
    expect(moved.kind).toBe('unknown');
    expect(moved.kind === 'unknown' && moved.why).toMatch(
      /\(other\) from dataFilterStartTime 5, where the request sent 0/,
    );
    expect(
      matchRun([run('other', AUDIENCE, 5), run('ours', AUDIENCE), ...before], intent, SINCE, none),
    ).toEqual({
      kind: 'adopt',
      run: run('ours', AUDIENCE),
    });
    const two = matchRun([run('a', AUDIENCE), run('b', AUDIENCE), ...before], intent, SINCE, none);
    expect(two.kind).toBe('unknown');
  });

  it('a list that may be cut, all at one time: neither "none" nor an old run absent before', () => {
    const before = runs(20, () => AUDIENCE);
    const intent = { dataFilterStartTime: 0, knownRunIds: before.map((r) => r.runId), listedAll: false };
    expect(matchRun(before, intent, SINCE, none).kind).toBe('unknown');
    expect(matchRun([run('x', AUDIENCE), ...before.slice(1)], intent, SINCE, none).kind).toBe('unknown');
  });

  it('a page-long list that says it is whole (listRuns: complete), all at one time: it tells', () => {
    const before = runs(20, () => AUDIENCE);
    const intent = { dataFilterStartTime: 0, knownRunIds: before.map((r) => r.runId), listedAll: true };
    const whole = (list: Run[]) => Object.assign(list, { complete: true as const });
    expect(matchRun(whole([...before]), intent, SINCE, none)).toEqual({ kind: 'none' });
    expect(matchRun(whole([run('ours', AUDIENCE), ...before]), intent, SINCE, none)).toEqual({
      kind: 'adopt',
      run: run('ours', AUDIENCE),
    });
    // Said to be cut: absence proves nothing, even of a short list.
    const cut = Object.assign(
      runs(3, () => AUDIENCE),
      { complete: false as const },
    );
    const three = { dataFilterStartTime: 0, knownRunIds: cut.map((r) => r.runId), listedAll: true };
    expect(matchRun(cut, three, SINCE, none).kind).toBe('unknown');
  });

  it('without a list from before: the run time tells, when the listed runs show different times', () => {
    const distinct = runs(3, (i) => SINCE - 3_600 * (i + 1));
    expect(matchRun([run('ours', SINCE + 5), ...distinct], {}, SINCE, none)).toEqual({
      kind: 'adopt',
      run: run('ours', SINCE + 5),
    });
    expect(matchRun(distinct, {}, SINCE, none)).toEqual({ kind: 'none' });
    // Since the request, from another start: it tells nothing; before it, from another start: not ours.
    const sent = { dataFilterStartTime: 0 };
    expect(matchRun([run('moved', SINCE + 5, 7), ...distinct], sent, SINCE, none).kind).toBe('unknown');
    const older = [run('old-other', SINCE - 7_200, 7), ...runs(2, (i) => SINCE - 9_000 - i)];
    expect(matchRun(older, sent, SINCE, none)).toEqual({ kind: 'none' });
    // One time for all: a run the record does not know may be the request's.
    const same = [run('ours', AUDIENCE), run('known', AUDIENCE)];
    expect(matchRun(same, {}, SINCE, new Set(['known'])).kind).toBe('unknown');
    expect(matchRun([run('known', AUDIENCE)], {}, SINCE, new Set(['known']))).toEqual({ kind: 'none' });
  });
});

describe('adoptedRunTime', () => {
  const at = { requested: SINCE, now: SINCE + 600, fallback: SINCE + 3 };
  it("takes the service's createdAt only between the request and now", () => {
    expect(adoptedRunTime(SINCE + 10, at)).toBe(SINCE + 10);
    expect(adoptedRunTime(AUDIENCE, at)).toBe(SINCE + 3);
    expect(adoptedRunTime(undefined, at)).toBe(SINCE + 3);
    expect(adoptedRunTime(4_565_657_575, at)).toBe(SINCE + 3);
  });
});
