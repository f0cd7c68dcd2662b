import { describe, expect, it } from 'vitest';
import { withExecutor, executorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// Review 47 (service), M: a Retry-After longer than retry.maxRetryAfterMs, answered in one
// sandbox, held that sandbox's calls alone; AEP throttles the org (the emulator's gateway keeps
// one bucket per org), and an apply of another sandbox of it sent its PATCH into the throttle,
// failed on a 429 of its own. Now the step is blocked, not sent, naming where the wait was asked.

const NO_RUN = { ingestion: { onCreate: false } } as const;
const gold = (description: string) => manifestObject('gold', { ...NO_RUN, spec: { description } });
const dgold = (description: string) =>
  manifestObject('dgold', { ...NO_RUN, metadata: { sandbox: 'dev' }, spec: { description } });

describe('apply: a Retry-After longer than retry.maxRetryAfterMs in another sandbox of the org', () => {
  it('blocks the step of this sandbox, not sent, and says where the wait was asked', async () => {
    await withExecutor(undefined, async (base) => {
      const env = executorEnv(base.emulator, base.stateDir, undefined, undefined, {
        retry: { baseDelayMs: 5, maxDelayMs: 20, rateLimitPauseMs: 20, maxRetryAfterMs: 2000 },
      });
      const created = await env.apply([gold('First'), dgold('First')]);
      expect(created.report?.counts.failed).toBe(0);
      // The org's bucket holds one request and refills in 100 s.
      env.emulator.control.setRateLimit({ perSecond: 0.01, burst: 1 });
      const answered: string[] = [];
      env.emulator.control.observeRequests((request) => {
        if (request.endpoint !== 'imsToken')
          answered.push(`${request.sandbox ?? '-'} ${request.endpoint} ${request.status}`);
      });
      await env.apply([gold('Second'), dgold('First')]);
      // prod's second PATCH is answered 429 asking 100 s: it fails, and the org's calls are held.
      const refused = await env.apply([gold('Third'), dgold('First')]);
      expect(refused.report?.results.map((r) => r.status)).toEqual(['failed']);
      const held = await env.apply([gold('Second'), dgold('Second')]);
      const dev = held.report?.results.find((r) => r.step.sandbox === 'dev');
      expect(dev?.status).toBe('blocked');
      // Up to 100 s: the bucket refills while the applies run (a second or more on a loaded machine).
      expect(dev?.message).toMatch(
        /not sent: AEP asked for a Retry-After of (9\d|100) s in sandbox "prod", of the same IMS org as "dev"/,
      );
      expect(dev?.message).toMatch(/every call of the org's sandboxes is held until \d{4}-\d\d-\d\dT/);
      expect(answered).toEqual(['prod patchAudience 200', 'prod patchAudience 429']);
    });
  });
});
