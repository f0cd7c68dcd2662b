import { access, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { recordPath } from '../../src/state/paths.js';
import type { AudienceRecord, StateMeta } from '../../src/state/schema.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { manifestYaml } from '../helpers/manifests.js';
import { paste } from '../helpers/paste.js';
import { git } from '../source/helpers/git-fixture.js';
import { withInProcessController } from './helpers/in-process.js';

const quiet = { ingestion: { onCreate: false } };

describe('the controller and the commit it applies', () => {
  it('records the commit it synced (with each record, and as the one last applied to the sandbox), and applies a rollback pushed to its branch (never refused as older)', async () => {
    await withInProcessController(
      { source: 'git' },
      async ({ git: repo, reconciler, emulator, stateDir }) => {
        const fixture = repo!;
        const description = () =>
          emulator.control
            .listAudiences(DEMO_CLIENT.orgId, 'prod')
            .map((a) => a.description)
            .sort();
        const marked = async () =>
          (JSON.parse(await readFile(path.join(stateDir, 'meta.json'), 'utf8')) as StateMeta).revisions;
        const recorded = async () =>
          (JSON.parse(await readFile(recordPath(stateDir, 'prod', 'x'), 'utf8')) as AudienceRecord).applied
            ?.revision;
        const pass = async () => {
          reconciler.trigger('webhook');
          await reconciler.settled();
        };

        const first = await fixture.commit({
          'audiences/x.yaml': manifestYaml('x', quiet),
          'audiences/y.yaml': manifestYaml('y', quiet),
        });
        await pass();
        const committedAt = new Date(
          Number(await git(path.join(fixture.root, 'clone'), 'show', '-s', '--format=%ct', first)) * 1000,
        ).toISOString();
        expect(await recorded()).toEqual({ commit: first, committedAt });
        expect(await marked()).toEqual({ prod: { commit: first, committedAt } });

        const second = await fixture.commit({
          'audiences/x.yaml': manifestYaml('x', { ...quiet, spec: { description: 'Edited' } }),
          'audiences/y.yaml': null,
        });
        await pass();
        expect(description()).toEqual(['Edited']);
        expect((await recorded())?.commit).toBe(second);
        expect((await marked())?.['prod']?.commit).toBe(second);

        // A commit that changes no audience: no call, and the sandbox is marked with it in one
        // meta write (a branch cut before it must not undo it); passed again, nothing is written.
        const serial = async () =>
          (JSON.parse(await readFile(path.join(stateDir, 'meta.json'), 'utf8')) as StateMeta).serial;
        const before = await serial();
        const third = await fixture.commit({ 'README.md': 'The audiences are in audiences/.\n' });
        emulator.control.resetCounters();
        await pass();
        expect(emulator.control.counters().requests).toBe(0);
        expect((await marked())?.['prod']?.commit).toBe(third);
        expect(await serial()).toBe(before + 1);
        reconciler.trigger('webhook');
        await reconciler.settled();
        expect(emulator.control.counters().requests).toBe(0);
        expect(await serial()).toBe(before + 1);

        // The branch's owner moves it back: the records say `second` and the sandbox `third`,
        // which `first` does not contain; y, removed by `second`, is created again.
        await git(
          path.join(fixture.root, 'clone'),
          'push',
          '--quiet',
          '--force',
          'origin',
          `${first}:refs/heads/main`,
        );
        await pass();
        expect(description()).toEqual(['About x', 'About y']);
        expect((await recorded())?.commit).toBe(first);
        expect((await marked())?.['prod']?.commit).toBe(first);
        // The mark remembers the rollback (git asked: `first` does not contain `third`), so an
        // `apply` from a clone still at `third`, committed before it, is refused.
        const rollback = (await marked())?.['prod']?.rolledBackFrom;
        expect(rollback?.map(({ commit, to }) => ({ commit, to }))).toEqual([{ commit: third, to: first }]);
      },
    );
  });

  it('writes the checkout whole again on a resync: a manifest gone from it on disk is not read as removed', async () => {
    await withInProcessController({ source: 'git' }, async ({ git: repo, reconciler, emulator }) => {
      const fixture = repo!;
      const names = () =>
        emulator.control
          .listAudiences(DEMO_CLIENT.orgId, 'prod')
          .map((a) => a.audienceName)
          .sort();
      const commit = await fixture.commit({
        'audiences/x.yaml': manifestYaml('x', quiet),
        'audiences/y.yaml': manifestYaml('y', quiet),
      });
      reconciler.trigger('webhook');
      await reconciler.settled();
      expect(names()).toEqual(['Audience x', 'Audience y']);

      // Something other than git removes a file of the checkout: the commit still holds it.
      const checkedOut = path.join(fixture.workDir, 'revs', commit, 'audiences', 'y.yaml');
      await rm(checkedOut);
      reconciler.trigger('resync');
      await reconciler.settled();
      expect(reconciler.status().plan?.summary['delete']).toBe(0);
      expect(names()).toEqual(['Audience x', 'Audience y']);
      await access(checkedOut);
    });
  });

  it("a blocked rename's commands on /status name the manifests' path inside the repository: pasted in a clone, they move the record", async () => {
    await withInProcessController(
      { source: 'git' },
      async ({ git: repo, reconciler, emulator, stateDir, status }) => {
        const fixture = repo!;
        const pass = async () => {
          reconciler.trigger('webhook');
          await reconciler.settled();
        };
        await fixture.commit({ 'audiences/gold.yaml': manifestYaml('gold', quiet) });
        await pass();
        const id = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')[0]?.audienceId;
        expect(id).toBeDefined();
        // A typo in metadata.name; the audience's name stays.
        await fixture.commit({
          'audiences/gold.yaml': manifestYaml('golld', { ...quiet, spec: { name: 'Audience gold' } }),
        });
        await pass();
        const gold = (await status()).audiences.find((a) => a.key === 'gold');
        expect(gold?.state).toBe('blocked');
        const message = gold?.lastError?.message ?? '';
        const commands = /To keep the new name: `([^`]*)`, then `([^`]*)`/.exec(message);
        expect(commands?.slice(1)).toEqual([
          'audiencectl state forget gold --sandbox prod',
          `audiencectl state import golld audiences --sandbox prod --audience-id ${id}`,
        ]);
        // A person's clone of the repository, with the controller's store and credentials.
        const clone = {
          cwd: path.join(fixture.root, 'clone'),
          env: { ...emulatorEnv(emulator), AUDIENCECTL_STATE: stateDir },
        };
        expect((await paste(commands![1]!, clone)).code).toBe(0);
        const imported = await paste(commands![2]!, clone);
        expect(imported.stderr).toBe('');
        expect(imported.stdout).toContain(`Imported prod/golld: audience ${id}.`);
      },
    );
  });
});
