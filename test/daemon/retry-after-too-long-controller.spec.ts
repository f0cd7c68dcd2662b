import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

// A 429 or 503 whose Retry-After is longer than retry.maxRetryAfterMs fails the call at once
// (docs/configuration.md, Retries), "for the caller to reschedule". The controller retried the
// failed audience on its own backoff (--backoff-base), sooner than the service asked. Its next
// attempt now waits for the Retry-After (docs/controller.md, "Failures, backoff and requeue").

const spec = controllerSpec('retry-after-too-long-');
const ORG = DEMO_CLIENT.orgId;
/** The Retry-After of the 503, in seconds: longer than retry.maxRetryAfterMs (1 s) and the backoff (1 s). */
const ASKED_S = 6;

describe('run: a call refused with a Retry-After longer than retry.maxRetryAfterMs', () => {
  it('is not tried again before the Retry-After, and /status and the log say when and why', async () => {
    const { em, root, dir, args } = await appliedByFirstController(spec);
    const config = path.join(root, 'aep.yaml');
    await writeFile(config, 'retry:\n  maxRetryAfterMs: 1000\n');
    await writeFile(
      path.join(dir, 'gold.yaml'),
      manifestYaml('gold', { ingestion: { onCreate: false }, spec: { description: 'Changed' } }),
    );
    em.control.queueFault({ kind: 'error503', endpoint: 'patchAudience', retryAfterSeconds: ASKED_S });
    /** When the emulator answered each PATCH (before its answer left), and with what. */
    const patches: { at: number; status: number }[] = [];
    const stop = em.control.observeRequests((request) => {
      if (request.endpoint === 'patchAudience') patches.push({ at: Date.now(), status: request.status });
    });
    try {
      const ctl = await spec.start(
        [...args, '--resync-interval', '1h', '--backoff-base', '1s', '--backoff-max', '1s'],
        {
          ...controllerEnv(em),
          AUDIENCECTL_CONFIG: config,
        },
      );
      const failed = await statusWhen(
        ctl,
        (s) => s.audiences.some((a) => a.key === 'gold' && a.state === 'backoff'),
        'gold backing off',
      );
      const refused = patches[0];
      expect(refused?.status).toBe(503);
      const entry = failed.audiences.find((a) => a.key === 'gold');
      // The next attempt the service's Retry-After away, not the backoff's 1 s.
      expect(Date.parse(entry?.nextAttemptAt ?? '')).toBeGreaterThanOrEqual(
        (refused?.at ?? 0) + ASKED_S * 1000,
      );
      expect(entry?.lastError?.message).toContain(`Retry-After of ${ASKED_S} s`);
      expect(entry?.lastError?.message).toContain(`next attempt at ${entry?.nextAttemptAt ?? ''}`);
      const logged = await ctl.waitForLog(
        (line) =>
          line.msg ===
          'AEP asked for a wait longer than retry.maxRetryAfterMs; the next attempt waits for it',
      );
      expect(logged).toMatchObject({
        sandbox: DEMO_SANDBOX,
        key: 'gold',
        retryAfterMs: ASKED_S * 1000,
        nextAttemptAt: entry?.nextAttemptAt,
      });

      const synced = await statusWhen(
        ctl,
        (s) => s.audiences.some((a) => a.key === 'gold' && a.state === 'in-sync'),
        'gold updated after the Retry-After',
      );
      expect(synced.audiences.find((a) => a.key === 'gold')?.state).toBe('in-sync');
      expect(patches.map((patch) => patch.status)).toEqual([503, 200]);
      expect(patches[1]?.at ?? 0).toBeGreaterThanOrEqual((refused?.at ?? 0) + ASKED_S * 1000);
      expect(em.control.listAudiences(ORG, DEMO_SANDBOX)[0]?.description).toBe('Changed');
    } finally {
      stop();
    }
  }, 90_000);
});
