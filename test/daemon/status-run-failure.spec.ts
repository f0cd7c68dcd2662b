import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController } from './helpers/in-process.js';

/** The emulator's reason for an injected run failure (its fault table, written out here). */
const REASON = 'Profile ingestion failed (injected runFailure fault).';
const NEXT = 'change ingestion.request to start a new run';

describe('the controller: a failed ingestion run on /status', () => {
  it('shows the reason and what to do next, also once the audience is otherwise in sync', async () => {
    await withInProcessController({}, async ({ emulator, dir, stateDir, reconciler, status, logs }) => {
      emulator.control.queueFault({ kind: 'runFailure' });
      await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: true } }));
      reconciler.trigger('startup');
      await reconciler.settled();
      const failedStep = logs.find((line) => line.msg === 'step failed');
      expect(failedStep?.['message']).toContain(`FAILED: ${REASON}; ${NEXT}`);

      // A later pass has nothing to do for gold; /status still says why its last run failed.
      reconciler.trigger('resync');
      await reconciler.settled();
      const gold = (await status()).audiences.find((a) => a.key === 'gold');
      const runId = (await new FileStateStore(stateDir).get('prod', 'gold'))?.runs[0]?.runId;
      expect(gold?.lastRunFailure).toEqual({ runId, reason: REASON, next: NEXT });
      expect((await status()).plan?.summary).toMatchObject({ run: 0, create: 0 });
    });
  });
});
