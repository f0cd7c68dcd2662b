import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { appliedByFirstController, controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 46 (service), M-1 in the controller. A 503 asking for a wait longer than
// retry.maxRetryAfterMs failed its PATCH, and the pass went on sending the sandbox's other
// PATCHes into the maintenance (or, for a 429, the org's throttle) it had announced. Now every
// later call of the sandbox is held until the wait is over: those audiences are not sent, show
// as backing off until then on /status, and are tried again once it is over.

const spec = controllerSpec('retry-after-held-sandbox-');
const ORG = DEMO_CLIENT.orgId;
/** The Retry-After of the 503, in seconds: longer than retry.maxRetryAfterMs (1 s) and the backoff (1 s). */
const ASKED_S = 6;
const KEYS = ['gold', 'silver', 'bronze', 'iron'];

describe('run: a call answered with a Retry-After longer than retry.maxRetryAfterMs', () => {
  it("holds the sandbox's other calls until then, and sends them after it", async () => {
    const { em, root, dir, args } = await appliedByFirstController(spec, KEYS);
    const config = path.join(root, 'aep.yaml');
    // One call at a time: each PATCH leaves after the answer of the one before it.
    await writeFile(config, 'budget:\n  concurrency: 1\nretry:\n  maxRetryAfterMs: 1000\n');
    for (const key of KEYS)
      await writeFile(
        path.join(dir, `${key}.yaml`),
        manifestYaml(key, { ingestion: { onCreate: false }, spec: { description: 'Changed' } }),
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
        { ...controllerEnv(em), AUDIENCECTL_CONFIG: config },
      );
      const held = await statusWhen(
        ctl,
        (s) => s.audiences.filter((a) => a.state === 'backoff').length === KEYS.length,
        'every audience backing off',
      );
      const refused = patches[0];
      expect(patches.map((patch) => patch.status)).toEqual([503]);
      for (const audience of held.audiences) {
        // Each the service's Retry-After away, not the backoff's 1 s.
        expect(Date.parse(audience.nextAttemptAt ?? '')).toBeGreaterThanOrEqual(
          (refused?.at ?? 0) + ASKED_S * 1000,
        );
      }
      // The 503'd PATCH failed; the three after it were not sent, and say until when.
      const notSent = held.audiences.filter((a) => a.lastError?.code === 'STEP_HELD');
      expect(notSent).toHaveLength(KEYS.length - 1);
      for (const audience of notSent)
        expect(audience.lastError?.message).toContain(
          `update: not sent: AEP asked for a Retry-After of ${ASKED_S} s in sandbox "${DEMO_SANDBOX}"`,
        );

      await statusWhen(
        ctl,
        (s) => s.audiences.every((a) => a.state === 'in-sync'),
        'every audience updated after the Retry-After',
      );
      expect(patches.map((patch) => patch.status)).toEqual([503, 200, 200, 200, 200]);
      for (const patch of patches.slice(1))
        expect(patch.at).toBeGreaterThanOrEqual((refused?.at ?? 0) + ASKED_S * 1000);
      const listed = em.control.listAudiences(ORG, DEMO_SANDBOX);
      expect(listed.map((a) => a.description)).toEqual(KEYS.map(() => 'Changed'));
    } finally {
      stop();
    }
  }, 90_000);
});
