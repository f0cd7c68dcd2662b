import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ManifestInput } from '../../src/manifest/schema.js';
import type { PlanOptions } from '../../src/plan/plan.js';
import { sourceArb } from '../helpers/arbitraries.js';
import { executorEnv } from '../helpers/executor-env.js';
import { useEmulator } from '../helpers/with-emulator.js';
import { runs } from '../helpers/property-runs.js';

/**
 * "Planning again after an apply gives an empty plan", with the real executor against
 * the emulator (not a test copy of what an apply records): for random sources before and
 * after (specs, sandboxes, deletion policies, replacements, first runs), apply both, then
 * plan again. Only moves stay: they are blocked until a person decides.
 */
const emulator = useEmulator({ operationDelayMs: 0, runStageDelayMs: 0 });

const permissive: Partial<PlanOptions> = {
  allowReplace: true,
  allowMassDelete: true,
  allowEmptySource: true,
  runBudget: { perSandboxPerDay: 1000, perAudiencePerDay: 1000 },
};

async function applyThenReplan(before: ManifestInput[], after: ManifestInput[]): Promise<void> {
  emulator().control.reset();
  const stateDir = await mkdtemp(path.join(tmpdir(), 'audiencectl-replan-'));
  try {
    const env = executorEnv(emulator(), stateDir);
    await env.apply(before, { plan: permissive });
    const second = await env.apply(after, { plan: permissive });
    const failed = (second.report?.results ?? []).filter((r) => r.status === 'failed');
    expect(failed.map((r) => `${r.step.id}: ${r.message}`)).toEqual([]);
    const moves = second.plan.steps.filter((s) => s.kind === 'move').map((s) => s.id);
    const again = await env.plan(after, permissive);
    expect(again.steps.map((s) => `${s.id}${s.blocked ? ' (blocked)' : ''}`)).toEqual(
      moves.map((id) => `${id} (blocked)`),
    );
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

describe('planning again after applying (real executor, emulator)', () => {
  it('gives an empty plan, but for blocked moves', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(sourceArb, sourceArb, (before, after) => applyThenReplan(before, after)),
      { numRuns: runs(10) },
    );
  });
});
