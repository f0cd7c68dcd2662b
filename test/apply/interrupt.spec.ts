import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABORT_MESSAGE, DRAIN_MESSAGE } from '../../src/cli/interrupt.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { openStateStore } from '../../src/state/open.js';
import { newRecord } from '../../src/state/record-changes.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import type { CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { census } from '../helpers/converge.js';
import { executorEnv, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { startGateway } from '../helpers/gateway.js';
import { HELD_CREATE, waitOutHeldCreates } from '../helpers/held-creates.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { useStores } from '../state/stores.js';
import { answered, applyAt, holdAnswers, spawnApply, type ApplyChild } from './helpers/interrupted-apply.js';

/**
 * Ctrl-C and SIGTERM during `apply`, on the process users run. The emulator holds the
 * answer of a chosen request, so the signal provably lands while that call is in
 * flight; no timing is assumed.
 */

const stores = useStores();
const quiet = (name: string, extra: Parameters<typeof manifestObject>[1] = {}) =>
  manifestObject(name, { ingestion: { onCreate: false }, ...extra });
const STACK = /\n\s+at /;

async function records(location: string): Promise<Map<string, AudienceRecord>> {
  const store = await openStateStore(location);
  try {
    return new Map((await store.readAll()).audiences.map((r) => [r.key, r]));
  } finally {
    await store.close();
  }
}

/**
 * Applies until the plan is empty; the first apply fails if the lock were still held. A create
 * whose POST the abort cut may have landed, so the apply holds it (steps/create-hold.ts): which
 * creates were in flight at the signal depends on the machine's load, so its wait is waited out.
 */
async function resume(
  env: ExecutorEnv,
  location: string,
  manifests: readonly ManifestInput[],
  sourceRoot?: string,
) {
  let last: string[] = [];
  for (let applies = 1; applies <= 5; applies += 1) {
    const outcome = await applyAt(env, location, manifests, sourceRoot);
    if (outcome.plan.steps.length === 0) return;
    last = (outcome.report?.results ?? []).map((result) => `${result.step.key}: ${result.message}`);
    if (last.some((line) => line.includes(HELD_CREATE))) {
      const store = await openStateStore(location);
      try {
        await waitOutHeldCreates(store);
      } finally {
        await store.close();
      }
    }
  }
  throw new Error(`no convergence after 5 applies; the last one's results: ${last.join(' | ')}`);
}

/** A fresh directory store (`state`) and manifests folder (`dir`) under `root`, for the built CLI's apply. */
async function applyDirs(emulator: Parameters<typeof executorEnv>[0]) {
  const root = await freshDir();
  const state = path.join(root, 'state');
  await mkdir(state);
  return { root, state, env: executorEnv(emulator, state), dir: new ManifestDir(path.join(root, 'm')) };
}

/**
 * The built CLI's apply of `dirs`' manifests, behind a gateway that holds AEP's clock read (the
 * Audiences API's list, one audience) and never answers it, with timeouts far beyond the test's:
 * one SIGINT once the gateway has the read, so the drain provably lands during it. The process
 * must then end on its own, drained, not aborted, without a stack trace.
 */
async function drainedAtClockRead(
  emulatorUrl: string,
  { root, env, dir, state }: Awaited<ReturnType<typeof applyDirs>>,
) {
  const gateway = await startGateway(emulatorUrl);
  gateway.choose((method, url) =>
    method === 'GET' && url.startsWith('/data/core/ups/audiences?') ? 'hold' : 'pass',
  );
  const config = path.join(root, 'audiencectl.yaml');
  const hour = 3_600_000;
  await writeFile(
    config,
    [
      `baseUrl: ${gateway.url}/data/core/ais`,
      `timeouts: { socketMs: ${hour}, responseMs: ${hour}, requestMs: ${hour} }`,
      '',
    ].join('\n'),
  );
  try {
    const apply = spawnApply(env, dir.dir, state, ['--config', config]);
    await gateway.held;
    apply.signal('SIGINT');
    const result = await apply.exited;
    expect(result.stderr).toContain(DRAIN_MESSAGE);
    expect(result.stderr).not.toContain(ABORT_MESSAGE);
    expect(result.stderr).not.toMatch(STACK);
    return result;
  } finally {
    await gateway.close();
  }
}

const freshDir = (() => {
  const directory = stores.find((s) => s.name === 'directory')!;
  return () => directory.fresh();
})();

describe('the first Ctrl-C drains', () => {
  it('calls in flight finish and are recorded, a started run is reported running and recorded, nothing new starts', async () => {
    // Runs stay in progress for the whole test: a run is "already started" when the signal comes.
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 600_000 }, async (emulator) => {
      const state = path.join(await freshDir(), 'state');
      await mkdir(state);
      const env = executorEnv(emulator, state);
      await resume(env, state, [quiet('a0'), quiet('a1')]);
      // a0: a run is requested. a1: a PATCH, then a run that must not start.
      const after = [
        quiet('a0', { ingestion: { onCreate: false, request: 'r1' } }),
        quiet('a1', { spec: { description: 'edited' }, ingestion: { onCreate: false, request: 'r1' } }),
      ];
      const dir = new ManifestDir(path.join(await freshDir(), 'm'));
      await dir.write(after);

      const patch = holdAnswers(env, 'patchAudience');
      const runStarted = answered(env, 'startRun');
      try {
        const apply = spawnApply(env, dir.dir, state);
        await Promise.all([patch.arrived, runStarted]);
        apply.signal('SIGINT');
        await apply.stderrShows(DRAIN_MESSAGE);
        patch.release();
        const result = await apply.exited;

        expect(result.stderr).not.toContain(ABORT_MESSAGE);
        expect(result.stderr).not.toMatch(STACK);
        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(/prod\/a0 .*run .* still /);
        expect(result.stdout).toContain('1 run(s) still running');
        expect(result.stdout).toContain('1 run(s) started and still running are recorded');
      } finally {
        patch.stop();
      }
      const recorded = await records(state);
      expect(recorded.get('a0')?.runs[0]).toMatchObject({ reason: 'request:r1', status: 'PROCESSING' });
      expect(recorded.get('a1')?.applied?.spec.description).toBe('edited');
      expect(recorded.get('a1')?.intent).toBeUndefined();
      expect(Object.fromEntries((await census(env)).runs)).toEqual({ 'Audience a0': 1, 'Audience a1': 0 });

      // The next apply (no lock wait) starts only a1's run.
      await resume(env, state, after);
      const counted = await census(env);
      expect(Object.fromEntries(counted.runs)).toEqual({ 'Audience a0': 1, 'Audience a1': 1 });
      expect(counted.duplicates).toEqual([]);
    });
  });
});

