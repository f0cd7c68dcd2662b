import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/aep/types.js';
import { settleRunByHand } from '../../src/apply/settle-run.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import { newRecord } from '../../src/state/record-changes.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * `audiencectl state settle-run` checks what a person says against the audience's runs list, read
 * as an apply reads it, before taking it: a person who looked too early, or at the wrong audience,
 * must not clear an intent whose run the service shows (the next apply would start it again).
 * In-process: the CLI's process shows nothing more here (settle-run-cli.spec.ts spawns it).
 */
const ORG = DEMO_CLIENT.orgId;
const tempDir = useTempDirs();
const requested = manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } });

/** gold with a run intent whose start answer was lost while the runs list could not be read. */
async function lostRunRequest(env: ExecutorEnv) {
  await env.apply([manifestObject('gold', { ingestion: { onCreate: false } })]);
  // The list read before the request answers (a failed one starts no run); the one after the
  // lost answer fails.
  env.emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns', after: 1 });
  env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
  const lost = await env.apply([requested]);
  expect(lost.report?.results.find((r) => r.step.kind === 'run')?.status).toBe('failed');
  const record = (await env.store().get('prod', 'gold'))!;
  expect(record.intent?.kind).toBe('run');
  const runs = env.emulator.control.listRuns(ORG, 'prod', record.audienceId);
  expect(runs).toHaveLength(1);
  return { record, started: runs[0]!.runId };
}

/** gold with a run intent whose request never went out (a kill before it), the runs before it listed. */
async function unsentRunRequest(env: ExecutorEnv) {
  await env.apply([manifestObject('gold', { ingestion: { onCreate: false } })]);
  const store = env.store();
  await store.lock();
  const created = (await store.get('prod', 'gold'))!;
  const record = await store.beginIntent(created, 'run', {
    runReason: 'request:r1',
    dataFilterStartTime: 0,
    knownRunIds: [],
    listedAll: true,
  });
  await store.close();
  return record;
}

function settle(env: ExecutorEnv, ...args: string[]) {
  return runCliInProcess(
    ['state', 'settle-run', 'gold', '--sandbox', 'prod', '--state', env.stateDir, ...args],
    {
      env: emulatorEnv(env.emulator),
    },
  );
}

describe('state settle-run where the runs list shows the run the request started', () => {
  it.each([
    ['--no-run', ['--no-run']],
    ['--run-id of another run', ['--run-id', 'a-run-the-person-misread']],
  ])(
    '%s is not taken: the run the list shows is recorded as an apply adopts it, with a warning naming it; no second run',
    async (_, flags) => {
      await withExecutor(undefined, async (env) => {
        const { record, started } = await lostRunRequest(env);
        const settled = await settle(env, ...flags);
        expect(settled.stderr).toBe(
          `Warning: ${flags.join(' ')} was not taken: the service's runs list shows run ${started} as the run the request of ${record.intent!.startedAt} started, and it is recorded.\n`,
        );
        expect(settled.stdout).toContain(`Settled prod/gold: run ${started} (`);
        expect(settled.code).toBe(0);
        const after = (await env.store().get('prod', 'gold'))!;
        expect(after.intent).toBeUndefined();
        expect(after.runs.map((run) => [run.runId, run.reason])).toEqual([[started, 'request:r1']]);
        expect(after.applied?.ingestionRequest).toBe('r1');

        await env.apply([requested]);
        expect(env.emulator.control.listRuns(ORG, 'prod', record.audienceId)).toHaveLength(1);
      });
    },
  );

  // The warning was written as it was: a --run-id holding ESC or a bidi control (pasted from a
  // terminal or a page) acted on the terminal that showed it, as would a run id the service lists.
  it('a --run-id holding controls is not taken: the warning shows it escaped, on one line', async () => {
    await withExecutor(undefined, async (env) => {
      const { record, started } = await lostRunRequest(env);
      const settled = await settle(env, '--run-id', 'misread\u001b[2K\u202Erun\u2028x');
      expect(settled.stderr).toBe(
        `Warning: --run-id misread\\u001B[2K\\u202Erun\\u2028x was not taken: the service's runs list shows run ${started} as the run the request of ${record.intent!.startedAt} started, and it is recorded.\n`,
      );
      expect(settled.code).toBe(0);
    });
  });

  it('--run-id of that run records it, found in the list', async () => {
    await withExecutor(undefined, async (env) => {
      const { record, started } = await lostRunRequest(env);
      const settled = await settle(env, '--run-id', started);
      expect(settled.stderr).toBe('');
      expect(settled.code).toBe(0);
      expect(settled.stdout).toContain(
        `  - Found through the service: its runs list shows run ${started} as the run the request started, as an apply reads it.\n`,
      );
      expect((await env.store().get('prod', 'gold'))?.runs.map((run) => run.runId)).toEqual([started]);
      await env.apply([requested]);
      expect(env.emulator.control.listRuns(ORG, 'prod', record.audienceId)).toHaveLength(1);
    });
  });
});

