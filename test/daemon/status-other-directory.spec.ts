import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

// REVIEW-37a L-1: a store shared by two teams' directories (README, "Only a removed manifest
// deletes"). Team a's controller leaves team b's audience alone, and its /status must not call
// that healthy audience `blocked` with `MANIFEST_INVALID` (the state of a broken file's audience,
// which needs a person): it is not listed there, still counted as held and named on /plan.

const spec = controllerSpec('review-37a-');

describe("run: another directory's audiences in a shared store", () => {
  it('are not reported as blocked by an invalid manifest', async () => {
    const { em, root } = await spec.setUp();
    const teamA = path.join(root, 'teams', 'a');
    const teamB = path.join(root, 'teams', 'b');
    const state = path.join(root, 'state');
    await mkdir(teamA, { recursive: true });
    await mkdir(teamB, { recursive: true });
    await mkdir(state);
    const quiet = { ingestion: { onCreate: false } };
    await writeFile(path.join(teamA, 'alpha.yaml'), manifestYaml('alpha', quiet));
    await writeFile(path.join(teamB, 'beta.yaml'), manifestYaml('beta', quiet));
    // A premise: the CLI's entry in this process (cli-in-process.ts); the controller is spawned.
    const applied = await runCliInProcess(['apply', teamB, '--state', state, '--auto-approve'], {
      env: emulatorEnv(em),
    });
    expect(applied.code).toBe(0);

    const ctl = await spec.start(['--dir', teamA, '--state', state, '--interval', '1h'], controllerEnv(em));
    const status = await statusWhen(ctl, (s) => s.reconcile.lastResult === 'success', 'the first pass');
    const beta = status.audiences.find((a) => a.key === 'beta');
    expect(status.diagnostics).toEqual([]);
    expect(beta?.lastError?.code).not.toBe('MANIFEST_INVALID');
    expect(beta?.state).not.toBe('blocked');
    // Left out of this controller's audiences, still counted as held and named on /plan.
    expect(status.audiences.map((a) => `${a.key} ${a.state}`)).toEqual(['alpha in-sync']);
    expect(status.plan?.summary['held']).toBe(1);
    const planned = await fetch(`${ctl.url}/plan`);
    expect(await planned.text()).toContain('prod/beta');
  }, 60_000);
});
