import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { recordPath } from '../../src/state/paths.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { manifestYaml } from '../helpers/manifests.js';
import { git } from '../source/helpers/git-fixture.js';
import { withInProcessController } from './helpers/in-process.js';

const quiet = { ingestion: { onCreate: false } };

describe('the controller and the commit it applies', () => {
  it('records the commit it synced, and applies a rollback pushed to its branch (never refused as older)', async () => {
    await withInProcessController(
      { source: 'git' },
      async ({ git: repo, reconciler, emulator, stateDir }) => {
        const fixture = repo!;
        const description = () =>
          emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.description);
        const recorded = async () =>
          (JSON.parse(await readFile(recordPath(stateDir, 'prod', 'x'), 'utf8')) as AudienceRecord).applied
            ?.revision;
        const pass = async () => {
          reconciler.trigger('webhook');
          await reconciler.settled();
        };

        const first = await fixture.commit({ 'audiences/x.yaml': manifestYaml('x', quiet) });
        await pass();
        const committedAt = new Date(
          Number(await git(path.join(fixture.root, 'clone'), 'show', '-s', '--format=%ct', first)) * 1000,
        ).toISOString();
        expect(await recorded()).toEqual({ commit: first, committedAt });

        const second = await fixture.commit({
          'audiences/x.yaml': manifestYaml('x', { ...quiet, spec: { description: 'Edited' } }),
        });
        await pass();
        expect(description()).toEqual(['Edited']);
        expect((await recorded())?.commit).toBe(second);

        // The branch's owner moves it back: the records say `second`, which `first` does not contain.
        await git(
          path.join(fixture.root, 'clone'),
          'push',
          '--quiet',
          '--force',
          'origin',
          `${first}:refs/heads/main`,
        );
        await pass();
        expect(description()).toEqual(['About x']);
        expect((await recorded())?.commit).toBe(first);
      },
    );
  });
});
