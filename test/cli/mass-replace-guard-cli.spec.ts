import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';

const KEYS = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];

/**
 * Review 32, M-2. A replacement deletes the audience (a new id: every destination activating the
 * old one loses it), so the mass-deletion guard counts it as it counts a delete, as
 * `--max-deletes 0` blocks it: six audiences replaced at once (a shared template's sourceSpec
 * edited, with --allow-replace) are over the default limit of five, and every one is blocked
 * with the mass-deletion reason (exit 3), none replaced. The built CLI, the emulator over HTTP.
 */
describe('a plan replacing more audiences than --max-deletes allows', () => {
  it('is held by the mass-deletion guard, as deletions are', async () => {
    await cliBench(async ({ tmp, cli, setUp, emulator }) => {
      const aud = path.join(tmp, 'aud');
      await mkdir(aud);
      for (const key of KEYS) await writeFile(path.join(aud, `${key}.yaml`), manifestYaml(key));
      const first = await setUp('apply', aud, '--auto-approve');
      expect(first.code, first.stdout + first.stderr).toBe(0);
      const before = emulator.control
        .listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')
        .map((audience) => audience.audienceId)
        .sort();
      expect(before).toHaveLength(6);

      for (const key of KEYS) {
        const moved = manifestYaml(key, {
          spec: {
            sourceSpec: {
              path: `exports/v2/${key}.csv`,
              type: 'file',
              sourceType: 'Cloud Storage',
              cloudType: 'DLZ',
            },
          },
        });
        await writeFile(path.join(aud, `${key}.yaml`), moved);
      }
      const applied = await cli('apply', aud, '--auto-approve', '--allow-replace');
      expect(applied.stdout).not.toContain('replaced: deleted');
      expect(applied.stdout).toContain(
        'blocked  prod/a1 replace: the plan deletes 6 audiences (6 of them replaced), over the limit of 5; pass --allow-mass-delete (or raise --max-deletes) if that is intended',
      );
      expect(
        emulator.control
          .listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')
          .map((audience) => audience.audienceId)
          .sort(),
      ).toEqual(before);
      expect(applied.code).toBe(3);
    });
  });
});
