import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { recordPath } from '../../src/state/paths.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController } from './helpers/in-process.js';

const quiet = { ingestion: { onCreate: false } };

/**
 * The controller's checkout is a directory of its own for each revision, with no `.git`: the
 * directory its records keep (`sourceRoot`) is its `--path` below the checkout, the same for
 * every revision and replica. Were it the checkout's own path, a manifest a newer commit removes
 * would be found in the older revision's checkout and its removal held, never applied.
 */
describe('a controller following a git branch', () => {
  it("records --path as the records' directory, and deletes what a newer commit removes", async () => {
    await withInProcessController({ source: 'git' }, async ({ git, reconciler, emulator, stateDir }) => {
      const names = () =>
        emulator.control
          .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
          .map((audience) => audience.audienceName)
          .sort();
      const pass = async () => {
        reconciler.trigger('webhook');
        await reconciler.settled();
      };
      await git!.commit({
        'audiences/x.yaml': manifestYaml('x', quiet),
        'audiences/y.yaml': manifestYaml('y', quiet),
      });
      await pass();
      expect(names()).toEqual(['Audience x', 'Audience y']);
      const record = JSON.parse(
        await readFile(recordPath(stateDir, DEMO_SANDBOX, 'y'), 'utf8'),
      ) as AudienceRecord;
      expect({ manifestFile: record.manifestFile, sourceRoot: record.sourceRoot }).toEqual({
        manifestFile: 'y.yaml',
        sourceRoot: 'audiences',
      });

      await git!.commit({ 'audiences/y.yaml': null });
      await pass();
      expect(names()).toEqual(['Audience x']);
    });
  });
});
