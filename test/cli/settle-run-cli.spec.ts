import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceBody, useEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { readAll, useTempDirs } from '../state/helpers.js';
import { usePostgres } from '../state/pg.js';

/**
 * `audiencectl state settle-run`, spawned from dist/ against the emulator over HTTP: a person
 * says what a run request whose answer was lost did, where the runs list cannot tell, and the
 * record keeps its runs (they count in the sandbox's daily run budget). In each case the first
 * refusal and the settling are the built CLI's; the other refusals run the same CLI entry in this
 * process (the same code and output, asserted alike).
 *
 * The page's other reading of a run's createdAt (the audience's creation time, the same for all
 * its runs), an audience made while AEP's clock is 2 h behind: a run the request started then
 * shows a time 2 h before it, and where no list from before the request tells it apart by its
 * id, nothing can (test/apply/run-created-at.spec.ts).
 */
const HOUR_MS = 3_600_000;
const emulator = useEmulator({ compat: { runCreatedAt: 'audience' } });
const postgres = usePostgres();
const tempDir = useTempDirs();

async function recordOf(location: string, key = 'gold') {
  return (await readAll(location)).audiences.find((r) => r.key === key);
}

/** The runs the emulator holds for `audienceId`, oldest first. */
function runsOf(audienceId: string) {
  return emulator()
    .control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)
    .sort((a, b) => a.createdAt - b.createdAt);
}

/** One line on stderr, exit 1, nothing on stdout, no stack trace. */
function expectRefused(result: CliResult, message: string): void {
  expect(result.stderr).toBe(`Error: ${message}\n`);
  expect(result.stdout).toBe('');
  expect(result.code).toBe(1);
}

