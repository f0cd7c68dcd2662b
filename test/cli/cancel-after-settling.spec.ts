import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/state/read.js';
import { recordPath } from '../../src/state/paths.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { applyOnTerminal } from '../helpers/terminal.js';

const DAY = 86_400;

/**
 * review 8, L1: an apply drops a spent runs-only record (settling, before it plans) before it asks
 * for confirmation; answered "no", it said "Apply cancelled; nothing was changed." though the
 * record was gone, and labelled the drop "resumed:" though nothing was interrupted.
 */
describe('an apply answered "no" after settling', () => {
  it('says the settling above is kept, and applies no step', async () => {
    await withTempDir(async (dir) => {
      await mkdir(path.join(dir, 'm'));
      await writeFile(path.join(dir, 'm', 'a1.yaml'), manifestYaml('a1', { ingestion: { onCreate: false } }));
      const state = path.join(dir, 'state');
      // A removed manifest's record, kept for the run of its deleted audience, begun 25 hours ago.
      const begun = Math.floor(Date.now() / 1000) - DAY - 3600;
      const remnant: AudienceRecord = {
        schemaVersion: 1,
        sandbox: 'prod',
        key: 'gold',
        deletionPolicy: 'Delete',
        runs: [
          {
            runId: 'run-1',
            status: 'SUCCESS',
            createdAt: begun,
            dataFilterStartTime: 0,
            dataFilterEndTime: begun,
            formerAudienceId: '4179ae5f-0000-4000-8000-000000000001',
          },
        ],
      };
      await mkdir(path.dirname(recordPath(state, 'prod', 'gold')), { recursive: true });
      await writeFile(recordPath(state, 'prod', 'gold'), JSON.stringify(remnant));

      const result = await applyOnTerminal([path.join(dir, 'm'), '--emulator', '--state', state], 'no\r');
      const output = result.output.replaceAll('\r', '');
      expect(output).toContain(
        'settled: prod/gold: dropped the record kept only for the runs of deleted audiences, none of which counts against the daily run budget any more\n',
      );
      expect(output).not.toContain('resumed:');
      expect(output).toMatch(/Apply these 1 step\(s\)\? Only "yes" is accepted: /);
      expect(output).toContain(
        '\nApply cancelled; no step was applied. The state keeps what was settled before the plan (the line above).\n',
      );
      expect(output).not.toContain('nothing was changed');
      expect(result.code).toBe(1);
      // What it said: the runs-only record is gone, a1 was not created.
      expect((await readState(state)).audiences).toEqual([]);
    });
  });
});
