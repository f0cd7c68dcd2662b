import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// REVIEW-37v: c0a8ca3 makes `state forget` drop only a record that no longer parses
// (STATE_CORRUPT), not one it cannot read. A record written by a newer audiencectl (a record
// format this one does not know: schemaVersion 3) is read as STATE_CORRUPT too, so an older CLI
// run beside a newer controller forgets a live audience's record as "damaged": no audience id
// named, its intent and runs dropped. It should be refused as meta.json's newer format is
// (STATE_FORMAT_NEWER: "upgrade audiencectl"), the record kept.
describe('state forget of a record in a newer format', () => {
  it('refuses it and keeps the record', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = path.join(tmp, 'state');
        await mkdir(state);
        await applyInProcess(emulator, state, {
          'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
        });
        const dir = path.join(state, 'audiences', 'prod');
        const [file] = (await readdir(dir)).filter((f) => f.endsWith('.json'));
        const recordFile = path.join(dir, file!);
        const record = JSON.parse(await readFile(recordFile, 'utf8')) as Record<string, unknown>;
        await writeFile(recordFile, JSON.stringify({ ...record, schemaVersion: 3 }));

        const forgot = await runCliInProcess([
          'state',
          'forget',
          'gold',
          '--sandbox',
          'prod',
          '--state',
          state,
        ]);
        expect(`${forgot.code} ${forgot.stdout}`).toBe('1 ');
        expect(await readdir(dir)).toEqual([file]);
      });
    });
  });
});
