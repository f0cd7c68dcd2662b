import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { executorEnv, type ExecutorEnv } from '../helpers/executor-env.js';
import { applyKilledAt } from '../helpers/kill-at.js';
import { FileStateStore } from '../../src/state/file-store.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { loadTexts, manifestObject, manifestYaml } from '../helpers/manifests.js';
import { appliedState } from '../helpers/planning.js';
import { createdWithRun, gold, moved, ORG, remote, statuses } from '../helpers/replaced-env.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// A manifest whose metadata.name or sandbox changes while its record waits for its create: the
// create's answer was lost (kill -9 of the built CLI at its POST, the answer held back), or a
// replace's DELETE left only the mark of the name and the deleted audience's run. Planned and
// applied against the emulator over HTTP; the service is counted at the end. In each story the
// first step on the moved manifest is the built CLI, spawned (the apply of the saved plan, the
// apply refused while the name is held or blocked, the plan that holds the move); the other steps
// run the same CLI entry in this process (the same code and output, asserted alike).

/** gold's manifest under another metadata.name: the same audience ("Audience gold"). */
const renamed = manifestObject('gold-members', { spec: gold.spec });

type Story = {
  env: ExecutorEnv;
  dir: ManifestDir;
  tmp: string;
  /** The built CLI, spawned. */
  cli: (...args: string[]) => ReturnType<typeof runCli>;
  /** As `cli`, in this process (the CLI's own entry, the same code and output): no process needed. */
  inProcess: (...args: string[]) => ReturnType<typeof runCli>;
};

