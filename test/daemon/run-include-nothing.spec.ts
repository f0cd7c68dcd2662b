import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

/**
 * Review 33, L-1. README ("Commands"): filters that select no file (a typo:
 * `--include 'audences/**'`) are a warning (source/include-matched-nothing), so that nothing
 * is passed over in silence, and a plan of nothing read heads its output "No changes: no
 * manifest was read (the filters select no file).", never that the audiences match the
 * manifests. docs/controller.md: a pass is one `apply --auto-approve`, and `GET /plan` is the
 * last plan "as `plan --output markdown` prints it". The controller given the same typo says
 * on /plan that the audiences match the manifests, and /status listed no diagnostic. The built
 * CLI, spawned, against the emulator over HTTP.
 */
const spec = controllerSpec('audiencectl-include-nothing-');

/** This test's emulator, and its temporary directory holding audiences/gold.yaml and a state path beside it. */
async function goldSource(): Promise<{ em: RunningEmulator; dir: string; state: string }> {
  const { em, root } = await spec.setUp();
  const dir = path.join(root, 'audiences');
  await mkdir(dir);
  await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
  return { em, dir, state: path.join(root, 'state') };
}

describe('audiencectl run with an --include that selects no file', () => {
  it('says so on /status and /plan, as plan and apply do', async () => {
    const { em, dir, state } = await goldSource();
    const env = controllerEnv(em);
    await mkdir(state, { recursive: true });
    // gold applied: a premise, run by the CLI's entry in this process (cli-in-process.ts).
    const first = await runCliInProcess(['apply', dir, '--state', state, '--auto-approve'], { env });
    expect(first.code, first.stdout + first.stderr).toBe(0);

    // The CLI, given the typo, says nothing was read (the reference for what follows).
    const cliPlan = await runCli(
      ['plan', dir, '--state', state, '--include', 'audences/**', '--output', 'markdown'],
      {
        env,
      },
    );
    expect(cliPlan.stdout).toContain('**No changes:** no manifest was read (the filters select no file).');

    const ctl = await spec.start(
      ['--dir', dir, '--state', state, '--include', 'audences/**', '--interval', '1h'],
      env,
    );
    const status = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastResult === 'success',
      20_000,
      'the first pass',
    );
    const plan = await (await fetch(`${ctl.url}/plan`)).text();
    expect(plan).not.toContain('The audiences match the manifests');
    expect(plan).toContain('no manifest was read (the filters select no file)');
    expect(status.diagnostics.map((d) => d.rule)).toContain('source/include-matched-nothing');
  });

  it('AUDIENCECTL_EXCLUDE that leaves every file out: the warning on /status, /plan as plan prints it', async () => {
    const { em, dir, state } = await goldSource();
    const ctl = await spec.start(['--dir', dir, '--state', state, '--interval', '1h', '--dry-run'], {
      ...controllerEnv(em),
      AUDIENCECTL_EXCLUDE: '**\n',
    });
    const status = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastResult === 'success',
      20_000,
      'the first pass',
    );
    expect(status.diagnostics).toEqual([
      {
        file: '.',
        rule: 'source/include-matched-nothing',
        severity: 'warning',
        message: 'no file is selected by --exclude **: nothing was read',
      },
    ]);
    const plan = await (await fetch(`${ctl.url}/plan`)).text();
    expect(plan.split('\n').slice(0, 3)).toEqual([
      '### audiencectl plan',
      '',
      '**No changes:** no manifest was read (the filters select no file).',
    ]);
  });
});
