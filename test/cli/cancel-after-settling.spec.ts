import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
 * review 8, L1: an apply dropped a spent runs-only record (settling, before it plans) before it
 * asked for confirmation, and said "nothing was changed" when answered "no". Review 9, finding 1:
 * as Terraform changes nothing before "yes", the drop waits for the apply to go ahead; declined
 * (or Ctrl-C at the prompt), the state is exactly as it was.
 */
describe('an apply answered "no" (or Ctrl-C) with a spent runs-only record', () => {
  it.each([
    ['no', 'no\r'],
    ['Ctrl-C', '\u0003'],
  ])('%s: says what it would drop, drops nothing, applies no step', async (_name, keys) => {
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
      const file = recordPath(state, 'prod', 'gold');
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(remnant));
      const before = await readState(state);

      const result = await applyOnTerminal([path.join(dir, 'm'), '--emulator', '--state', state], keys);
      const output = result.output.replaceAll('\r', '');
      expect(output).toContain(
        'to drop: prod/gold: the record kept only for the runs of deleted or forgotten audiences, none of which counts against the daily run budget any more\n',
      );
      expect(output).not.toContain('resumed:');
      expect(output).not.toContain('dropped:');
      expect(output).toMatch(/Apply these 1 step\(s\)\? Only "yes" is accepted: /);
      expect(output).toContain('\nApply cancelled; nothing was changed.\n');
      expect(result.code).toBe(1);
      // As it said: the runs-only record is still there, byte for byte, no serial moved, a1 not created.
      expect(await readFile(file, 'utf8')).toBe(JSON.stringify(remnant));
      expect(await readState(state)).toEqual(before);
    });
  });
});
