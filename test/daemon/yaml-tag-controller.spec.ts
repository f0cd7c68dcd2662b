import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestYaml } from '../helpers/manifests.js';
import {
  withInProcessController,
  type InProcessController,
  reconcilePass,
  remoteAudiences,
} from './helpers/in-process.js';

/**
 * The controller and a manifest carrying a YAML tag outside the core schema (`!Sub`, as
 * templated YAML writes it), which `apply` refuses with a yaml/tag error
 * (test/cli/yaml-tag-cli.spec.ts): the controller reads it the same way. The file is an error
 * at the tag, published on /status and /plan with its file, line and column; its audience is
 * held: not renamed to the tag's text, not replaced (--allow-replace given), not deleted. The
 * emulator over HTTP, a directory source and a git source.
 */
const quiet = (name: string) => manifestYaml(name, { ingestion: { onCreate: false } });
const TAGGED = quiet('gold').replace('  name: Audience gold', '  name: !Sub "${Team} Gold"');
const MESSAGE =
  "spec.name: the YAML tag !Sub is not read by audiencectl (manifests are plain YAML: only the core schema's tags, such as !!str); remove it, and write the value itself";

/** Writes `files` (relative to the manifests) where the controller's source reads them. */
async function put(controller: InProcessController, files: Record<string, string>): Promise<void> {
  if (controller.git) {
    const prefixed: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) prefixed[`audiences/${name}`] = text;
    await controller.git.commit(prefixed);
    return;
  }
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(controller.dir, name), text);
}

describe('the controller and a manifest with a YAML tag outside the core schema', () => {
  it.each(['dir', 'git'] as const)(
    '%s source: refuses the file at the tag and holds its audience (no rename, replace or delete)',
    async (source) => {
      expect(TAGGED).toContain('  name: !Sub "${Team} Gold"\n');
      await withInProcessController({ source, plan: { allowReplace: true } }, async (controller) => {
        await put(controller, { 'gold.yaml': quiet('gold'), 'silver.yaml': quiet('silver') });
        await reconcilePass(controller);
        expect(remoteAudiences(controller)).toEqual(['Audience gold', 'Audience silver']);

        controller.emulator.control.resetCounters();
        await put(controller, { 'gold.yaml': TAGGED });
        await reconcilePass(controller);

        const status = await controller.status();
        expect(status.diagnostics).toEqual([
          { file: 'gold.yaml', line: 6, column: 9, rule: 'yaml/tag', message: MESSAGE, severity: 'error' },
        ]);
        expect(status.plan?.summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0, held: 1 });
        expect(controller.reconciler.planMarkdown()).toContain(`gold.yaml:6:9: error: ${MESSAGE} [yaml/tag]`);
        const held = controller.logs.findLast(
          (line) => line.msg === 'manifests with errors: their audiences are held',
        );
        expect(held?.['files']).toEqual(['gold.yaml']);
        const { byEndpoint } = controller.emulator.control.counters();
        expect(byEndpoint.createAudience.requests).toBe(0);
        expect(byEndpoint.patchAudience.requests).toBe(0);
        expect(byEndpoint.deleteAudience.requests).toBe(0);
        expect(remoteAudiences(controller)).toEqual(['Audience gold', 'Audience silver']);

        // Held on the next pass too, a full read (the resync) included.
        controller.reconciler.trigger('resync');
        await controller.reconciler.settled();
        expect(controller.emulator.control.counters().byEndpoint.patchAudience.requests).toBe(0);
        expect(controller.emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
        expect(remoteAudiences(controller)).toEqual(['Audience gold', 'Audience silver']);
      });
    },
  );
});
