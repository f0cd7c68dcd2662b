import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController } from './helpers/in-process.js';

const DAY_SECONDS = 86_400;

describe('the controller: AEP clock against its own, on /status', () => {
  it('shows the offset measured from AEP answers, marks it skewed beyond 5 minutes, and logs it once', async () => {
    await withInProcessController(
      { emulator: { clockOffsetMs: -2 * DAY_SECONDS * 1000 } },
      async ({ dir, reconciler, status, logs }) => {
        expect((await status()).clock).toBeUndefined();
        await writeFile(
          path.join(dir, 'gold.yaml'),
          manifestYaml('gold', { ingestion: { onCreate: true, every: '1h' } }),
        );
        reconciler.trigger('startup');
        await reconciler.settled();
        reconciler.trigger('resync');
        await reconciler.settled();

        const clock = (await status()).clock;
        // The Date header has 1-second precision: a couple of seconds either side of the truth.
        expect(Math.abs(clock!.offsetSeconds + 2 * DAY_SECONDS)).toBeLessThanOrEqual(2);
        expect(clock).toMatchObject({ skewed: true, toleranceSeconds: 300 });
        expect(logs.filter((line) => line.msg === 'local clock off AEP clock')).toHaveLength(1);
        // The onCreate run only: the second pass did not take the run for 2 days old.
        expect((await status()).plan?.summary).toMatchObject({ run: 0 });
      },
    );
  });
});
