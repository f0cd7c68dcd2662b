import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { holdCreates } from '../helpers/executor-env.js';
import { manifestYaml } from '../helpers/manifests.js';
import { paste } from '../helpers/paste.js';
import { withEmulator } from '../helpers/with-emulator.js';

// A plan or apply given `--sandbox qa` prints the `audiencectl apply DIR` of its ways out with
// `--sandbox qa`: without it, the command pasted as printed places the manifests that name none
// in the configuration file's defaultSandbox, AEP_SANDBOX or prod, not in qa.

const NO_RUN = { ingestion: { onCreate: false } } as const;

/** The `audiencectl apply ...` of the way a removal blocked on an interrupted create prints. */
const PUT_BACK = /To delete it: put .*? back and run `(audiencectl apply [^`]*)`/;

describe('a typed --sandbox is carried by the apply and plan commands a plan prints', () => {
  it('a removed manifest whose create in qa was interrupted: the way that deletes it, pasted, settles it in qa', async () => {
    await withEmulator(undefined, async (emulator) => {
      await withTempDir(async (dir) => {
        const state = path.join(dir, 's');
        await ensureDirStore(state);
        const env = { ...emulatorEnv(emulator), AEP_SANDBOX: undefined, AUDIENCECTL_CONFIG: undefined };
        const cli = (...args: string[]) => runCliInProcess([...args, '--state', state], { env, cwd: dir });
        await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold', NO_RUN) });
        expect((await cli('apply', 'm', '--sandbox', 'qa', '--auto-approve')).code).toBe(0);
        await writeFiles(dir, { 'm/bronze.yaml': manifestYaml('bronze', NO_RUN) });
        // bronze's create makes its audience, but the answer is lost: held, not sent again.
        emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
        // Not listed when it is looked for: held, its intent open (steps/create-hold.ts).
        const held = holdCreates({ emulator }, 'qa');
        expect((await cli('apply', 'm', '--sandbox', 'qa', '--auto-approve')).code).toBe(3);
        held.release();
        await rm(path.join(dir, 'm', 'bronze.yaml'));

        const planned = await runCli(['plan', 'm', '--sandbox', 'qa', '--state', state], { env, cwd: dir });
        expect(planned.code, planned.stderr).toBe(0);
        const printed = PUT_BACK.exec(planned.stdout)?.[1];
        expect(printed, planned.stdout).toBe(`audiencectl apply m --sandbox qa --state ${state}`);

        // Followed as printed: bronze's create is settled in qa (its audience adopted), none made in prod.
        await writeFiles(dir, { 'm/bronze.yaml': manifestYaml('bronze', NO_RUN) });
        const settled = await paste(`${printed!} --auto-approve`, { env, cwd: dir });
        expect(settled.code, settled.stdout + settled.stderr).toBe(0);
        const inQa = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'qa').map((a) => a.audienceName);
        expect(inQa.sort()).toEqual(['Audience bronze', 'Audience gold']);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
      });
    });
  });
});
