import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

// The refresh's bulk-get answered 503 with a Retry-After longer than retry.maxRetryAfterMs: the
// controller read the sandbox again on the backoff (--backoff-base), and at every pass before
// it, sooner than the service asked. It now neither reads it before the wait is over (a pass
// meanwhile plans its audiences from their records, and says why) nor retries the refresh
// before it (docs/controller.md, "A wait the service asked for").

const spec = controllerSpec('retry-after-too-long-refresh-');
const ORG = DEMO_CLIENT.orgId;
/** The Retry-After of the 503, in seconds: longer than retry.maxRetryAfterMs (1 s) and the backoff (1 s). */
const ASKED_S = 6;

describe('run: a refresh read refused with a Retry-After longer than retry.maxRetryAfterMs', () => {
  it('reads the sandbox again only once the Retry-After is over', async () => {
    const { em, root, dir, args } = await appliedByFirstController(spec);
    const config = path.join(root, 'aep.yaml');
    await writeFile(config, 'retry:\n  maxRetryAfterMs: 1000\n');
    em.control.queueFault({ kind: 'error503', endpoint: 'bulkGetAudiences', retryAfterSeconds: ASKED_S });
    /** When the emulator answered each bulk-get (before its answer left), and with what. */
    const reads: { at: number; status: number }[] = [];
    const stop = em.control.observeRequests((request) => {
      if (request.endpoint === 'bulkGetAudiences') reads.push({ at: Date.now(), status: request.status });
    });
    try {
      const ctl = await spec.start(
        [...args, '--resync-interval', '1h', '--backoff-base', '1s', '--backoff-max', '1s'],
        { ...controllerEnv(em), AUDIENCECTL_CONFIG: config },
      );
      await statusWhen(ctl, (s) => (s.refresh?.lastError ?? null) !== null, 'the refresh failed');
      const refused = reads[0];
      expect(refused?.status).toBe(503);
      // A pass within the wait, as a new manifest brings: the sandbox is not read meanwhile.
      await writeFile(
        path.join(dir, 'silver.yaml'),
        manifestYaml('silver', { ingestion: { onCreate: false } }),
      );
      await statusWhen(
        ctl,
        (s) => s.audiences.some((a) => a.key === 'silver' && a.state === 'in-sync'),
        'silver created',
      );
      const read = await statusWhen(
        ctl,
        (s) => s.refresh?.lastError === null && s.refresh.lastAt !== null,
        'a refresh that read',
      );
      expect(read.refresh?.lastError).toBeNull();
      // No read of the sandbox before the Retry-After was over.
      expect(reads[1]?.at ?? 0).toBeGreaterThanOrEqual((refused?.at ?? 0) + ASKED_S * 1000);
      expect(reads.map((entry) => entry.status)).toEqual([503, 207]);
      // Each refresh that did not read it says why: the 503, then (passes within the wait) the wait.
      const failures = ctl.logs
        .filter(
          (line) =>
            line.msg === 'refresh of a sandbox failed; its audiences planned from their records alone',
        )
        .map((line) => String(line['err']));
      expect(failures[0]).toContain('HTTP 503');
      for (const later of failures.slice(1))
        expect(later).toContain(`not read: AEP asked for a Retry-After of ${ASKED_S} s in this sandbox`);
      expect(
        em.control
          .listAudiences(ORG, DEMO_SANDBOX)
          .map((a) => a.audienceName)
          .sort(),
      ).toEqual(['Audience gold', 'Audience silver']);
    } finally {
      stop();
    }
  }, 90_000);
});