describe('state settle-run where the runs list shows no run of the request', () => {
  it('refuses a --run-id (nothing changed), takes --no-run, and the next apply starts the run once', async () => {
    await withExecutor(undefined, async (env) => {
      const record = await unsentRunRequest(env);
      const named = await settle(env, '--run-id', 'a-run-not-listed');
      expect(named.stderr).toBe(
        `Error: the service's runs list shows no run that the request of ${record.intent!.startedAt} started (run a-run-not-listed is not one new since it); check the run id, or settle with --no-run; nothing was changed\n`,
      );
      expect(named.code).toBe(1);
      expect(await env.store().get('prod', 'gold')).toEqual(record);

      const settled = await settle(env, '--no-run');
      expect(settled.stderr).toBe('');
      expect(settled.code).toBe(0);
      expect(settled.stdout).toContain(
        "  - Checked through the service: the audience's runs list shows no run the request started.\n",
      );
      expect((await env.store().get('prod', 'gold'))?.intent).toBeUndefined();
      await env.apply([requested]);
      expect(env.emulator.control.listRuns(ORG, 'prod', record.audienceId)).toHaveLength(1);
    });
  });
});

describe('state settle-run --no-run where the runs list cannot be read', () => {
  it('is refused, saying nothing could be checked, unless --force is given', async () => {
    await withExecutor(undefined, async (env) => {
      const record = await unsentRunRequest(env);
      env.emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns' });
      const refused = await settle(env, '--no-run');
      expect(refused.stderr).toMatch(
        new RegExp(
          `^Error: nothing could be checked: the runs list could not be read \\(GET .* answered HTTP 404 with .*\\), so whether the request of ${record.intent!.startedAt} started a run is unknown; give --force to settle with --no-run anyway, or try again; nothing was changed\\n$`,
        ),
      );
      expect(refused.code).toBe(1);
      expect(await env.store().get('prod', 'gold')).toEqual(record);

      env.emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns' });
      const forced = await settle(env, '--no-run', '--force');
      expect(forced.stderr).toBe('');
      expect(forced.code).toBe(0);
      expect(forced.stdout).toMatch(
        /\n {2}- Nothing was checked \(the runs list could not be read \(GET .*\)\): taken as you said \(--force\)\.\n/,
      );
      expect((await env.store().get('prod', 'gold'))?.intent).toBeUndefined();
    });
  });
});

describe('state settle-run --run-id, an id the service answers under another spelling', () => {
  it('is refused: the record and intent checks were made on the id typed, not the one answered', async () => {
    const store = await openStateStore(await tempDir());
    await store.lock();
    const previous = 'a1b2c3d4-0000-4000-8000-00000000000a';
    const record = await store.put({
      ...newRecord('prod', 'gold'),
      audienceId: '60ccea95-1435-4180-97a5-58af4aa285ab',
      runs: [{ runId: previous, status: 'SUCCESS', createdAt: 1_700_000_000, dataFilterStartTime: 0 }],
    });
    const pending = await store.beginIntent(record, 'run', {
      runReason: 'request:r1',
      dataFilterStartTime: 0,
      knownRunIds: [previous],
      listedAll: false,
    });
    // The emulator looks runs up by their exact id; a service parsing ids as UUIDs (or a proxy)
    // answers the GET of an upper-cased id with the run under its own spelling. The runs list
    // fails, so the GET is the only check.
    const client = {
      getRun: (_sandbox: string, _audienceId: string, runId: string): Promise<Run> =>
        Promise.resolve({ runId: runId.toLowerCase(), status: 'SUCCESS', dataFilterStartTime: 0 }),
      listRuns: () => Promise.reject(new Error('connect ECONNREFUSED')),
      serviceClock: () => undefined,
    };
    const clock = { now: () => Date.now(), sleep: () => Promise.resolve() };
    const typed = previous.toUpperCase();
    await expect(
      settleRunByHand(store, pending, { kind: 'run', runId: typed }, { client, clock }),
    ).rejects.toThrow(
      `the service answered run ${typed} with run ${previous}; give the id exactly as the service spells it; nothing was changed`,
    );
    expect(await store.get('prod', 'gold')).toEqual(pending);
    await store.close();
  });
});
