import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController } from './helpers/in-process.js';

/**
 * The controller's --dir reads as the CLI does: a manifest renamed gold.YAML in the watched
 * directory is not read, and not removed either: its audience is held (review 31, H-2).
 */
const quiet = (name: string) => manifestYaml(name, { ingestion: { onCreate: false } });

type Controller = Parameters<Parameters<typeof withInProcessController>[1]>[0];

/** The service's audiences of `prod` (name and id), sorted. */
const remote = (controller: Controller) =>
  controller.emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .map((a) => `${a.audienceName} ${a.audienceId}`)
    .sort();

/**
 * gold and silver applied by the controller's pass, then gold.yaml renamed `to` and a pass
 * settled: the service's audiences before the rename and after that pass.
 */
async function renameGold(
  controller: Controller,
  to: string,
): Promise<{ before: string[]; after: string[] }> {
  await writeFile(path.join(controller.dir, 'gold.yaml'), quiet('gold'));
  await writeFile(path.join(controller.dir, 'silver.yaml'), quiet('silver'));
  controller.reconciler.trigger('watch');
  await controller.reconciler.settled();
  const before = remote(controller);
  await rename(path.join(controller.dir, 'gold.yaml'), path.join(controller.dir, to));
  controller.reconciler.trigger('watch');
  await controller.reconciler.settled();
  return { before, after: remote(controller) };
}

describe('the controller (--dir) and a file the default selection leaves out', () => {
  it('mv gold.yaml gold.YAML: gold is held, not deleted, and the plan says why', async () => {
    await withInProcessController({}, async (controller) => {
      const { before, after } = await renameGold(controller, 'gold.YAML');
      expect(before.map((a) => a.split(' ').slice(0, 2).join(' '))).toEqual([
        'Audience gold',
        'Audience silver',
      ]);
      expect(after).toEqual(before);
      expect(controller.reconciler.planMarkdown()).toContain(
        'its manifest is now gold.YAML, which audiencectl does not read (extension .YAML: audiencectl reads .yaml and .yml); the audience is left as it is: rename it to end in .yaml or .yml to keep it, or remove it to delete the audience',
      );
      expect((await controller.status()).plan?.summary).toMatchObject({ delete: 0, held: 1 });
    });
  });

  it('mv gold.yaml gold.yaml.bak: gold is held, not deleted, naming both files (review scope-41, H-2)', async () => {
    await withInProcessController({}, async (controller) => {
      const { before, after } = await renameGold(controller, 'gold.yaml.bak');
      expect(before).toHaveLength(2);
      expect(after).toEqual(before);
      expect(controller.reconciler.planMarkdown()).toContain(
        'its manifest gold.yaml is now gold.yaml.bak, which audiencectl does not read (it reads names ending in .yaml or .yml, not ".yaml.bak"); the audience is left as it is: rename gold.yaml.bak back to end in .yaml or .yml to keep it, or remove gold.yaml.bak to delete the audience',
      );
      expect((await controller.status()).plan?.summary).toMatchObject({ delete: 0, held: 1 });
      // Nothing says the backup is not read until then: an editor's, beside the file it saves, is no warning.
      expect((await controller.status()).diagnostics ?? []).toEqual([]);
    });
  });

  it('mv gold.yaml gold.ymal (a typo): gold is held, not deleted (review scope-42, H-1)', async () => {
    await withInProcessController({}, async (controller) => {
      const { before, after } = await renameGold(controller, 'gold.ymal');
      expect(before).toHaveLength(2);
      expect(after).toEqual(before);
      expect(controller.reconciler.planMarkdown()).toContain(
        'its manifest gold.yaml is now gold.ymal, which audiencectl does not read (it reads names ending in .yaml or .yml, not ".ymal")',
      );
      expect((await controller.status()).plan?.summary).toMatchObject({ delete: 0, held: 1 });
    });
  });
});
