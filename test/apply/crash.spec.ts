import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { AudienceRecord } from '../../src/state/schema.js';
import {
  converge,
  emulatorEnv,
  expectRemoteMatches,
  ManifestDir,
  remoteByName,
} from '../helpers/apply-env.js';
import { CLI, withTempDir } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

/** Small seeded PRNG, so a failing seed can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts an apply and SIGKILLs it when `killWhen` resolves; returns once it is dead. */
async function applyAndKill(
  args: string[],
  env: Record<string, string>,
  killWhen: Promise<unknown>,
): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'apply', ...args, '--auto-approve'], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await Promise.race([killWhen, exited]);
  child.kill('SIGKILL');
  await exited;
}

/** Every state file parses and matches the schema: no torn write survived the kill. */
async function expectStateFilesParse(state: string): Promise<void> {
  const root = path.join(state, 'audiences');
  for (const sandbox of await readdir(root).catch(() => [])) {
    for (const name of await readdir(path.join(root, sandbox))) {
      if (name.startsWith('.')) continue;
      const text = await readFile(path.join(root, sandbox, name), 'utf8');
      expect(() => AudienceRecord.parse(JSON.parse(text)), `${sandbox}/${name}`).not.toThrow();
    }
  }
}

async function checkConverged(
  emulator: TestEmulator,
  sandbox: string,
  manifests: ReturnType<typeof manifestObject>[],
  state: string,
) {
  await expectStateFilesParse(state);
  expectRemoteMatches(emulator, manifests, expect, sandbox);
  for (const m of manifests) {
    const remote = remoteByName(emulator, sandbox).get(m.spec.name)!;
    const runs = emulator.control.listRuns(DEMO_CLIENT.orgId, sandbox, remote.audienceId);
    expect(runs.length, `${sandbox}/${m.metadata.name}: no run lost or started twice`).toBe(
      m.ingestion?.onCreate === false ? 0 : 1,
    );
  }
}

describe('crash safety: kill -9 at any instant, then apply again', () => {
  const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

  it(
    `converges with nothing duplicated or lost, for ${SEEDS.length} random kill instants`,
    { timeout: 240_000 },
    async () => {
      await withEmulator({ operationDelayMs: 40, runStageDelayMs: 40, latencyMs: 15 }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const env = emulatorEnv(emulator);
          const scenario = async (seed: number) => {
            const random = mulberry32(seed);
            const sandbox = `crash-${seed}`;
            const manifests = [0, 1, 2].map((i) =>
              manifestObject(`a${i}`, { ingestion: { onCreate: i !== 2 } }),
            );
            const dir = new ManifestDir(path.join(tmp, sandbox, 'm'));
            await dir.write(manifests);
            const state = path.join(tmp, sandbox, 'state');
            await applyAndKill(
              [dir.dir, '--state', state, '--sandbox', sandbox],
              env,
              delay(150 + random() * 1200),
            );
            await converge(emulator, manifests, dir.dir, state, env, sandbox);
            await checkConverged(emulator, sandbox, manifests, state);
          };
          for (let i = 0; i < SEEDS.length; i += 4) {
            await Promise.all(
              SEEDS.slice(i, i + 4).map((seed) =>
                scenario(seed).catch((error: Error) => {
                  throw new Error(`seed ${seed}: ${error.message}`);
                }),
              ),
            );
          }
        });
      });
    },
  );

  it(
    'a kill between a create POST and the write of its operationId leaves one audience, repaired by state import',
    { timeout: 60_000 },
    async () => {
      await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const sandbox = 'crash-post';
          const manifests = [manifestObject('gold')];
          const dir = new ManifestDir(path.join(tmp, 'm'));
          await dir.write(manifests);
          const state = path.join(tmp, 'state');
          const env = emulatorEnv(emulator);
          // The service creates the audience but its answer never arrives; the kill lands while
          // the client waits to learn the outcome, with only the intent on disk.
          emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
          const created = (async () => {
            while (emulator.control.listOperations(DEMO_CLIENT.orgId, sandbox).length === 0) await delay(5);
          })();
          await applyAndKill([dir.dir, '--state', state, '--sandbox', sandbox], env, created);
          const record = AudienceRecord.parse(
            JSON.parse(await readFile(path.join(state, 'audiences', sandbox, 'gold.json'), 'utf8')),
          );
          expect(record.intent?.kind).toBe('create');
          expect(record.operationId).toBeUndefined();

          const results = await converge(emulator, manifests, dir.dir, state, env, sandbox);
          expect(results[0]!.stdout).toContain(
            'audiencectl state import gold --sandbox crash-post --audience-id <id>',
          );
          expect(emulator.control.listOperations(DEMO_CLIENT.orgId, sandbox)).toHaveLength(1);
          await checkConverged(emulator, sandbox, manifests, state);
        });
      });
    },
  );
});
