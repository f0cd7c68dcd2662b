import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, ensureDirStore, ManifestDir } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { ORG } from '../helpers/replaced-env.js';

// A PATCH answered 404 does not prove the audience gone (a replica that has not seen it yet, a
// gateway), and `state forget` threw away the record's runs and the mark of its name: with the
// name still held, the next create was blocked for good as "made outside audiencectl"; with the
// audience still there, audiencectl's own audience was. The hint is now the apply with
// --refresh, which reads the audience back: followed as printed (the built CLI, the emulator
// over HTTP), it PATCHes an audience that exists, and re-creates one that is gone, keeping the
// record, once the service frees the name (the emulator's clock moved, not waited for). The apply
// whose PATCH is answered 404, and prints the hint, is the built CLI, spawned; the other steps run
// the same CLI entry in this process (the same code and output, asserted alike): what sets a
// story up (gold's first apply, the saved plan the failing apply is given) and the hint followed.

const gold = manifestObject('gold');
const edited = manifestObject('gold', { spec: { description: 'edited' } });

const HINT =
  /^FAILED {3}prod\/gold update: PATCH failed: .*; audience ([-0-9a-f]+) may no longer exist remotely: run this apply again with --refresh, which reads the audience back and creates it again only if it is gone \(its record, runs and name kept\)$/m;

type Story = {
  emulator: TestEmulator;
  manifests: ManifestDir;
  /** The built CLI's apply of the story's manifests, spawned. */
  apply: (...flags: string[]) => ReturnType<typeof runCli>;
  /** As `apply`, in this process (the CLI's own entry, the same code and output). */
  applyInProcess: (...flags: string[]) => ReturnType<typeof runCli>;
  /** Any audiencectl command, with the story's store and the emulator, run in its temp dir. */
  cli: (...args: string[]) => ReturnType<typeof runCli>;
  /** As `cli`, in this process (the CLI's own entry, the same code and output). */
  inProcess: (...args: string[]) => ReturnType<typeof runCli>;
  record: () => Promise<{ audienceId?: string; runs: { runId: string }[]; blocked?: unknown }>;
  /** The story's store (`--state`), which the commands its messages print carry. */
  state: string;
};

async function story(emulator: TestEmulator, fn: (s: Story) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const manifests = new ManifestDir(path.join(dir, 'm'));
    const state = path.join(dir, 'state');
    await ensureDirStore(state);
    const env = emulatorEnv(emulator, { AEP_SANDBOX: 'prod' });
    const applyArgs = (flags: string[]) => [
      'apply',
      manifests.dir,
      '--state',
      state,
      '--auto-approve',
      ...flags,
    ];
    const apply = (...flags: string[]) => runCli(applyArgs(flags), { env });
    const applyInProcess = (...flags: string[]) => runCliInProcess(applyArgs(flags), { env });
    const cli = (...args: string[]) => runCli([...args, '--state', state], { env, cwd: dir });
    const inProcess = (...args: string[]) => runCliInProcess([...args, '--state', state], { env, cwd: dir });
    const record = async () =>
      JSON.parse(await readFile(path.join(state, 'audiences', 'prod', 'gold.json'), 'utf8')) as Awaited<
        ReturnType<Story['record']>
      >;
    await manifests.write([gold]);
    const created = await inProcess('apply', manifests.dir, '--auto-approve');
    expect(created.code).toBe(0);
    await fn({ emulator, manifests, apply, applyInProcess, cli, inProcess, record, state });
  });
}

const listed = (emulator: TestEmulator) =>
  emulator.control.listAudiences(ORG, 'prod').map((a) => [a.audienceId, a.audienceName]);

