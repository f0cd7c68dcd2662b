import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import {
  apply,
  converge,
  emulatorEnv,
  expectRemoteMatches,
  ManifestDir,
  remoteByName,
} from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

describe('apply under injected faults', () => {
  it('converges with 20% 5xx, 10% slow responses, 429 bursts and lost responses, duplicating nothing', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const manifests = Array.from({ length: 24 }, (_, i) =>
          manifestObject(`aud-${i}`, { ingestion: { onCreate: i % 2 === 0 } }),
        );
        const dir = new ManifestDir(path.join(tmp, 'm'));
        await dir.write(manifests);
        emulator.control.setFaults({
          error500: 0.1,
          error502: 0.1,
          slow: 0.1,
          slowMs: 200,
          responseLost: 0.05,
          seed: 7,
        });
        emulator.control.setRateLimit({ perSecond: 40, burst: 5 });
        // A client budget above the service's limit, so that bursts meet 429s.
        const config = path.join(tmp, 'aep.yaml');
        await writeFile(config, 'budget: { requests: 100, intervalMs: 1000, concurrency: 8 }\n');
        const env = emulatorEnv(emulator, { AUDIENCECTL_CONFIG: config });
        const results = await converge(emulator, manifests, dir.dir, path.join(tmp, 'state'), env);

        expect(emulator.control.counters().rateLimited).toBeGreaterThan(0);
        expect(results.every((r) => !/\n\s+at /.test(r.stderr))).toBe(true);
        emulator.control.clearFaults();
        expectRemoteMatches(emulator, manifests, expect);
        // Each audience that asked for a first run got exactly one.
        for (const m of manifests) {
          const remote = remoteByName(emulator).get(m.spec.name)!;
          const runs = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', remote.audienceId);
          expect(runs.length, m.metadata.name).toBe(m.ingestion?.onCreate === false ? 0 : 1);
        }
      });
    });
  });

  it('a lost create response is resolved without a second audience: the audience is found by name and adopted', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const gold = manifestObject('gold', { ingestion: { onCreate: false } });
        const dir = new ManifestDir(path.join(tmp, 'm'));
        await dir.write([gold]);
        emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
        const state = path.join(tmp, 'state');
        await mkdir(state);
        const result = await apply(dir.dir, state, emulatorEnv(emulator));
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/adopted \S+, the audience an interrupted create made/);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
        const again = await apply(dir.dir, state, emulatorEnv(emulator));
        expect(again.code).toBe(0);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
      });
    });
  });
});
