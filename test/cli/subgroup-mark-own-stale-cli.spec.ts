import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { audienceNames, repositoryWithRemote } from '../helpers/work-tree.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review verify-43 M-1, of bd1f1251 (the prefixed mark's refusal). Two repositories share a store,
 * marketing/emea/audiences and emea/audiences. A checkout of emea/audiences that is itself older
 * than its own repository's last apply (it lacks b2, which a teammate's newer commit added and
 * applied) is refused; the other repository applied last, so its mark is the newest commit the
 * refusal names, and the refusal tells the reader that, if the two are two repositories, passing
 * --allow-older-checkout "deletes none of marketing/emea/audiences's audiences". They are two;
 * passed, it deletes b2, of this very repository, from a stale picture. A refusal that its own
 * repository's newer commit makes too must say to pull, never to pass the flag.
 */
const quiet = { ingestion: { onCreate: false } };

describe("a stale checkout refused while another repository's mark is the newest", () => {
  it('is told to pull, not to pass --allow-older-checkout', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const b = await repositoryWithRemote(root, 'b', 'git@gitlab.com:emea/audiences.git', ['b1']);
        const older = (await b.git('rev-parse', 'HEAD')).stdout.trim();
        // A teammate's newer commit of emea/audiences adds b2 and is applied.
        await writeFile(path.join(b.repo, 'audiences/b2.yaml'), manifestYaml('b2', quiet));
        await b.git('add', 'audiences');
        await b.git('commit', '--quiet', '-m', 'b2');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(b.repo, 'audiences'), state, env)).code).toBe(0);
        // Then marketing/emea/audiences applies, from a commit made after (refused by the mark of
        // emea/audiences, it passes --allow-older-checkout, as the refusal says two repositories do).
        const a = await repositoryWithRemote(root, 'a', 'https://gitlab.com/marketing/emea/audiences.git', [
          'a1',
        ]);
        await writeFile(
          path.join(a.repo, 'audiences/a1.yaml'),
          manifestYaml('a1', { ...quiet, spec: { description: 'later' } }),
        );
        await promisify(execFile)('git', ['commit', '--quiet', '-am', 'later'], {
          cwd: a.repo,
          env: {
            ...process.env,
            ...GIT_ENV,
            GIT_COMMITTER_DATE: new Date(Date.now() + 86_400_000).toISOString(),
          },
        });
        expect((await apply(path.join(a.repo, 'audiences'), state, env, '--allow-older-checkout')).code).toBe(
          0,
        );
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience b1', 'Audience b2']);

        // A stale run of emea/audiences: the older commit, with a new manifest b3 on it.
        await b.git('checkout', '--quiet', older);
        await writeFile(path.join(b.repo, 'audiences/b3.yaml'), manifestYaml('b3', quiet));
        await b.git('add', 'audiences');
        await b.git('commit', '--quiet', '-m', 'b3');
        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: b.repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        const warning = planned.stdout.replace(/\s+/g, ' ');
        expect(warning).toMatch(/Warning: apply would refuse this plan/);
        expect(warning).not.toContain('apply with --allow-older-checkout, which deletes none');
        expect(warning).toContain('Pull or fetch the newer commit and plan from it');
        const stale = await apply(path.join(b.repo, 'audiences'), state, env);
        expect(stale.code).toBe(1);
        const refusal = stale.stderr.replace(/\s+/g, ' ');
        expect(refusal).toMatch(/refusing to undo a newer apply/);
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience b1', 'Audience b2']);
        // b2's removal is this repository's own stale picture: only a pull makes it right.
        expect(refusal).not.toContain('--allow-older-checkout to apply anyway, which deletes none');
        expect(refusal).toContain('Pull or fetch the newer commit and apply from it');
      }),
    );
  });
});
