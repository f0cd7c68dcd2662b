import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject, manifestYaml } from '../helpers/manifests.js';
import { ORG } from '../helpers/replaced-env.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review 7, H3, as the reviewer ran it: gold applied in prod from a manifest naming no sandbox;
// the default sandbox becomes dev (AEP_SANDBOX=dev), where an audience of gold's name exists;
// the user runs only the import of the move hint. Against the emulator over HTTP: the import
// warns, the plan holds prod/gold, the apply deletes nothing, prod's audience stays. The import,
// whose warning each story is about, is the built CLI, spawned; the other steps run the same CLI
// entry in this process (the same code and output, still asserted): what sets a story up (gold's
// first apply, the plan whose move hint the user then follows), and the plans, apply and forget
// after the import.

describe('a default sandbox changed, then the key imported in the new sandbox without a forget (built CLI)', () => {
  it('holds the old record, never deletes its audience, and its forget drops it', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = path.join(tmp, 'state');
        await mkdir(state);
        await writeFiles(path.join(tmp, 'm'), { 'gold.yaml': manifestYaml('gold') });
        const cli = (sandbox: string, ...args: string[]) =>
          runCli([...args, '--state', state], {
            env: emulatorEnv(emulator, { AEP_SANDBOX: sandbox }),
            cwd: tmp,
          });
        const inProcess = (sandbox: string, ...args: string[]) =>
          runCliInProcess([...args, '--state', state], {
            env: emulatorEnv(emulator, { AEP_SANDBOX: sandbox }),
            cwd: tmp,
          });

        const first = await inProcess('prod', 'apply', 'm', '--auto-approve');
        expect(first.code, first.stdout + first.stderr).toBe(0);
        const [prodAudience, ...others] = emulator.control.listAudiences(ORG, 'prod');
        expect(others).toEqual([]);
        const prodId = prodAudience!.audienceId;
        const devId = await emulator.createAudience(manifestObject('gold').spec, { sandbox: 'dev' });

        const move = await inProcess('dev', 'plan', 'm');
        expect(move.stdout).toContain('! prod/gold move: its manifest names no sandbox');
        expect(move.stdout).toContain(
          `If it already exists in "dev", instead: \`audiencectl state forget gold --sandbox prod --state ${state}\`, then \`audiencectl state import gold m --sandbox dev --audience-id AUDIENCE_ID --state ${state}\``,
        );

        // Only the import, as "…, or import … if it already exists there" read.
        const imported = await cli(
          'dev',
          'state',
          'import',
          'gold',
          'm',
          '--sandbox',
          'dev',
          '--audience-id',
          devId,
        );
        expect(imported.code, imported.stderr).toBe(0);
        expect(imported.stdout).toContain(`Imported dev/gold: audience ${devId}.`);
        expect(imported.stderr).toContain(
          `Warning: prod/gold (audience ${prodId}) is recorded too, from gold.yaml, which now names gold in sandbox "dev": it stays recorded and plans hold it (its audience is never deleted); to stop managing it (the audience stays): audiencectl state forget gold --sandbox prod --state ${state}\n`,
        );

        const held = await inProcess('dev', 'plan', 'm');
        expect(held.code, held.stderr).toBe(0);
        expect(held.stdout).toContain('0 to delete, 0 to forget');
        expect(held.stdout).not.toContain('- prod/gold');
        expect(held.stdout).toContain(
          `Held (left alone): 1\n  prod/gold: gold.yaml still names gold, now in sandbox "dev", where gold is recorded too: its manifest was not removed, so the audience in "prod" is never deleted; to stop managing it (the audience stays): audiencectl state forget gold --sandbox prod --state ${state}\n`,
        );

        emulator.control.resetCounters();
        const applied = await inProcess('dev', 'apply', 'm', '--auto-approve');
        expect(applied.code, applied.stdout + applied.stderr).toBe(0);
        expect(emulator.control.requestLog().filter((entry) => entry.method === 'DELETE')).toEqual([]);
        expect(emulator.control.listAudiences(ORG, 'prod').map((a) => a.audienceId)).toEqual([prodId]);
        expect(emulator.control.listAudiences(ORG, 'dev').map((a) => a.audienceId)).toEqual([devId]);
        const store = new FileStateStore(state);
        expect((await store.get('prod', 'gold'))?.audienceId).toBe(prodId);
        expect((await store.get('dev', 'gold'))?.audienceId).toBe(devId);

        // The held entry's command, as written: the record goes, the audience stays.
        const forgot = await inProcess('dev', 'state', 'forget', 'gold', '--sandbox', 'prod');
        expect(forgot.code, forgot.stderr).toBe(0);
        const clean = await inProcess('dev', 'plan', 'm', '--detailed-exitcode');
        expect(clean.code, clean.stdout).toBe(0);
        expect(emulator.control.listAudiences(ORG, 'prod').map((a) => a.audienceId)).toEqual([prodId]);
      });
    });
  });
});

