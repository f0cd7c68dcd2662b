import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { initAndApplyOnEmulator } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// UTC, 8 hours behind it, 13:45 ahead of it.
const ZONES = ['UTC', 'America/Los_Angeles', 'Pacific/Chatham'];

describe('a plan does not depend on the time zone', () => {
  it('a record time stamp written without a zone is read as UTC under every TZ', async () => {
    await withTempDir(async (dir) => {
      const manifests = path.join(dir, 'm');
      const state = path.join(dir, 'state');
      await mkdir(manifests);
      await writeFile(
        path.join(manifests, 'gold.yaml'),
        manifestYaml('gold', { ingestion: { onCreate: false, every: '7d' } }),
      );
      // The record is set up by the CLI's own entry in this process; each plan below is a process
      // of its own, under its TZ.
      const applied = await initAndApplyOnEmulator(manifests, state);
      expect(applied.code).toBe(0);

      // Applied 6 hours short of the 7 days `every` asks for, in UTC, written without the Z
      // (a record edited by hand): no run is due yet.
      const file = path.join(state, 'audiences', 'prod', 'gold.json');
      const record = JSON.parse(await readFile(file, 'utf8')) as { applied: { at: string }; runs: unknown[] };
      expect(record.runs).toEqual([]);
      record.applied.at = new Date(Date.now() - 7 * DAY_MS + 6 * HOUR_MS).toISOString().slice(0, 19);
      await writeFile(file, JSON.stringify(record, null, 2));

      for (const zone of ZONES) {
        const plan = await runCli(['plan', manifests, '--state', state], { env: { TZ: zone } });
        expect({ zone, code: plan.code, stdout: plan.stdout }).toEqual({
          zone,
          code: 0,
          stdout: 'No changes. The audiences match the manifests.\n',
        });
      }
    });
  });
});
