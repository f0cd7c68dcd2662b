import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { quickRetries } from '../helpers/apply-env.js';
import { manifestYaml } from '../helpers/manifests.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { assertBuilt, controllerEnv } from '../daemon/helpers/controller.js';

// Review 35b, H-1 through `apply`. The first apply leaves gold's run with "still PROCESSING;
// recorded, the next plan follows it". The next apply, after the run ended and the `every`
// period passed, said "No changes" and started no run: the recorded run was never read again,
// and no periodic run is planned while it looks in progress. Now the next plan reads it again
// (src/apply/left-runs.ts). A run whose status cannot be read may still be running: the plan
// says so and starts none over it. The period passes in the service's clock, moved 10 minutes on
// (past the 5 minutes within which audiencectl trusts its own): runs are then timed in AEP's.
// A run takes 2 minutes of the service's clock, so only that move ends it, however slow the
// machine; each apply follows its runs for 300 ms of its own (--run-wait) and leaves them
// PROCESSING. The client's retries wait milliseconds (quickRetries): the run reads refused with 500
// fail each attempt as often, without the default backoff's seconds.

let emulator: RunningEmulator | undefined;
let root: string | undefined;

beforeAll(assertBuilt);
afterEach(async () => {
  await emulator?.close();
  if (root) await rm(root, { recursive: true, force: true });
  emulator = root = undefined;
});

/** What each apply here passes: it follows its runs this long, then leaves them recorded. */
const RUN_WAIT = ['--run-wait', '300ms'];

async function leftRun(): Promise<{ args: string[]; env: NodeJS.ProcessEnv; em: RunningEmulator }> {
  // Runs succeed, 2 x 1 minute (of the service's clock) after they start.
  const em = await startEmulator({ port: 0, runStageDelayMs: 60_000 });
  emulator = em;
  root = await mkdtemp(path.join(tmpdir(), 'every-run-left-cli-'));
  const dir = path.join(root, 'manifests');
  await mkdir(dir);
  await mkdir(path.join(root, 'state'));
  await writeFile(
    path.join(dir, 'gold.yaml'),
    manifestYaml('gold', { ingestion: { onCreate: true, every: '1m' } }),
  );
  const env = { ...controllerEnv(em), ...(await quickRetries(root)) };
  const args = [dir, '--state', path.join(root, 'state')];
  // The premise, by the CLI's entry in this process (a spawn costs ~0.5 s of CPU); the applies
  // and plans each case is about are spawned.
  const first = await runCliInProcess(['apply', ...args, '--auto-approve', ...RUN_WAIT], { env });
  expect(first.stdout).toContain('still PROCESSING; recorded, the next plan follows it');
  return { args, env, em };
}

function runsOf(em: RunningEmulator) {
  const [audience] = em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
  return em.control.listRuns(DEMO_CLIENT.orgId, DEMO_SANDBOX, audience!.audienceId);
}

describe('apply: an every run after a run left in progress (review 35b)', { timeout: 60_000 }, () => {
  it('follows the recorded run and starts the periodic run once the period has passed', async () => {
    const { args, env, em } = await leftRun();
    // Ten minutes pass in the service: the run has ended, and the period with it.
    em.control.updateSettings({ clockOffsetMs: 10 * 60_000 });
    const second = await runCli(['apply', ...args, '--auto-approve', ...RUN_WAIT], { env });
    const runs = runsOf(em);
    expect(second.stdout).not.toContain('No changes');
    expect(second.stdout).toContain('periodic run (every 1m)');
    expect(runs.map((run) => run.status)).toEqual(['SUCCESS', expect.any(String)]);
  });

  it('starts no run over one whose status cannot be read, and says so', async () => {
    const { args, env, em } = await leftRun();
    em.control.updateSettings({ clockOffsetMs: 10 * 60_000 });
    // Every read of a run fails (the client's retries included).
    em.control.queueFault({ kind: 'error500', endpoint: 'getRun', count: 1_000 });
    const plan = await runCli(['plan', ...args], { env });
    expect(plan.stdout).toContain('Runs in progress: 1');
    expect(plan.stdout).toMatch(
      /prod\/gold: run \S+ \(recorded PROCESSING\): its status could not be read \(.+\); no run of this audience starts until it is/,
    );
    const apply = await runCli(['apply', ...args, '--auto-approve', ...RUN_WAIT], { env });
    expect(apply.stdout).toContain('Runs in progress: 1');
    expect(apply.stdout).toContain('its status could not be read');
    expect(runsOf(em)).toHaveLength(1);
  });
});