/** A directory of the manifest of `key` (default gold), `ingestion` as given. */
async function manifests(root: string, ingestion: Record<string, unknown>, key = 'gold'): Promise<string> {
  const dir = path.join(root, 'audiences');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${key}.yaml`), manifestYaml(key, { ingestion }));
  return dir;
}

/** A run of `audienceId` started outside audiencectl; its id. */
async function runOutside(service: TestEmulator, audienceId: string, dataFilterStartTime: number) {
  const started = await service.request('POST', `/external-audience/${audienceId}/runs`, {
    body: { dataFilterStartTime },
  });
  if (started.status >= 300) throw new Error(`run not started: ${started.text}`);
  return (started.body as { runId: string }).runId;
}

describe('state settle-run --run-id (directory store)', () => {
  it('records the run the request started, keeps the record untouched on every refusal, and the next apply starts no second run', async () => {
    const root = await tempDir();
    const state = path.join(root, 'state');
    const env = emulatorEnv(emulator());
    // gold is made (with its first run) while AEP's clock is 2 h behind; then it catches up.
    emulator().control.updateSettings({ clockOffsetMs: -2 * HOUR_MS });
    const dir = await manifests(root, { onCreate: true });
    expect((await apply(dir, state, env)).code).toBe(0);
    emulator().control.updateSettings({ clockOffsetMs: 0 });
    const audienceId = (await recordOf(state))!.audienceId!;
    const [first] = runsOf(audienceId);

    // The start answer is lost and the list after it fails (a proxy's 404 page); the intent
    // is then as an earlier release wrote it, without the runs listed before the request (a
    // list that fails before it now starts no run).
    emulator().control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns', after: 1 });
    emulator().control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
    await manifests(root, { onCreate: true, request: 'r1' });
    expect((await apply(dir, state, env)).code).toBe(1);
    const store = await openStateStore(state);
    await store.lock();
    const kept = (await store.get('prod', 'gold'))!;
    const unlisted = { ...kept.intent! };
    delete unlisted.knownRunIds;
    delete unlisted.listedAll;
    await store.put({ ...kept, intent: unlisted });
    await store.close();
    const lost = await apply(dir, state, env);
    expect(lost.code).toBe(1);
    expect(lost.stdout).toContain(
      `then run: audiencectl state settle-run gold --sandbox prod --state ${state} --run-id RUN_ID (the run the request started), or audiencectl state settle-run gold --sandbox prod --state ${state} --no-run (it started none)`,
    );
    const runs = runsOf(audienceId);
    expect(runs).toHaveLength(2);
    const started = runs[1]!;
    const pending = await readAll(state);
    expect(pending.audiences[0]?.intent?.kind).toBe('run');
    const intentAt = Math.floor(Date.parse(pending.audiences[0]!.intent!.startedAt) / 1000);

    // Refused, nothing changed: both flags; a run the record holds; a run of another audience;
    // a call that failed.
    const settleArgs = (...args: string[]) => [
      'state',
      'settle-run',
      'gold',
      '--sandbox',
      'prod',
      '--state',
      state,
      ...args,
    ];
    const settle = (...args: string[]) => runCli(settleArgs(...args), { env });
    const settleInProcess = (...args: string[]) => runCliInProcess(settleArgs(...args), { env });
    expectRefused(
      await settle('--run-id', started.runId, '--no-run'),
      'state settle-run takes --run-id <id> or --no-run, not both',
    );
    expectRefused(
      await settleInProcess('--run-id', first!.runId),
      `run ${first!.runId} is already recorded for prod/gold, so it is not the run the request of ${pending.audiences[0]!.intent!.startedAt} started; give that run's id, or --no-run if the request started none; nothing was changed`,
    );
    const other = await emulator().createAudience(audienceBody());
    const otherRun = await runOutside(emulator(), other, 1_700_000_000);
    expectRefused(
      await settleInProcess('--run-id', otherRun),
      `run ${otherRun} does not exist for audience ${audienceId} in sandbox prod (the service answered 404); nothing was changed`,
    );
    emulator().control.queueFault({ kind: 'notFoundPage', endpoint: 'getRun' });
    const failed = await settleInProcess('--run-id', started.runId);
    expect(failed.stderr).toMatch(
      new RegExp(
        `^Error: cannot check run ${started.runId} through the service \\(GET .* answered HTTP 404 with .*\\); nothing was changed\\n$`,
      ),
    );
    expect(failed.code).toBe(1);
    expect(await readAll(state)).toEqual(pending);
    const outside = await runOutside(emulator(), audienceId, 1_700_000_000);

    const settled = await settle('--run-id', started.runId);
    expect(settled.stderr).toBe('');
    expect(settled.code).toBe(0);
    expect(settled.stdout).toContain(
      `Settled prod/gold: run ${started.runId} (SUCCESS) is recorded as the run the request of ${pending.audiences[0]!.intent!.startedAt} started; the intent is cleared.\n`,
    );
    expect(settled.stdout).toContain(
      `  - Verified through the service: run ${started.runId} is a run of audience ${audienceId}.\n`,
    );
    const record = await recordOf(state);
    expect(record?.intent).toBeUndefined();
    expect(record?.applied?.ingestionRequest).toBe('r1');
    expect(record?.runs.map((run) => run.runId)).toEqual([started.runId, first!.runId]);
    // As an apply adopts it: the request's reason and start; timed at the request, as the
    // run's createdAt (the audience's, 2 h earlier) lies before it.
    expect(record?.runs[0]).toMatchObject({
      runId: started.runId,
      status: 'SUCCESS',
      reason: 'request:r1',
      dataFilterStartTime: started.dataFilterStartTime,
      createdAt: intentAt,
    });

    // The request is honoured: no run step, no second run.
    const next = await apply(dir, state, env);
    expect(next.code).toBe(0);
    expect(next.stdout).toContain('No changes.');
    const held = runsOf(audienceId).map((run) => run.runId);
    expect(held.sort()).toEqual([first!.runId, started.runId, outside].sort());
    // Both of gold's recorded runs count in the sandbox's runs of the day: a budget of 2 is used.
    await manifests(root, { onCreate: true, request: 'r2' });
    const planned = await runCliInProcess(['plan', dir, '--state', state, '--runs-per-day', '2'], { env });
    expect(planned.stdout).toContain('sandbox "prod" has used its 2 runs of the last 24 h');
  });
});

