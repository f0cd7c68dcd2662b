import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { apply, emulatorEnv, ManifestDir, quickRetries } from './apply-env.js';
import { manifestObject } from './manifests.js';
import { readAll } from '../state/helpers.js';

export type KeptDelete = {
  dir: ManifestDir;
  state: string;
  env: Record<string, string>;
  gold: ManifestInput;
  silver: ManifestInput;
  goldId: string;
};

/**
 * gold and silver applied by the CLI (in process, directory store under a fresh directory),
 * then gold's removal: its DELETE removes gold, its answer is lost and every retry is answered
 * 500, so the apply fails gold's step and keeps its delete intent. The manifests then hold
 * silver alone, and the emulator no fault. The directory is removed after `fn`.
 */
export async function withKeptGoldDelete<T>(
  emulator: RunningEmulator,
  fn: (kept: KeptDelete) => Promise<T>,
): Promise<T> {
  const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-kept-delete-'));
  try {
    const dir = new ManifestDir(path.join(root, 'm'));
    const state = path.join(root, 'state');
    const env = emulatorEnv(emulator, await quickRetries(root));
    const gold = manifestObject('gold', { ingestion: { onCreate: false } });
    const silver = manifestObject('silver', { ingestion: { onCreate: false } });
    await dir.write([gold, silver]);
    expect((await apply(dir.dir, state, env)).code).toBe(0);
    const goldId = emulator.control
      .listAudiences(DEMO_CLIENT.orgId, 'prod')
      .find((a) => a.audienceName === gold.spec.name)!.audienceId;

    await dir.write([silver]);
    emulator.control.queueFault({ kind: 'responseLost', endpoint: 'deleteAudience' });
    emulator.control.queueFault({ kind: 'error500', endpoint: 'deleteAudience', after: 1, count: 4 });
    const removed = await apply(dir.dir, state, env);
    emulator.control.clearFaults();
    expect(removed.code).toBe(1);
    expect(removed.stdout).toMatch(/FAILED +prod\/gold delete: DELETE failed: .*its delete intent is kept/);
    expect((await readAll(state)).audiences.find((r) => r.key === 'gold')?.intent?.kind).toBe('delete');
    return await fn({ dir, state, env, gold, silver, goldId });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
