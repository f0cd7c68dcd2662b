import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAlteringProxy, type AlteringProxy } from '../helpers/altering-proxy.js';
import { executorEnv, patchRequests, remoteAudience, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * The page: ttlInDays "can be set from 1 to 90" (30 by default), and the manifest cannot write
 * another value. One the service shows outside that range is no data expiration audiencectl can
 * read as days (a sentinel or unit of the service's own, or a route the page does not describe):
 * read as drift, every `apply --refresh` PATCHed it "back" to the manifest's value, the step said
 * "patched ttlInDays" while the answer still showed the value, and the next refresh did it again.
 * It is not compared (nothing PATCHed for it), and the plan says so in one line naming the
 * audience and the value. A value inside the range is still drift.
 */
const TTL_RULE = 'service/ttl-outside-range';

/** Every audience an answer of the Audiences API or a PATCH shows, with ttlInDays `ttl`. */
function showingTtl(ttl: number) {
  const withTtl = (audience: unknown) =>
    typeof audience === 'object' && audience !== null && 'ttlInDays' in audience
      ? { ...audience, ttlInDays: ttl }
      : audience;
  return (answer: { method: string; path: string; body: unknown }): unknown => {
    const body = answer.body as Record<string, unknown> | undefined;
    if (body === undefined || body === null || typeof body !== 'object') return undefined;
    if (answer.path.includes('/core/ups/audiences')) {
      if (Array.isArray(body['children'])) return { ...body, children: body['children'].map(withTtl) };
      const results = body['results'];
      if (typeof results === 'object' && results !== null)
        return {
          ...body,
          results: Object.fromEntries(Object.entries(results).map(([id, one]) => [id, withTtl(one)])),
        };
      return withTtl(body);
    }
    return answer.method === 'PATCH' ? withTtl(body) : undefined;
  };
}

async function withProxiedExecutor(run: (env: ExecutorEnv, proxy: AlteringProxy) => Promise<void>) {
  await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
    const proxy = await startAlteringProxy(emulator.url);
    const stateDir = await mkdtemp(path.join(tmpdir(), 'audiencectl-ttl-range-'));
    try {
      await run(executorEnv(emulator, stateDir, proxy.url), proxy);
    } finally {
      await proxy.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
}

const gold = manifestObject('gold', { ingestion: { onCreate: false } });

describe('a ttlInDays the service shows outside the 1-90 days the page allows', () => {
  it.each([0, 365])('(%i) is not PATCHed back by a refresh, and the plan names the audience', async (ttl) => {
    await withProxiedExecutor(async (env, proxy) => {
      await env.apply([gold]);
      const audienceId = remoteAudience(env, 'gold').audienceId;
      proxy.alter(showingTtl(ttl));
      const patches = patchRequests(env);
      for (const pass of [1, 2]) {
        const refreshed = await env.apply([gold], { refresh: true });
        expect(refreshed.plan.steps, `refresh ${pass}`).toEqual([]);
        expect(refreshed.plan.refresh?.drifted).toEqual([]);
        const warned = refreshed.plan.diagnostics.filter((d) => d.rule === TTL_RULE);
        expect(warned).toHaveLength(1);
        expect(warned[0]).toMatchObject({ severity: 'warning', file: 'gold.yaml' });
        const message = warned[0]?.message ?? '';
        expect(message).toContain('prod/gold');
        expect(message).toContain(audienceId);
        expect(message).toContain(`ttlInDays ${ttl}`);
        expect(message).toContain('1-90');
        expect(message).not.toContain('\n');
      }
      expect(patchRequests(env)).toBe(patches);
      expect((await env.store().get('prod', 'gold'))?.applied?.spec.ttlInDays).toBe(30);
    });
  });

  it('is not PATCHed by an adoption, which names it', async () => {
    await withProxiedExecutor(async (env, proxy) => {
      const bronze = manifestObject('bronze', { metadata: { adopt: true }, ingestion: { onCreate: false } });
      const { sourceSpec, ...made } = bronze.spec;
      const shown = env.emulator.control.uiCreateAudience(env.emulator.client.orgId, 'prod', {
        ...made,
        sourceSpec: { params: sourceSpec },
      });
      proxy.alter(showingTtl(120));
      const adopted = await env.apply([bronze]);
      const step = adopted.plan.steps.find((s) => s.kind === 'adopt');
      expect(step?.changes.map((c) => c.path)).not.toContain('ttlInDays');
      const warned = adopted.plan.diagnostics.filter((d) => d.rule === TTL_RULE);
      expect(warned.map((d) => d.message)).toEqual([expect.stringContaining('prod/bronze')]);
      expect(warned[0]?.message).toContain(shown.id);
      expect(warned[0]?.message).toContain('ttlInDays 120');
    });
  });

  // The range's ends (1 and 90) are days the page lets it be set to: drift like any other.
  it.each([1, 45, 90])('inside the range (%i) is still drift, PATCHed back', async (ttl) => {
    await withProxiedExecutor(async (env, proxy) => {
      await env.apply([gold]);
      proxy.alter(showingTtl(ttl));
      const refreshed = await env.apply([gold], { refresh: true });
      expect(refreshed.plan.refresh?.drifted.map((d) => d.detail)).toEqual([
        'ttlInDays changed outside audiencectl',
      ]);
      expect(refreshed.plan.steps.map((s) => s.id)).toEqual(['prod/gold:update']);
      expect(refreshed.plan.diagnostics.filter((d) => d.rule === TTL_RULE)).toEqual([]);
    });
  });
});
