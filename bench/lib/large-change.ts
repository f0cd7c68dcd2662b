/**
 * Change-to-applied latency of one changed file in a large repository (issue 15): the
 * controller (built dist/, a child process) follows N audiences that exist in the
 * emulator and are recorded as applied; one manifest's description changes; the time runs
 * until the emulator has handled the PATCH. Measured with incremental reads (the default)
 * and with `--full-reads` (every manifest read on every pass, as before) in the same run,
 * through a watched directory and through a git push announced by a webhook.
 */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { sendPushWebhook } from './push-webhook.js';
import { DEMO_CLIENT, DEMO_SANDBOX, type RunningEmulator } from '../../src/emulator/index.js';
import {
  controllerEnv,
  eventually,
  sleep,
  startController,
  type ControllerProcess,
} from '../../test/daemon/helpers/controller.js';
import { createGitFixture, type GitFixture } from '../../test/source/helpers/git-fixture.js';
import { benchManifest, generateRepo } from './generate.js';

const SECRET = 'bench-webhook-secret';
/** The file that changes: generateRepo puts audience 0 in group-0. */
const CHANGED = path.join('group-0', 'audience-0.yaml');

export type LargeFigures = {
  latencies: number[];
  apiTimes: number[];
  /** The controller's own "manifests read" times (ms) of the measured passes. */
  readTimes: number[];
  /** Whole passes ("reconcile finished": read, state, plan, apply), ms. */
  passTimes: number[];
  /** git fetch and checkout of the new revision ("checked out new revision"), ms; empty for --dir. */
  syncTimes: number[];
};
type Mode = 'incremental' | 'full-reads';

function manifest(description: string): string {
  const input = benchManifest(0);
  return stringify({
    ...input,
    metadata: { ...input.metadata, sandbox: DEMO_SANDBOX },
    spec: { ...input.spec, description },
  });
}

/** The audiences exist in the emulator as if created long ago; the state records them applied. */
export async function seedLargeRepo(
  emulator: RunningEmulator,
  root: string,
  count: number,
): Promise<{ manifests: string; state: string }> {
  const ids = new Map<string, string>();
  for (let index = 0; index < count; index += 1) {
    const input = benchManifest(index);
    const created = emulator.control.uiCreateAudience(DEMO_CLIENT.orgId, DEMO_SANDBOX, input.spec, 'bench');
    ids.set(input.metadata.name, created.id);
  }
  return generateRepo(root, count, true, {
    sandbox: DEMO_SANDBOX,
    audienceIdOf: (m) => ids.get(m.metadata.name) ?? '',
  });
}

/** Waits for a PATCH the emulator handled after `since` (epoch ms); returns when it was answered. */
async function patchedAfter(emulator: RunningEmulator, since: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const log = emulator.control.requestLog(20);
    if (log.some((entry) => entry.method === 'PATCH' && entry.time >= since && entry.status === 200)) return;
    if (Date.now() > deadline) throw new Error('no PATCH within 120 s');
    await sleep(5);
  }
}

async function measure(
  emulator: RunningEmulator,
  controller: ControllerProcess,
  samples: number,
  change: (description: string) => Promise<void>,
): Promise<LargeFigures> {
  const figures: LargeFigures = { latencies: [], apiTimes: [], readTimes: [], passTimes: [], syncTimes: [] };
  for (let i = 0; i < samples; i += 1) {
    const logsBefore = controller.logs.length;
    const since = Date.now();
    const started = await change(`large ${i} ${since}`).then(() => performance.now());
    await patchedAfter(emulator, since);
    figures.latencies.push(performance.now() - started);
    // Let the pass finish (its log line) before the next change.
    const finished = await controller.waitForLog(
      (line) => line.msg === 'reconcile finished' && controller.logs.indexOf(line) >= logsBefore,
      120_000,
    );
    const calls = emulator.control.requestLog().filter((entry) => entry.time >= since);
    figures.apiTimes.push(calls.reduce((sum, entry) => sum + entry.durationMs, 0));
    const lines = controller.logs.slice(logsBefore);
    const read = lines.find(
      (line) => line.msg === 'manifests read' && line['revision'] === finished['revision'],
    );
    figures.readTimes.push(Number(read?.['ms'] ?? NaN));
    figures.passTimes.push(Number(finished['ms'] ?? NaN));
    const synced = lines.find((line) => line.msg === 'checked out new revision');
    if (synced) figures.syncTimes.push(Number(synced['ms'] ?? NaN));
  }
  return figures;
}

function env(emulator: RunningEmulator, mode: Mode): Record<string, string> {
  return {
    ...controllerEnv(emulator),
    AUDIENCECTL_LOG_LEVEL: 'info',
    AUDIENCECTL_FULL_READS: mode === 'full-reads' ? 'true' : 'false',
    AUDIENCECTL_WEBHOOK_SECRET: SECRET,
  };
}

async function firstPass(controller: ControllerProcess): Promise<void> {
  await eventually(
    () => controller.status(),
    (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
    600_000,
    'the first pass',
  );
}

/** `--dir` on the manifests, edited in place. */
export async function largeWatched(
  emulator: RunningEmulator,
  repo: { manifests: string; state: string },
  mode: Mode,
  samples: number,
): Promise<LargeFigures> {
  const controller = await startController(
    ['--dir', repo.manifests, '--state', repo.state, '--interval', '1h', '--resync-interval', '1h'],
    env(emulator, mode),
    600_000,
  );
  try {
    await firstPass(controller);
    return await measure(emulator, controller, samples, (d) =>
      writeFile(path.join(repo.manifests, CHANGED), manifest(d)),
    );
  } finally {
    await controller.stop();
  }
}

/** The manifests committed under audiences/ of a repository the controller follows. */
export async function largeGitRepo(manifests: string): Promise<GitFixture> {
  const fixture = await createGitFixture();
  const files: Record<string, string> = {};
  for (const entry of await readdir(manifests, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files[path.join('audiences', path.relative(manifests, full))] = await readFile(full, 'utf8');
  }
  await fixture.commit(files);
  return fixture;
}

/** A commit pushed to the bare repository, then the webhook; the clock starts at the webhook. */
export async function largePush(
  emulator: RunningEmulator,
  repo: GitFixture,
  state: string,
  mode: Mode,
  samples: number,
): Promise<LargeFigures> {
  const workDir = `${repo.workDir}-${mode}`;
  const controller = await startController(
    [
      ...['--repo', repo.bare, '--allow-file-urls', '--work-dir', workDir, '--path', 'audiences'],
      ...['--state', state, '--interval', '1h', '--resync-interval', '1h'],
    ],
    env(emulator, mode),
    600_000,
  );
  try {
    await firstPass(controller);
    return await measure(emulator, controller, samples, async (description) => {
      const sha = await repo.commit({ [path.join('audiences', CHANGED)]: manifest(description) });
      await sendPushWebhook(controller.url, sha, SECRET);
    });
  } finally {
    await controller.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
