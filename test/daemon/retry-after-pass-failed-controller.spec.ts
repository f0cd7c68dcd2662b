import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { colleagueAudience } from '../helpers/with-emulator.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 46 (service), L-1. A pass that fails as a whole on a call answered with a Retry-After
// longer than retry.maxRetryAfterMs (here the lookup of a manifest that adopts, answered 503) was
// tried again on the plain backoff (--backoff-base), sooner than the service asked: each such
// pass failed again, its calls held (or, before they were, sent into the wait). Now the retry
// of the pass waits for the Retry-After, as a failed audience's does.

const spec = controllerSpec('retry-after-pass-failed-');
/** The Retry-After of the 503, in seconds: longer than retry.maxRetryAfterMs (1 s) and the backoff (1 s). */
const ASKED_S = 6;

describe('run: a pass failed on a Retry-After longer than retry.maxRetryAfterMs', () => {
  it('is tried again once that wait is over, not on the backoff', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'gold.yaml'),
      manifestYaml('gold', { metadata: { adopt: true }, ingestion: { onCreate: false } }),
    );
    // The audience it adopts, made in the UI.
    const made = colleagueAudience(em, { name: 'Audience gold' });
    const config = path.join(root, 'aep.yaml');
    await writeFile(config, 'retry:\n  maxRetryAfterMs: 1000\n');
    em.control.queueFault({ kind: 'error503', endpoint: 'listAudiences', retryAfterSeconds: ASKED_S });
    /** When the emulator answered each listing (before its answer left), and with what. */
    const lookups: { at: number; status: number }[] = [];
    const stop = em.control.observeRequests((request) => {
      if (request.endpoint === 'listAudiences') lookups.push({ at: Date.now(), status: request.status });
    });
    try {
      const ctl = await spec.start(
        [
          '--dir',
          dir,
          '--state',
          path.join(root, 'state'),
          '--interval',
          '1h',
          '--resync-interval',
          '1h',
          '--refresh-interval',
          '1h',
          '--backoff-base',
          '1s',
          '--backoff-max',
          '1s',
        ],
        { ...controllerEnv(em), AUDIENCECTL_CONFIG: config },
      );
      await statusWhen(
        ctl,
        (s) => s.audiences.some((a) => a.key === 'gold' && a.state === 'in-sync'),
        'gold adopted after the Retry-After',
      );
      const refused = lookups[0];
      expect(refused?.status).toBe(503);
      // One pass failed, on the 503; the next came after the Retry-After, and went through.
      const failed = ctl.logs.filter((line) => line.msg === 'reconcile failed');
      expect(failed).toHaveLength(1);
      const warned = ctl.logs.find(
        (line) =>
          line.msg === 'AEP asked for a wait longer than retry.maxRetryAfterMs; the next pass waits for it',
      );
      expect(warned?.['sandbox']).toBe(DEMO_SANDBOX);
      expect(lookups.slice(1).length).toBeGreaterThan(0);
      for (const lookup of lookups.slice(1))
        expect(lookup.at).toBeGreaterThanOrEqual((refused?.at ?? 0) + ASKED_S * 1000);
      expect(em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX).map((a) => a.audienceId)).toEqual([
        made.id,
      ]);
    } finally {
      stop();
    }
  }, 90_000);
});
