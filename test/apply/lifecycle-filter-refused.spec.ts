import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { executorEnv, interruptedCreate, lostOperation, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { useEmulator } from '../helpers/with-emulator.js';

// A service that leaves inactive audiences out of name lookups (`listInactive: audienceId`)
// and refuses a `lifecycleState` filter with a 400 every time (`lifecycleStateFilter:
// refused`): our own create, deactivated in the UI since, can never be found by name. The
// step fails on every apply (never "none": nothing is blocked, dropped or created), and its
// message gives the way out, `state import`, which ends it.

const ORG = DEMO_CLIENT.orgId;
const emulator = useEmulator({
  operationDelayMs: 10,
  runStageDelayMs: 10,
  compat: { listInactive: 'audienceId', lifecycleStateFilter: 'refused' },
});
const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const HINT =
  'If that list keeps failing (a service that refuses the filter, say), find its id in AEP, then run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID (MANIFESTS_DIR: your manifests directory)';

const dirs: string[] = [];
afterEach(async () => {
  emulator().control.reset();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function freshEnv(): Promise<ExecutorEnv> {
  const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-lifecycle-'));
  dirs.push(dir);
  return executorEnv(emulator(), path.join(dir, 'state'));
}

/** gold's audience, as our own create made it, deactivated in the UI since. */
async function madeAndDeactivated(env: ExecutorEnv): Promise<string> {
  const made = await env.emulator.createAudience(gold.spec);
  env.emulator.control.uiEditAudience(ORG, 'prod', made, { lifecycleState: 'inactive' });
  return made;
}

/** The Audiences API lists made, as `<status> <error code>`. */
function lists(env: ExecutorEnv): string[] {
  return env.emulator.control
    .requestLog()
    .filter((entry) => entry.endpoint === 'listAudiences')
    .map((entry) => `${entry.status} ${entry.errorCode ?? '-'}${entry.fault ? ` ${entry.fault}` : ''}`);
}

describe('a service that refuses the lifecycleState filter every time', () => {
  it("our own interrupted create's 409: fails on every apply with the state import command, which ends it", async () => {
    const env = await freshEnv();
    // Begun 18 minutes ago: past the wait for its POST to show (steps/create-hold.ts). Each
    // repeat refused (409) made nothing, so the next apply sends it again.
    await interruptedCreate(env, { startedAt: new Date(Date.now() - 18 * 60_000) });
    const made = await madeAndDeactivated(env);
    env.emulator.control.resetCounters();
    for (let apply = 0; apply < 2; apply += 1) {
      const outcome = await env.apply([gold]);
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create failed',
      ]);
      const message = outcome.report?.results[0]?.message ?? '';
      expect(message).toMatch(
        /^the service refused a second audience named "Audience gold" in sandbox "prod" \(409\), and none listed under that name is this create's; the inactive audiences of sandbox "prod", where it may be, cannot be listed \(.*400.*\): its intent is kept and the next apply looks again\. /,
      );
      expect(message.endsWith(HINT)).toBe(true);
      const record = await env.store().get('prod', 'gold');
      expect([record?.intent?.id, record?.blocked, record?.audienceId]).toEqual([
        'intent-1',
        undefined,
        undefined,
      ]);
    }
    // The emulator's mode, no fault: on each apply the name lookup answers (without the
    // inactive audience), and the lifecycleState list is refused; twice, the lookup before the
    // create is POSTed again (steps/create-repeat.ts), then its 409's.
    const lookup = ['200 -', '400 100910-400'];
    expect(lists(env)).toEqual([...lookup, ...lookup, ...lookup, ...lookup]);
    expect(env.emulator.control.listAudiences(ORG, 'prod')).toHaveLength(1);

    // What the message says to do.
    const manifests = path.join(path.dirname(env.stateDir), 'audiences');
    await mkdir(manifests);
    await writeFile(path.join(manifests, 'gold.yaml'), stringify(gold));
    const imported = await runCliInProcess(
      [
        'state',
        'import',
        'gold',
        manifests,
        '--sandbox',
        'prod',
        '--audience-id',
        made,
        '--state',
        env.stateDir,
      ],
      { env: emulatorEnv(env.emulator) },
    );
    expect([imported.code, imported.stderr]).toEqual([0, '']);
    const after = await env.apply([gold]);
    expect(after.report?.results.map((r) => `${r.step.id} ${r.status}`) ?? []).not.toContain(
      'prod/gold:create failed',
    );
    const record = await env.store().get('prod', 'gold');
    expect([record?.audienceId, record?.intent]).toEqual([made, undefined]);
    expect(env.emulator.control.listAudiences(ORG, 'prod')).toHaveLength(1);
  });

  // A first POST refused (409) for an audience of its name that is not this create's, the
  // inactive audiences not listed: blocked, saying why as checked. It said "audiencectl did not
  // create it (an audience made outside audiencectl)", which nothing the service showed supports.
  it('a first POST refused (409) for a listed audience that is not external: blocked, saying so', async () => {
    const env = await freshEnv();
    const theirs = env.emulator.control.uiCreateAudience(ORG, 'prod', {
      ...gold.spec,
      originName: 'UPLOAD',
    }).id;
    env.emulator.control.resetCounters();
    const outcome = await env.apply([gold]);
    expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
      'prod/gold:create blocked',
    ]);
    expect(outcome.report?.results[0]?.message).toMatch(
      new RegExp(
        `^an audience named "Audience gold" already exists in sandbox "prod": it is not an external audience \\(its type is "SegmentDefinition"\\) \\(found: ${theirs} \\(created \\S+ by [^)]+\\)\\); if it is this manifest's audience, run: audiencectl state import gold `,
      ),
    );
    // The lookup's last list, of the inactive audiences, refused: findOwnCreate's `unknown`.
    expect(lists(env).at(-1)).toBe('400 100910-400');
    expect((await env.store().get('prod', 'gold'))?.blocked?.found).toEqual([theirs]);
  });

  it('an operation unknown to the service, 15 minutes on: the record is kept, with the state import command', async () => {
    const env = await freshEnv();
    await lostOperation(env.store(), new Date(Date.now() - 16 * 60_000), { manifestFile: 'gold.yaml' });
    await madeAndDeactivated(env);
    const outcome = await env.apply([gold]);
    expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
      'prod/gold:create failed',
    ]);
    const message = outcome.report?.results[0]?.message ?? '';
    expect(message).toMatch(
      /^operation lost-operation is unknown to the service, and no audience listed under its name is its own; the inactive audiences of sandbox "prod", where it may be, cannot be listed \(.*400.*\): the record is kept and the next apply looks again\. /,
    );
    expect(message.endsWith(HINT)).toBe(true);
    expect((await env.store().get('prod', 'gold'))?.operationId).toBe('lost-operation');
  });
});