async function story(fn: (s: Story) => Promise<void>, options = {}): Promise<void> {
  await withEmulator(
    { operationDelayMs: 10, runStageDelayMs: 10, ...options },
    async (emulator: TestEmulator) => {
      const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-waiting-move-'));
      try {
        const env = executorEnv(emulator, path.join(tmp, 'state'));
        const dir = new ManifestDir(path.join(tmp, 'm'));
        const cli = (...args: string[]) =>
          runCli([...args, '--state', env.stateDir], { env: emulatorEnv(emulator), cwd: tmp });
        const inProcess = (...args: string[]) =>
          runCliInProcess([...args, '--state', env.stateDir], { env: emulatorEnv(emulator), cwd: tmp });
        await fn({ env, dir, tmp, cli, inProcess });
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  );
}

/** gold's create POSTed by the built CLI, killed with the answer held back: the audience is made, its id unknown. */
async function createAnswerLost({ env, dir }: Story): Promise<void> {
  await dir.write([gold]);
  await applyKilledAt(env, dir.dir, 'createAudience', { k: 1, hold: true });
  const killed = await env.store().get('prod', 'gold');
  expect(killed?.intent?.kind, 'the kill landed in the create').toBe('create');
  expect(killed?.audienceId).toBeUndefined();
}

const records = async (env: ExecutorEnv) =>
  (await env.store().readAll()).audiences.map((r) => `${r.sandbox}/${r.key}`).sort();

describe('a renamed manifest whose record waits for its create (built CLI, emulator)', () => {
  it("create's answer lost: the saved plan resumes it under the new key, and the service holds one audience", async () => {
    await story(async (s) => {
      const { env, dir, cli, inProcess } = s;
      await createAnswerLost(s);
      await dir.write([renamed]);

      const saved = await inProcess(
        'plan',
        dir.dir,
        '--sandbox',
        'prod',
        '--output',
        'json',
        '--out',
        'plan.json',
      );
      expect(saved.code, saved.stderr).toBe(0);
      const shown = await inProcess('plan', dir.dir, '--sandbox', 'prod');
      // The POST's time is the killed apply's (the wall clock's): matched as a time.
      expect(shown.stdout).toMatch(
        /\+ prod\/gold-members create: metadata\.name changed from gold while its record waited for its create: the record moves to gold-members \(with its create in flight\); resume: the create was interrupted before its audience id was recorded; its earlier POST was sent at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z and may still land: the apply adopts the audience once the service lists it, and sends the create again only from \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(15 minutes after that POST; until then, while the service lists none of its own, the step is held, exit 3\) {2}\(gold-members\.yaml:1\)\n/,
      );
      expect(shown.stdout).not.toContain('state import');

      const applied = await cli('apply', 'plan.json', '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      const [audience, ...others] = remote(env);
      expect(others).toEqual([]);
      expect(audience?.audienceName).toBe('Audience gold');
      expect(await records(env)).toEqual(['prod/gold-members']);
      const record = await env.store().get('prod', 'gold-members');
      expect({ id: record?.audienceId, intent: record?.intent, blocked: record?.blocked }).toEqual({
        id: audience?.audienceId,
        intent: undefined,
        blocked: undefined,
      });
      expect(env.emulator.control.listRuns(ORG, 'prod', audience!.audienceId)).toHaveLength(1);

      const again = await inProcess('plan', dir.dir, '--sandbox', 'prod', '--detailed-exitcode');
      expect(again.code, again.stdout).toBe(0);
    });
  });

  it('holding only the mark of a replaced name: the record moves with the create, which waits for the name and is never blocked', async () => {
    await story(
      async ({ env, dir, cli, inProcess }) => {
        const { former } = await createdWithRun(env);
        expect(statuses(await env.apply([moved]))?.[0]).toBe('prod/gold:replace failed');
        await dir.write([
          manifestObject('gold-members', { metadata: { allowReplace: true }, spec: moved.spec }),
        ]);
        // Under the new key, a runs-only record a removed manifest left (review 8, F2): no
        // audience, so the record still moves there, and takes its run with it.
        const left = { ...former, runId: 'run-of-a-removed-manifest', formerAudienceId: 'removed-1' };
        const store = env.store();
        await store.lock();
        await store.put({
          schemaVersion: 2,
          sandbox: 'prod',
          key: 'gold-members',
          deletionPolicy: 'Delete',
          runs: [left],
        });
        await store.unlock();

        const plan = await inProcess('plan', dir.dir, '--sandbox', 'prod');
        expect(plan.stdout).toContain(
          '+ prod/gold-members create: metadata.name changed from gold while its record waited for its create: the record moves to gold-members (with the mark of the name its replace deleted, 1 run of a deleted audience)',
        );
        expect(plan.stdout).not.toContain('state import');

        // The service still holds the name: refused, not blocked; the record moved, its run kept.
        const held = await cli('apply', dir.dir, '--sandbox', 'prod', '--auto-approve');
        expect(held.code, held.stdout + held.stderr).toBe(1);
        expect(held.stdout).toContain('lists no audience under that exact name');
        expect(await records(env)).toEqual(['prod/gold-members']);
        const waiting = await env.store().get('prod', 'gold-members');
        expect({ blocked: waiting?.blocked, runs: waiting?.runs, mark: waiting?.applied?.spec.name }).toEqual(
          {
            blocked: undefined,
            runs: [former, left],
            mark: 'Audience gold',
          },
        );

        // A minute later in the service's clock the name is free: created once, the run still kept.
        env.emulator.control.updateSettings({ clockOffsetMs: 61_000 });
        const created = await inProcess('apply', dir.dir, '--sandbox', 'prod', '--auto-approve');
        expect(created.code, created.stdout + created.stderr).toBe(0);
        const [audience, ...others] = remote(env);
        expect(others).toEqual([]);
        const record = await env.store().get('prod', 'gold-members');
        expect(record?.audienceId).toBe(audience?.audienceId);
        expect(record?.runs).toContainEqual(former);
        expect(record?.runs).toContainEqual(left);
      },
      { compat: { deletedNames: 'held' } },
    );
  });

  it('holding only the mark, moved to another sandbox (metadata.sandbox): created there, the old sandbox keeps the run it counts', async () => {
    await story(
      async ({ env, dir, cli }) => {
        const { former } = await createdWithRun(env);
        expect(statuses(await env.apply([moved]))?.[0]).toBe('prod/gold:replace failed');
        await dir.write([manifestObject('gold', { metadata: { sandbox: 'dev' }, spec: moved.spec })]);

        const applied = await cli('apply', dir.dir, '--sandbox', 'prod', '--auto-approve');
        expect(applied.code, applied.stdout + applied.stderr).toBe(0);
        expect(applied.stdout).toContain(
          'that record keeps only its 1 run of a deleted audience, counted against sandbox "prod"\'s daily run budget until they are a day old',
        );
        expect(remote(env)).toEqual([]);
        const [made, ...others] = env.emulator.control.listAudiences(ORG, 'dev');
        expect(others).toEqual([]);
        expect((await env.store().get('dev', 'gold'))?.audienceId).toBe(made?.audienceId);
        const left = await env.store().get('prod', 'gold');
        expect({ runs: left?.runs, applied: left?.applied, audienceId: left?.audienceId }).toEqual({
          runs: [former],
          applied: undefined,
          audienceId: undefined,
        });
      },
      { compat: { deletedNames: 'held' } },
    );
  });

  it("create's answer lost, then moved to another sandbox: blocked, and the hint it gives settles it", async () => {
    await story(async (s) => {
      const { env, dir, cli, inProcess } = s;
      await createAnswerLost(s);
      const inDev = manifestObject('gold', { metadata: { sandbox: 'dev' } });
      await dir.write([inDev]);

      const blocked = await cli('apply', dir.dir, '--sandbox', 'prod', '--auto-approve');
      expect(blocked.code, blocked.stdout + blocked.stderr).toBe(3);
      expect(blocked.stdout).toContain(
        `its create in sandbox "prod" ("Audience gold") is not settled: audiencectl does not know whether it made an audience, nor its id. Set metadata.sandbox back to prod and run \`audiencectl apply ${dir.dir} --sandbox prod --state ${env.stateDir}\`: the create is settled`,
      );
      expect(blocked.stdout).not.toContain('--audience-id');
      expect(env.emulator.control.listAudiences(ORG, 'dev')).toEqual([]);

      // As the hint says: the sandbox back, apply; the create is settled, its audience adopted.
      await dir.write([gold]);
      const settled = await inProcess('apply', dir.dir, '--sandbox', 'prod', '--auto-approve');
      expect(settled.code, settled.stdout + settled.stderr).toBe(0);
      const [audience, ...others] = remote(env);
      expect(others).toEqual([]);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(audience?.audienceId);

      await dir.write([inDev]);
      const move = await inProcess('plan', dir.dir, '--sandbox', 'prod');
      expect(move.stdout).toContain(
        `To move it on purpose: \`audiencectl state forget gold --sandbox prod --state ${env.stateDir}\``,
      );
      expect(env.emulator.control.listAudiences(ORG, 'dev')).toEqual([]);
    });
  });
});

describe('a waiting record whose manifest was moved out of the plan (built CLI)', () => {
  it('is found there, and its move stays blocked rather than drop it', async () => {
    await withTempDir(async (tmp) => {
      const state = path.join(tmp, 'state');
      await mkdir(state);
      // What a replace's DELETE keeps of gold, applied from a/gold.yaml: the mark of its name, no audience.
      const { audienceId, ...applied } = appliedState(loadTexts({ 'a/gold.yaml': manifestYaml('gold') }))
        .audiences[0]!;
      expect(audienceId).toBeDefined();
      const store = new FileStateStore(state);
      await store.lock();
      await store.put({ ...applied, manifestFile: 'a/gold.yaml', runs: [] } satisfies AudienceRecord);
      await store.close();

      // gold's manifest moved to b/, out of --include a/**; a new manifest of a/ names key gold in dev.
      await writeFiles(path.join(tmp, 'm'), {
        'a/gold-dev.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }),
        'b/gold.yaml': manifestYaml('gold'),
      });
      const planArgs = ['plan', 'm', '--state', state, '--sandbox', 'prod', '--include', 'a/**'];
      const held = await runCli(planArgs, { cwd: tmp });
      expect(held.stdout).toContain('! prod/gold move: its manifest now names sandbox "dev"');
      expect(held.stdout).not.toContain('dev/gold create');

      // Removed for good: the create in dev takes the record along.
      await rm(path.join(tmp, 'm', 'b'), { recursive: true });
      // The same CLI entry in this process (the same code and output).
      const moved = await runCliInProcess(planArgs, { cwd: tmp });
      expect(moved.stdout).toContain(
        '+ dev/gold create: moved from sandbox "prod", where its record prod/gold waits for its create (no audience exists there): that record is dropped; new manifest',
      );
    });
  });
});