describe('apply: a PATCH answered 404', () => {
  it('of an audience deleted in the UI, its name still held: the hint re-creates it once the name is free, runs kept', async () => {
    await withEmulator({ compat: { deletedNames: 'held' } }, (emulator) =>
      story(emulator, async ({ manifests, apply, applyInProcess, record }) => {
        const before = await record();
        emulator.control.uiDeleteAudience(ORG, 'prod', before.audienceId!);
        await manifests.write([edited]);

        const patched = await apply();
        expect(patched.code).toBe(1);
        expect(patched.stdout).toMatch(HINT);
        expect(patched.stdout.match(HINT)?.[1]).toBe(before.audienceId);
        expect(patched.stdout).not.toContain('state forget');

        // As printed: the same apply, with --refresh. The name is still held: failed, not blocked.
        const refreshed = await applyInProcess('--refresh');
        expect(refreshed.code).toBe(1);
        expect(refreshed.stdout).toMatch(
          /^FAILED {3}prod\/gold create: .*lists no audience under that exact name/m,
        );
        expect(refreshed.stdout).not.toMatch(/^blocked/m);

        emulator.control.updateSettings({ clockOffsetMs: 61_000 });
        const again = await applyInProcess();
        expect(again.code).toBe(0);
        expect(again.stdout).toMatch(/^ok {7}prod\/gold create: created /m);
        const after = await record();
        expect(listed(emulator)).toEqual([[after.audienceId, 'Audience gold']]);
        expect(after.audienceId).not.toBe(before.audienceId);
        expect(after.blocked).toBeUndefined();
        // The deleted audience's run stays beside the new one's (the daily run budget).
        expect(after.runs.map((run) => run.runId)).toContain(before.runs[0]!.runId);
        expect(after.runs).toHaveLength(2);
      }),
    );
  });

  it("of an audience that still exists: the hint PATCHes it, never blocks it as someone else's", async () => {
    await withEmulator(undefined, (emulator) =>
      story(emulator, async ({ manifests, apply, applyInProcess, record }) => {
        const before = await record();
        emulator.control.queueFault({ kind: 'clientError', status: 404, endpoint: 'patchAudience' });
        await manifests.write([edited]);

        const patched = await apply();
        expect(patched.code).toBe(1);
        expect(patched.stdout).toMatch(HINT);
        expect(patched.stdout).not.toContain('state forget');

        const refreshed = await applyInProcess('--refresh');
        expect(refreshed.code).toBe(0);
        expect(refreshed.stdout).toMatch(/^ok {7}prod\/gold update: patched description$/m);
        const after = await record();
        expect(after.audienceId).toBe(before.audienceId);
        expect(after.blocked).toBeUndefined();
        expect(listed(emulator)).toEqual([[before.audienceId, 'Audience gold']]);
        expect(emulator.control.listAudiences(ORG, 'prod')[0]?.description).toBe('edited');
      }),
    );
  });

  // Review 10, finding 7: from a saved plan, "run this apply again with --refresh" is refused
  // (`apply p.json --refresh` is a usage error). The hint says to plan again with --refresh (the
  // plan records its manifests' directory as a full path), or to apply the directory with it.
  it('from a saved plan: the hint plans again with --refresh, and that plan, applied, PATCHes it', async () => {
    await withEmulator(undefined, (emulator) =>
      story(emulator, async ({ manifests, cli, inProcess, record, state }) => {
        const before = await record();
        emulator.control.queueFault({ kind: 'clientError', status: 404, endpoint: 'patchAudience' });
        await manifests.write([edited]);
        expect((await inProcess('plan', 'm', '--output', 'json', '--out', 'p.json')).code).toBe(0);

        const patched = await cli('apply', 'p.json', '--auto-approve');
        expect(patched.code).toBe(1);
        expect(patched.stdout).toContain(
          `; audience ${before.audienceId!} may no longer exist remotely: plan again with --refresh and apply that plan (\`audiencectl plan ${manifests.dir} --refresh --output json --out p.json --state ${state}\`, then \`audiencectl apply p.json --state ${state}\`), or run \`audiencectl apply ${manifests.dir} --refresh --state ${state}\`, which reads the audience back and creates it again only if it is gone (its record, runs and name kept)\n`,
        );

        const replanned = await inProcess('plan', 'm', '--refresh', '--output', 'json', '--out', 'p.json');
        expect(replanned.code, replanned.stderr).toBe(0);
        const refreshed = await inProcess('apply', 'p.json', '--auto-approve');
        expect(refreshed.code, refreshed.stdout + refreshed.stderr).toBe(0);
        expect(refreshed.stdout).toMatch(/^ok {7}prod\/gold update: patched description$/m);
        expect((await record()).audienceId).toBe(before.audienceId);
        expect(emulator.control.listAudiences(ORG, 'prod')[0]?.description).toBe('edited');
      }),
    );
  });
});
