import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

// Review verify-44 L-1, of bb4f06f6: a state location through a file (`notes.txt/state`) or
// naming one is refused in one line, but that line says `--state <path>` whatever gave the
// location. The image sets AUDIENCECTL_STATE_DIR, a team's configuration file may say `state:`;
// the missing-store warning and error name those settings (review-36a L,
// state-dir-env-named-cli.spec.ts), while this refusal sent the user to fix a flag never given.

const AEP = { AEP_CLIENT_ID: 'c', AEP_CLIENT_SECRET: 's', AEP_ORG_ID: 'O@AdobeOrg' };

describe('a state location through a file, given by a setting other than --state', () => {
  it.each([
    ['plan', ['plan', 'm']],
    ['apply', ['apply', 'm', '--auto-approve']],
  ])('%s names AUDIENCECTL_STATE_DIR when it gave the location', async (_name, args) => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold') });
      await writeFile(path.join(dir, 'notes.txt'), 'not a store\n');
      for (const given of ['notes.txt/state', 'notes.txt']) {
        const result = await runCli(args, {
          cwd: dir,
          env: { ...AEP, AUDIENCECTL_STATE: undefined, AUDIENCECTL_STATE_DIR: path.join(dir, given) },
        });
        expect({ given, code: result.code, stdout: result.stdout }).toEqual({ given, code: 1, stdout: '' });
        expect(result.stderr).toMatch(/^Error: [^\n]*\n$/);
        expect(result.stderr).toContain('AUDIENCECTL_STATE_DIR');
        expect(result.stderr).not.toContain('--state');
      }
    });
  });

  // The controller too (the image's own variable): run checked its store without where it came from.
  it('run names AUDIENCECTL_STATE_DIR when it gave the location', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold') });
      await writeFile(path.join(dir, 'notes.txt'), 'not a store\n');
      for (const given of ['notes.txt/state', 'notes.txt']) {
        const result = await runCli(['run', '--dir', 'm', '--emulator', '--listen', '127.0.0.1:0'], {
          cwd: dir,
          env: { AUDIENCECTL_STATE: undefined, AUDIENCECTL_STATE_DIR: path.join(dir, given) },
          stopOn: /listening|serving|reconcil/i,
        });
        expect({ given, code: result.code }).toEqual({ given, code: 1 });
        expect(result.stderr).toMatch(/^Error: [^\n]*\n$/);
        expect(result.stderr).toContain('AUDIENCECTL_STATE_DIR');
        expect(result.stderr).not.toContain('--state');
      }
    });
  });

  it("plan names the configuration file's state: when it gave the location", async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold'), 'cfg.yaml': 'state: notes.txt/state\n' });
      await writeFile(path.join(dir, 'notes.txt'), 'not a store\n');
      const result = await runCli(['plan', 'm', '--config', 'cfg.yaml'], {
        cwd: dir,
        env: { AUDIENCECTL_STATE: undefined, AUDIENCECTL_STATE_DIR: undefined },
      });
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
      expect(result.stderr).toMatch(/^Error: [^\n]*\n$/);
      expect(result.stderr).toContain('state: in cfg.yaml');
      expect(result.stderr).not.toContain('--state');
    });
  });
});
