import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, ensureDirStore, ManifestDir } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { holdCreates } from '../helpers/executor-env.js';
import { manifestObject, manifestYaml } from '../helpers/manifests.js';
import { paste } from '../helpers/paste.js';
import { withEmulator } from '../helpers/with-emulator.js';

// The commands an apply of a saved plan prints to plan again carry the plan's sandbox of the
// manifests that name none wherever the pasted command would place them elsewhere: a plan made
// without a configuration file (prod), applied with one whose defaultSandbox is dev, printed
// `audiencectl plan DIR ... --config cfg.yaml`, which plans gold in dev (a blocked move).

const NO_RUN = { ingestion: { onCreate: false } } as const;
const gold = manifestObject('gold', NO_RUN);
const edited = manifestObject('gold', { ...NO_RUN, spec: { description: 'edited' } });

/** The `audiencectl apply ...` of the way a removal blocked on an interrupted create prints. */
const PUT_BACK = /To delete it: put .*? back and run `(audiencectl apply [^`]*)`/;

/** The `audiencectl plan ...` of the way a failed PATCH of a saved plan's apply prints. */
const REPLAN = /plan again with --refresh and apply that plan \(`(audiencectl plan [^`]*)`/;

describe('apply of a saved plan: the way it prints plans again in the sandbox of the plan', () => {
  it('made in prod, applied with a defaultSandbox of dev: the printed plan names --sandbox prod, and plans prod/gold', async () => {
    await withEmulator(undefined, async (emulator) => {
      await withTempDir(async (dir) => {
        const manifests = new ManifestDir(path.join(dir, 'm'));
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        await writeFiles(dir, { 'cfg.yaml': 'defaultSandbox: dev\n' });
        const env = { ...emulatorEnv(emulator), AEP_SANDBOX: undefined, AUDIENCECTL_CONFIG: undefined };
        const setUp = (...args: string[]) => runCliInProcess([...args, '--state', state], { env, cwd: dir });
        await manifests.write([gold]);
        expect((await setUp('apply', 'm', '--auto-approve')).code).toBe(0);
        await manifests.write([edited]);
        expect((await setUp('plan', 'm', '--output', 'json', '--out', 'p.json')).code).toBe(0);

        emulator.control.queueFault({ kind: 'clientError', status: 404, endpoint: 'patchAudience' });
        const applied = await runCli(
          ['apply', 'p.json', '--auto-approve', '--config', 'cfg.yaml', '--state', state],
          { env, cwd: dir },
        );
        expect(applied.code).toBe(1);
        const printed = REPLAN.exec(applied.stdout)?.[1];
        expect(printed, applied.stdout).toBe(
          `audiencectl plan ${manifests.dir} --sandbox prod --refresh --output json --out p.json --state ${state} --config cfg.yaml`,
        );

        // Pasted as printed: gold is planned where it is recorded (an update), not moved to dev.
        const replanned = await paste(printed!, { env, cwd: dir });
        expect(replanned.code, replanned.stderr).toBe(0);
        const saved = await runCliInProcess(
          ['apply', 'p.json', '--auto-approve', '--config', 'cfg.yaml', '--state', state],
          {
            env,
            cwd: dir,
          },
        );
        expect(saved.code, saved.stdout + saved.stderr).toBe(0);
        expect(saved.stdout).toMatch(/^ok {7}prod\/gold update: patched description$/m);
      });
    });
  });

  it("its steps' ways on name the plan's --sandbox too: a removal held on an interrupted create, settled in prod as printed", async () => {
    await withEmulator(undefined, async (emulator) => {
      await withTempDir(async (dir) => {
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const env = { ...emulatorEnv(emulator), AEP_SANDBOX: undefined, AUDIENCECTL_CONFIG: undefined };
        const setUp = (...args: string[]) => runCliInProcess([...args, '--state', state], { env, cwd: dir });
        await writeFiles(dir, {
          'cfg.yaml': 'defaultSandbox: dev\n',
          'm/gold.yaml': manifestYaml('gold', NO_RUN),
        });
        expect((await setUp('apply', 'm', '--auto-approve')).code).toBe(0);
        // bronze's create makes its audience, but the answer is lost: held, not sent again.
        await writeFiles(dir, { 'm/bronze.yaml': manifestYaml('bronze', NO_RUN) });
        emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
        // Not listed when it is looked for: held, its intent open (steps/create-hold.ts).
        const held = holdCreates({ emulator });
        expect((await setUp('apply', 'm', '--auto-approve')).code).toBe(3);
        held.release();
        await rm(path.join(dir, 'm', 'bronze.yaml'));
        expect((await setUp('plan', 'm', '--output', 'json', '--out', 'p.json')).code).toBe(0);

        const applied = await runCli(
          ['apply', 'p.json', '--auto-approve', '--config', 'cfg.yaml', '--state', state],
          { env, cwd: dir },
        );
        expect(applied.code, applied.stderr).toBe(3);
        const printed = PUT_BACK.exec(applied.stdout)?.[1];
        expect(printed, applied.stdout).toBe(
          `audiencectl apply ${path.join(dir, 'm')} --sandbox prod --state ${state} --config cfg.yaml`,
        );

        // Followed as printed: bronze's create is settled in prod (its audience adopted), nothing made in dev.
        await writeFiles(dir, { 'm/bronze.yaml': manifestYaml('bronze', NO_RUN) });
        const settled = await paste(`${printed!} --auto-approve`, { env, cwd: dir });
        expect(settled.code, settled.stdout + settled.stderr).toBe(0);
        const inProd = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName);
        expect(inProd.sort()).toEqual(['Audience bronze', 'Audience gold']);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'dev')).toEqual([]);
      });
    });
  });
});
