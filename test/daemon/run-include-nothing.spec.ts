import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventually,
  startController,
  type ControllerProcess,
} from './helpers/controller.js';

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
let emulator: RunningEmulator | undefined;
let root: string | undefined;
let controller: ControllerProcess | undefined;

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp({ controller, emulator, dir: root });
  controller = emulator = root = undefined;
});

describe('audiencectl run with an --include that selects no file', () => {
  it('says so on /status and /plan, as plan and apply do', async () => {
    emulator = await startEmulator({ port: 0 });
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-review33-'));
    const dir = path.join(root, 'audiences');
    const state = path.join(root, 'state');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const env = controllerEnv(emulator);
    await mkdir(state, { recursive: true });
    const first = await runCli(['apply', dir, '--state', state, '--auto-approve'], { env });
    expect(first.code, first.stdout + first.stderr).toBe(0);

    // The CLI, given the typo, says nothing was read (the reference for what follows).
    const cliPlan = await runCli(
      ['plan', dir, '--state', state, '--include', 'audences/**', '--output', 'markdown'],
      {
        env,
      },
    );
    expect(cliPlan.stdout).toContain('**No changes:** no manifest was read (the filters select no file).');

    controller = await startController(
      ['--dir', dir, '--state', state, '--include', 'audences/**', '--interval', '1h'],
      env,
    );
    const ctl = controller;
    const status = await eventually(
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
    emulator = await startEmulator({ port: 0 });
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-include-nothing-'));
    const dir = path.join(root, 'audiences');
    const state = path.join(root, 'state');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    controller = await startController(['--dir', dir, '--state', state, '--interval', '1h', '--dry-run'], {
      ...controllerEnv(emulator),
      AUDIENCECTL_EXCLUDE: '**\n',
    });
    const ctl = controller;
    const status = await eventually(
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