// Review 10, finding 2, as the reviewer ran it: the repository reorganised by sandbox in one
// change, aud/gold.yaml (prod) moved to aud/dev/gold.yaml with metadata.sandbox: dev; only the
// move hint's import, without its forget. The plan holds only a record whose own file names the
// key elsewhere, so prod/gold's audience is deleted by the next apply as a removed manifest
// (a same-key manifest in another sandbox is a separate audience, whose removal deletes): the
// import now says so, whatever file the key moved to, with the forget that keeps it.

describe('a manifest moved to another file and sandbox, then the key imported there without a forget (built CLI)', () => {
  it('warns that the next apply deletes the old audience, and its forget, followed, keeps it', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = path.join(tmp, 'state');
        await mkdir(state);
        const aud = path.join(tmp, 'aud');
        await writeFiles(aud, { 'gold.yaml': manifestYaml('gold') });
        const cli = (...args: string[]) =>
          runCli([...args, '--state', state], { env: emulatorEnv(emulator), cwd: tmp });
        const inProcess = (...args: string[]) =>
          runCliInProcess([...args, '--state', state], { env: emulatorEnv(emulator), cwd: tmp });

        const first = await inProcess('apply', 'aud', '--auto-approve');
        expect(first.code, first.stdout + first.stderr).toBe(0);
        const [prodAudience] = emulator.control.listAudiences(ORG, 'prod');
        const prodId = prodAudience!.audienceId;
        const devId = await emulator.createAudience(manifestObject('gold').spec, { sandbox: 'dev' });

        await rm(path.join(aud, 'gold.yaml'));
        await writeFiles(path.join(aud, 'dev'), {
          'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }),
        });
        const move = await inProcess('plan', 'aud');
        expect(move.stdout).toContain('! prod/gold move: its manifest now names sandbox "dev"');

        const imported = await cli(
          'state',
          'import',
          'gold',
          'aud',
          '--sandbox',
          'dev',
          '--audience-id',
          devId,
        );
        expect(imported.code, imported.stderr).toBe(0);
        expect(imported.stdout).toContain(`Imported dev/gold: audience ${devId}.`);
        expect(imported.stderr).toBe(
          `Warning: prod/gold (audience ${prodId}) is recorded too, and no manifest in aud names gold in sandbox "prod": the next apply deletes that audience (manifest removed), unless it was moved here; if it was, run this before any apply: audiencectl state forget gold --sandbox prod --state ${state}\n`,
        );
        // What the warning says the next apply would do, it would.
        const deleting = await inProcess('plan', 'aud');
        expect(deleting.stdout).toContain('- prod/gold delete: manifest removed');

        const forgot = await inProcess('state', 'forget', 'gold', '--sandbox', 'prod');
        expect(forgot.code, forgot.stderr).toBe(0);
        emulator.control.resetCounters();
        const applied = await inProcess('apply', 'aud', '--auto-approve');
        expect(applied.code, applied.stdout + applied.stderr).toBe(0);
        expect(emulator.control.requestLog().filter((entry) => entry.method === 'DELETE')).toEqual([]);
        expect(emulator.control.listAudiences(ORG, 'prod').map((a) => a.audienceId)).toEqual([prodId]);
      });
    });
  });
});