describe('the first Ctrl-C while a run is followed', () => {
  it('reports the run running and recorded, and the apply exits 1 though no step failed', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 600_000 }, async (emulator) => {
      const state = path.join(await freshDir(), 'state');
      await mkdir(state);
      const env = executorEnv(emulator, state);
      const dir = new ManifestDir(path.join(await freshDir(), 'm'));
      // Recorded as applied from the directory the CLI applies below: no record-only step.
      await resume(env, state, [quiet('a0')], dir.dir);
      await dir.write([quiet('a0', { ingestion: { onCreate: false, request: 'r1' } })]);
      // Its only step: the run, followed (its status read) when the signal comes.
      const following = answered(env, 'getRun');
      const apply = spawnApply(env, dir.dir, state);
      await following;
      apply.signal('SIGINT');
      const result = await apply.exited;
      expect(result.stderr).toContain(DRAIN_MESSAGE);
      expect(result.stderr).not.toMatch(STACK);
      expect(result.stdout).toMatch(/prod\/a0 run: run .* still /);
      expect(result.stdout).toContain(
        'Apply: 0 applied, 1 run(s) still running, 0 failed, 0 blocked, 0 deferred, 0 skipped.',
      );
      expect(result.stdout).toContain('1 run(s) started and still running are recorded');
      // Interrupted: not a success, though every step it began was done or recorded.
      expect(result.code).toBe(1);
      expect((await records(state)).get('a0')?.runs[0]).toMatchObject({
        reason: 'request:r1',
        status: 'PROCESSING',
      });
    });
  });
});

