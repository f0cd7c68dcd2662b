import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController } from './helpers/in-process.js';
import type { LogLine } from './helpers/controller.js';

const quiet = { ingestion: { onCreate: false } };

/** What the pass of `revision` logged about reading its manifests. */
function readOf(logs: readonly LogLine[], revision: string): Record<string, unknown> | undefined {
  const line = logs.findLast((l) => l.msg === 'manifests read' && l['revision'] === revision);
  return line && { mode: line['mode'], reason: line['reason'], files: line['files'] };
}

describe('the controller reads only what a push changed', () => {
  it('re-reads the files of the diff on a webhook, holds a broken one, and reads everything on a resync', async () => {
    await withInProcessController({ source: 'git' }, async ({ git, reconciler, emulator, logs }) => {
      const repo = git!;
      const remote = () =>
        Object.fromEntries(
          emulator.control
            .listAudiences(DEMO_CLIENT.orgId, 'prod')
            .map((a) => [a.audienceName, a.description]),
        );
      const first = await repo.commit({
        'audiences/a.yaml': manifestYaml('a', quiet),
        'audiences/b.yaml': manifestYaml('b', quiet),
        'audiences/c.yaml': manifestYaml('c', quiet),
      });
      reconciler.trigger('startup');
      await reconciler.settled();
      expect(readOf(logs, first)).toEqual({ mode: 'full', reason: 'startup', files: 3 });

      // One edit, one deletion, one rename: only the edited and the renamed-to files are read.
      const edit = await repo.commit({
        'audiences/a.yaml': manifestYaml('a', { ...quiet, spec: { description: 'Edited' } }),
        'audiences/b.yaml': null,
        'audiences/c.yaml': null,
        'audiences/moved/c.yaml': manifestYaml('c', quiet),
      });
      reconciler.trigger('webhook');
      await reconciler.settled();
      expect(readOf(logs, edit)).toEqual({ mode: 'incremental', files: 2 });
      expect(remote()).toEqual({ 'Audience a': 'Edited', 'Audience c': 'About c' });

      // A file that no longer parses holds its audience: neither changed nor deleted.
      const broken = await repo.commit({ 'audiences/a.yaml': 'apiVersion: audiencectl/v1\nkind: [\n' });
      reconciler.trigger('webhook');
      await reconciler.settled();
      expect(readOf(logs, broken)).toEqual({ mode: 'incremental', files: 1 });
      expect(remote()).toEqual({ 'Audience a': 'Edited', 'Audience c': 'About c' });

      reconciler.trigger('resync');
      await reconciler.settled();
      expect(readOf(logs, broken)).toEqual({ mode: 'full', reason: 'resync', files: 2 });
    });
  });
});