describe('state settle-run --run-id of a run from another start than the request sent', () => {
  it('records it as named, and says so: apply leaves such a run to a person, as the service may have moved the start', async () => {
    emulator().control.updateSettings({ clockOffsetMs: 0 });
    const root = await tempDir();
    const state = path.join(root, 'state');
    const env = emulatorEnv(emulator());
    const dir = await manifests(root, { onCreate: false }, 'bronze');
    expect((await apply(dir, state, env)).code).toBe(0);
    // An apply killed once its request for a run from 0 had gone out; the service shows a run from 1700000000.
    const store = await openStateStore(state);
    await store.lock();
    const created = (await store.get('prod', 'bronze'))!;
    await store.beginIntent(created, 'run', { runReason: 'request:r1', dataFilterStartTime: 0 });
    await store.close();
    const moved = await runOutside(emulator(), created.audienceId!, 1_700_000_000);

    const settled = await runCliInProcess(
      ['state', 'settle-run', 'bronze', '--state', state, '--run-id', moved],
      {
        env,
      },
    );
    expect(settled.stderr).toBe('');
    expect(settled.stdout).toContain(
      `  - It started from dataFilterStartTime 1700000000, not the 0 the request sent: recorded as named (the service moved the start it was sent).\n`,
    );
    const record = await recordOf(state, 'bronze');
    expect(record?.intent).toBeUndefined();
    expect(record?.runs[0]).toMatchObject({
      runId: moved,
      reason: 'request:r1',
      dataFilterStartTime: 1_700_000_000,
    });
  });
});

describe('state settle-run --no-run (PostgreSQL store)', () => {
  it('without credentials is refused unless --force (nothing could be checked); then clears the intent and records nothing; a key without a run intent, or without a record, is refused', async () => {
    emulator().control.updateSettings({ clockOffsetMs: 0 });
    const root = await tempDir();
    const state = await postgres.freshLocation();
    const env = emulatorEnv(emulator());
    const dir = await manifests(root, { onCreate: false }, 'silver');
    expect((await apply(dir, state, env)).code).toBe(0);
    // An apply killed once its run intent was written, before the request went out.
    const store = await openStateStore(state);
    await store.lock();
    const created = (await store.get('prod', 'silver'))!;
    await store.beginIntent(created, 'run', { runReason: 'request:r1', dataFilterStartTime: 0 });
    await store.close();
    const pending = await readAll(state);
    const startedAt = pending.audiences[0]!.intent!.startedAt;

    const noCredentials = {
      env: { AEP_CLIENT_ID: undefined, AEP_CLIENT_SECRET: undefined, AEP_ORG_ID: undefined },
    };
    const settleArgs = (key: string, ...flags: string[]) => [
      'state',
      'settle-run',
      key,
      '--no-run',
      ...flags,
      '--state',
      state,
    ];
    const settle = (key: string, ...flags: string[]) => runCli(settleArgs(key, ...flags), noCredentials);
    const settleInProcess = (key: string, ...flags: string[]) =>
      runCliInProcess(settleArgs(key, ...flags), noCredentials);
    expectRefused(
      await settle('silver'),
      `nothing could be checked: no AEP credentials are configured (AEP_CLIENT_ID, AEP_CLIENT_SECRET, AEP_ORG_ID, or --config), so whether the request of ${startedAt} started a run is unknown; give --force to settle with --no-run anyway, or try again; nothing was changed`,
    );
    expect(await readAll(state)).toEqual(pending);
    const settled = await settle('silver', '--force');
    expect(settled.stderr).toBe('');
    expect(settled.code).toBe(0);
    expect(settled.stdout).toBe(
      [
        `Settled prod/silver: no run recorded; the run intent from ${startedAt} (ingestion.request "r1") is cleared.`,
        '  - Nothing was checked (no AEP credentials are configured (AEP_CLIENT_ID, AEP_CLIENT_SECRET, AEP_ORG_ID, or --config)): taken as you said (--force).',
        'The next apply starts ingestion.request "r1" if it is still due.',
        '',
      ].join('\n'),
    );
    const after = await readAll(state);
    const withoutIntent = { ...pending.audiences[0]! };
    delete withoutIntent.intent;
    expect(after.audiences).toEqual([withoutIntent]);
    expect(after.meta?.serial).toBe(pending.meta!.serial + 1);

    expectRefused(
      await settleInProcess('silver', '--force'),
      'prod/silver has no run intent to settle; nothing was changed',
    );
    const location = new URL(state);
    location.password = '';
    location.username = '';
    expectRefused(await settleInProcess('gold'), `no record for prod/gold in ${location.href}`);
    expect(await readAll(state)).toEqual(after);

    // The next apply starts the requested run, once.
    await manifests(root, { onCreate: false, request: 'r1' }, 'silver');
    expect((await apply(dir, state, env)).code).toBe(0);
    expect(runsOf(after.audiences[0]!.audienceId!)).toHaveLength(1);
  });
});
