import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { newRecord } from '../../src/state/record-changes.js';
import type { AudienceRecord, RunRecord } from '../../src/state/schema.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from '../state/helpers.js';

// `state import` into a record waiting for its create records its audience as a create does:
// the runs of deleted audiences the record kept for the daily run budget that no longer count
// (begun more than 24 h and 5 minutes before) go, those that still count stay.

const tempDir = useTempDirs();
const gold = manifestObject('gold');

function former(runId: string, hoursAgo: number): RunRecord {
  return {
    runId,
    status: 'SUCCESS',
    createdAt: Math.floor(Date.now() / 1000) - hoursAgo * 3600,
    dataFilterStartTime: 0,
    reason: 'onCreate',
    formerAudienceId: 'deleted-audience',
  };
}

describe('state import into a record waiting for its create', () => {
  it.each([
    ['kept by a replace (no create in flight)', {}],
    [
      'with a create intent',
      { intent: { id: 'intent-1', kind: 'create' as const, startedAt: new Date().toISOString() } },
    ],
  ])('%s: the spent former run goes, the counting one stays', async (_, extra: Partial<AudienceRecord>) => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      const state = await tempDir();
      const manifests = new ManifestDir(await tempDir());
      await manifests.write([gold]);
      const counting = former('run-counting', 1);
      const store = new FileStateStore(state);
      await store.lock();
      await store.put({
        ...newRecord('prod', 'gold'),
        manifestFile: 'gold.yaml',
        runs: [counting, former('run-spent', 25)],
        ...extra,
      });
      await store.unlock();
      const made = await emulator.createAudience(gold.spec);

      const imported = await runCliInProcess(
        [
          'state',
          'import',
          'gold',
          manifests.dir,
          '--sandbox',
          'prod',
          '--audience-id',
          made,
          '--state',
          state,
        ],
        { env: emulatorEnv(emulator) },
      );
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      const record = await new FileStateStore(state).get('prod', 'gold');
      expect(record?.audienceId).toBe(made);
      expect(record?.intent).toBeUndefined();
      expect(record?.runs).toEqual([counting]);
    });
  });
});
