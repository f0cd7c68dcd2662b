import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { startHeaderProxy, type HeaderProxy } from '../helpers/header-proxy.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

// Review 47 (service), M. IMS answering a token request 429 with a Retry-After longer than
// retry.maxRetryAfterMs: the request was not retried (right), but nothing remembered the wait.
// The controller's pass failed ("IMS is unavailable (HTTP 429); try again later.") and was tried
// again on its backoff (1 s here), each try a token request into IMS's throttle, each earning
// another 429 (seen: 429 at 4.0 s asking 4 s, then 429 at 5.1 s and 7.2 s). Now the client asks
// IMS nothing before that wait is over, the error says until when, and the next pass waits for it.

const spec = controllerSpec('ims-retry-after-');
/** How long IMS throttles the client, from its first 429, in seconds: past maxRetryAfterMs (1 s) and the backoff (1 s). */
const ASKED_S = 6;

describe('run: IMS answers 429 with a Retry-After longer than retry.maxRetryAfterMs', () => {
  it('asks IMS nothing before that wait is over, then applies', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const config = path.join(root, 'aep.yaml');
    await writeFile(config, 'retry:\n  maxRetryAfterMs: 1000\n');
    /** Each token request as IMS answered it: when, and with what. */
    const asked: { at: number; status: number }[] = [];
    let throttledUntil: number | undefined;
    // IMS throttles the client: from its first token request on, ASKED_S seconds of 429s, each
    // asking for the time left of it.
    const proxy: HeaderProxy = await startHeaderProxy(em.imsUrl, (answer) => {
      const at = Date.now();
      throttledUntil ??= at + ASKED_S * 1000;
      if (at >= throttledUntil) {
        asked.push({ at, status: answer.status });
        return undefined;
      }
      asked.push({ at, status: 429 });
      const retryAfter = String(Math.ceil((throttledUntil - at) / 1000));
      const body = { error: 'too_many_requests', error_description: 'Too many token requests.' };
      return { status: 429, headers: { 'retry-after': retryAfter, date: answer.headers.date }, body };
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
          '--backoff-base',
          '1s',
          '--backoff-max',
          '1s',
        ],
        { ...controllerEnv(em), AEP_IMS_URL: proxy.apiBaseUrl, AUDIENCECTL_CONFIG: config },
      );
      await statusWhen(
        ctl,
        (s) => s.audiences.some((a) => a.key === 'gold' && a.state === 'in-sync'),
        'gold created after the Retry-After',
      );
      // One token request refused; the next one only once the wait was over, and answered.
      expect(asked.map((a) => a.status)).toEqual([429, 200]);
      expect(asked[1]?.at).toBeGreaterThanOrEqual(throttledUntil ?? Infinity);
      const failed = ctl.logs.filter((line) => line.msg === 'reconcile failed');
      expect(failed).toHaveLength(1);
      const said = JSON.stringify(failed[0]);
      expect(said).toContain(
        `IMS is unavailable (HTTP 429) and asked for a Retry-After of ${ASKED_S} s, longer than retry.maxRetryAfterMs (1 s)`,
      );
      expect(said).toMatch(/no token is asked for before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
      expect(em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