describe('the first Ctrl-C during `apply plan.json`', () => {
  it('says the way on is a new plan (the saved one is stale now), and that way works (review 20b, L4)', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 600_000 }, async (emulator) => {
      const root = await freshDir();
      const state = path.join(root, 'state');
      await mkdir(state);
      const env = executorEnv(emulator, state);
      await resume(env, state, [quiet('a1')]);
      // a1: a PATCH, then a run that must not start.
      const after = [
        quiet('a1', { spec: { description: 'edited' }, ingestion: { onCreate: false, request: 'r1' } }),
      ];
      const dir = new ManifestDir(path.join(root, 'm'));
      await dir.write(after);
      const saved = path.join(root, 'p.json');
      const cliEnv = emulatorEnv(emulator);
      // Made with guards and a run budget of its own: the way on printed must plan with them
      // (it once carried only the scope: a plan made with --max-deletes 0, made again as
      // printed, deleted; review 21, H1).
      const guards = ['--max-deletes', '0', '--allow-replace', '--runs-per-audience', '3'];
      const planned = await runCliInProcess(
        ['plan', dir.dir, '--state', state, ...guards, '--output', 'json', '--out', saved],
        { env: cliEnv },
      );
      expect(planned.code).toBe(0);

      const patch = holdAnswers(env, 'patchAudience');
      let result: CliResult;
      try {
        const apply = spawnApply(env, saved, state);
        await patch.arrived;
        apply.signal('SIGINT');
        await apply.stderrShows(DRAIN_MESSAGE);
        patch.release();
        result = await apply.exited;
      } finally {
        patch.stop();
      }
      expect(result.stderr).not.toMatch(STACK);
      expect(result.code).toBe(1);
      const planAgain = `audiencectl plan ${dir.dir} --max-deletes 0 --allow-replace --runs-per-audience 3 --output json --out ${saved} --state ${state}`;
      const applyAgain = `audiencectl apply ${saved} --state ${state}`;
      expect(result.stdout).toContain(
        `\nStopped before the end: 1 step(s) not started; ${saved} cannot be applied again (the state moved on): plan again with the options it was made with (\`${planAgain}\`) and apply that plan (\`${applyAgain}\`), which picks up where this one stopped.\n`,
      );
      // As said: the same file is refused; a new plan, applied, starts a1's run.
      const again = await runCliInProcess(['apply', saved, '--state', state, '--auto-approve'], {
        env: cliEnv,
      });
      expect([again.code, again.stderr]).toEqual([1, expect.stringContaining(`${saved} is stale`)]);
      const run = (command: string) => runCliInProcess(command.split(' ').slice(1), { env: cliEnv });
      expect((await run(planAgain)).code).toBe(0);
      const applied = await run(`${applyAgain} --auto-approve --run-wait 0`);
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain(
        'Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 0 to forget, 1 run(s) to start',
      );
      expect(Object.fromEntries((await census(env)).runs)).toEqual({ 'Audience a1': 1 });
    });
  });
});

// The drain used to leave the read to finish (up to a request timeout), then skip the creates:
// against a read never answered, this test hung until its own timeout.
describe('the first Ctrl-C while AEP clock is read before the creates', () => {
  it('ends the read at once: the process exits with the read unanswered, and no create is sent', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      const dirs = await applyDirs(emulator);
      const { state, dir } = dirs;
      await dir.write([quiet('c1'), quiet('c2')]);
      // A fresh apply has seen no AEP answer: its creates read one audience first, held.
      const result = await drainedAtClockRead(emulator.url, dirs);
      expect(result.code).toBe(1);
      expect(result.stdout.match(/the apply was stopped before this create was sent/g)).toHaveLength(2);
      expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(0);
      expect([...(await records(state)).keys()]).toEqual([]);
    });
  });
});

// Planning a run with no reading of AEP's clock reads one audience first. The drain used to
// leave that read to finish (up to a request timeout), then cancel the apply anyway.
describe('the first Ctrl-C while AEP clock is read to plan a run', () => {
  it('ends the read at once: the apply is cancelled with the read unanswered, and no run starts', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      const dirs = await applyDirs(emulator);
      const { state, env, dir } = dirs;
      await resume(env, state, [quiet('c1')]);
      await dir.write([quiet('c1', { ingestion: { onCreate: false, request: 'again' } })]);
      const result = await drainedAtClockRead(emulator.url, dirs);
      expect(result.stdout).toContain('Apply cancelled; nothing was changed.');
      expect(emulator.control.counters().byEndpoint.startRun.requests).toBe(0);
    });
  });
});

// A runs-only record whose runs look spent by the local clock is dropped only once AEP's clock
// agrees: read first, and the drain used to wait for that read (review 18).
describe("the first Ctrl-C while AEP's clock is read for a spent runs-only record", () => {
  it('ends the read at once: the apply is cancelled, the record kept', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      const dirs = await applyDirs(emulator);
      const { state, env, dir } = dirs;
      await resume(env, state, [quiet('c1')]);
      const twoDaysAgo = Math.floor(Date.now() / 1000) - 2 * 86_400;
      const store = await openStateStore(state);
      await store.lock();
      await store.put({
        ...newRecord('prod', 'gone'),
        runs: [
          {
            runId: 'r-1',
            status: 'SUCCESS',
            createdAt: twoDaysAgo,
            dataFilterStartTime: 0,
            formerAudienceId: 'a-gone',
          },
        ],
      });
      await store.close();
      await dir.write([quiet('c1')]);
      const result = await drainedAtClockRead(emulator.url, dirs);
      expect(result.stdout).not.toContain('dropped:');
      expect((await records(state)).get('gone')?.runs.map((run) => run.runId)).toEqual(['r-1']);
    });
  });
});

