import { describe, expect, it } from 'vitest';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, kinds, options } from '../../test/helpers/planning.js';
import type { RecordedState, RunRecord } from '../state/schema.js';
import { plan } from './plan.js';
import { renderText } from './render/text.js';
import type { RunsRead } from './schema.js';

// A run an apply left after --run-wait, read again before planning, as data (review 35b, H-1, M-2).
const desired = loadTexts({
  'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: true, every: '1m' } }),
});
const NOW = 1_800_000_000;
const left: RunRecord = {
  runId: 'run-1',
  status: 'PROCESSING',
  createdAt: NOW - 600,
  dataFilterStartTime: 0,
  reason: 'onCreate',
};

function withLeftRun(): RecordedState {
  const state = appliedState(desired, NOW - 600);
  return { ...state, audiences: state.audiences.map((record) => ({ ...record, runs: [left] })) };
}

function planWith(runsRead: RunsRead | undefined) {
  return plan(desired, withLeftRun(), options({ now: NOW, ...(runsRead ? { runsRead } : {}) }));
}

describe('runs left in progress, read again', () => {
  it('without a read: no run planned, nothing said (as before: nothing was asked)', () => {
    const result = planWith(undefined);
    expect(kinds(result)).toEqual([]);
    expect(result.runsInProgress).toBeUndefined();
  });

  it('read ended: the period is timed from it and the every run is planned', () => {
    const result = planWith({
      'prod/gold': { kind: 'read', run: { ...left, status: 'SUCCESS', dataFilterEndTime: NOW - 500 } },
    });
    expect(kinds(result)).toEqual(['run prod/gold']);
    expect(result.steps[0]!.run).toEqual({ reason: 'every', dataFilterStartTime: NOW - 500 });
    expect(result.runsInProgress).toBeUndefined();
  });

  it('read FAILED, the period not yet passed: the plan says the last run failed', () => {
    const failed = {
      ...left,
      status: 'FAILED',
      failureReason: 'Profile ingestion failed.',
      createdAt: NOW - 30,
    };
    const result = planWith({ 'prod/gold': { kind: 'read', run: failed } });
    expect(result.failedRuns).toEqual([
      {
        sandbox: 'prod',
        key: 'gold',
        runId: 'run-1',
        reason: 'Profile ingestion failed.',
        next: 'change ingestion.request to start a new run',
      },
    ]);
  });

  it('read still running: no run starts over it, and the plan says it runs', () => {
    const result = planWith({ 'prod/gold': { kind: 'read', run: { ...left, status: 'QUEUED' } } });
    expect(kinds(result)).toEqual([]);
    expect(result.runsInProgress).toEqual([
      { sandbox: 'prod', key: 'gold', runId: 'run-1', status: 'QUEUED' },
    ]);
    expect(renderText(result, { color: false })).toContain(
      'Runs in progress: 1\n  prod/gold: run run-1 QUEUED; no run of this audience starts until it has ended',
    );
  });

  it('not read: never an answer; no run starts over it, and the plan says why', () => {
    const result = planWith({
      'prod/gold': { kind: 'unread', runId: 'run-1', why: 'the service answered 500' },
    });
    expect(kinds(result)).toEqual([]);
    expect(result.runsInProgress).toEqual([
      {
        sandbox: 'prod',
        key: 'gold',
        runId: 'run-1',
        status: 'PROCESSING',
        unread: 'the service answered 500',
      },
    ]);
    expect(renderText(result, { color: false })).toContain(
      '  prod/gold: run run-1 (recorded PROCESSING): its status could not be read (the service answered 500); no run of this audience starts until it is',
    );
  });
});