describe.each(stores)('SIGTERM, then Ctrl-C, during apply ($name store)', (kind) => {
  it(
    'stops at once: the lock is free, the intent of the call in flight is kept, the next apply resumes with nothing duplicated',
    { timeout: 60_000 },
    async () => {
      await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
        const location = await kind.fresh();
        const env = executorEnv(emulator, location);
        const manifests = ['a0', 'a1', 'a2', 'a3'].map((name, i) =>
          manifestObject(name, { ingestion: { onCreate: i < 2 } }),
        );
        const dir = new ManifestDir(path.join(await freshDir(), 'm'));
        await dir.write(manifests);

        // The second create is held: the service made the audience, the answer never leaves.
        const create = holdAnswers(env, 'createAudience', (_request, seen) => seen === 2);
        try {
          const apply = spawnApply(env, dir.dir, location);
          await create.arrived;
          apply.signal('SIGTERM');
          await apply.stderrShows(DRAIN_MESSAGE);
          apply.signal('SIGINT');
          const result = await apply.exited;
          expect(result.stderr).toContain(ABORT_MESSAGE);
          expect(result.stderr).not.toMatch(STACK);
          expect(result.code).toBe(1);
        } finally {
          create.stop();
        }
        const kept = [...(await records(location)).values()].filter((r) => r.intent?.kind === 'create');
        expect(kept.length, 'create intents kept').toBeGreaterThanOrEqual(1);

        await resume(env, location, manifests);
        const audiences = emulator.control.listAudiences(env.emulator.client.orgId, 'prod');
        expect(audiences.map((a) => a.audienceName).sort()).toEqual(manifests.map((m) => m.spec.name).sort());
        const runs = audiences.map((a) => [
          a.audienceName,
          emulator.control.listRuns(env.emulator.client.orgId, 'prod', a.audienceId).length,
        ]);
        expect(Object.fromEntries(runs)).toEqual({
          'Audience a0': 1,
          'Audience a1': 1,
          'Audience a2': 0,
          'Audience a3': 0,
        });
        const mapped = [...(await records(location)).values()].map((r) => r.audienceId).sort();
        expect(mapped).toEqual(audiences.map((a) => a.audienceId).sort());
      });
    },
  );
});

/**
 * An apply whose only step is a run of a0, applied from `dir` and signalled once (SIGINT)
 * while the runs list it reads before starting the run is held; `then` goes on from the
 * drain message (the list still held) and returns the apply's outcome. Afterwards no run
 * was started nor left pending, and the next apply starts the run, once.
 */
async function firstSignalDuringRunsRead(
  then: (apply: ApplyChild, list: { release(): void }) => Promise<CliResult>,
): Promise<{ result: CliResult; recorded: AudienceRecord | undefined }> {
  return withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
    const state = path.join(await freshDir(), 'state');
    await mkdir(state);
    const env = executorEnv(emulator, state);
    const dir = new ManifestDir(path.join(await freshDir(), 'm'));
    // Recorded as applied from the directory the CLI applies below: its only step is the run.
    await resume(env, state, [quiet('a0')], dir.dir);
    const after = [quiet('a0', { ingestion: { onCreate: false, request: 'r1' } })];
    await dir.write(after);

    const list = holdAnswers(env, 'listRuns');
    let result: CliResult;
    try {
      const apply = spawnApply(env, dir.dir, state);
      await list.arrived;
      apply.signal('SIGINT');
      await apply.stderrShows(DRAIN_MESSAGE);
      result = await then(apply, list);
    } finally {
      list.stop();
    }
    expect(result.stderr).not.toMatch(STACK);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /\nskipped +prod\/a0 run: the apply was stopped before this run was started: no run started\n/,
    );
    expect(Object.fromEntries((await census(env)).runs)).toEqual({ 'Audience a0': 0 });
    const recorded = (await records(state)).get('a0');
    expect(recorded?.intent).toBeUndefined();

    // The next apply plans the run again and starts it, once.
    await resume(env, state, after);
    expect(Object.fromEntries((await census(env)).runs)).toEqual({ 'Audience a0': 1 });
    return { result, recorded };
  });
}

describe('Ctrl-C twice during the runs read before a run is started', () => {
  it('reports the run step stopped, not failed: no run started, nothing recorded, the next apply starts it', async () => {
    const { result, recorded } = await firstSignalDuringRunsRead(async (apply) => {
      apply.signal('SIGINT');
      return apply.exited;
    });
    expect(result.stderr).toContain(ABORT_MESSAGE);
    expect(result.stdout).toContain('Apply: 0 applied, 0 run(s) still running, 0 failed,');
    expect(recorded).toMatchObject({ runs: [] });
  });
});

describe('the first Ctrl-C during the runs read before a run is started', () => {
  it('starts no run once the read is answered: the step is reported stopped, the next apply starts it', async () => {
    // The runs list is held until the drain is said: the read was in flight, the run not sent.
    const { result } = await firstSignalDuringRunsRead(async (apply, list) => {
      list.release();
      return apply.exited;
    });
    expect(result.stderr).not.toContain(ABORT_MESSAGE);
  });
});
