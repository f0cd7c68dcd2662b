import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { importAudience } from '../../src/state/repair.js';
import { AudienceRecord } from '../../src/state/schema.js';
import type { ExecutorEnv } from './executor-env.js';
import { HELD_CREATE, waitOutHeldCreates } from './held-creates.js';

/** The faults of a troubled service: 20% 5xx, 5% lost responses, 429 bursts. */
export function troubledService(env: ExecutorEnv, seed: number): void {
  env.emulator.control.setFaults({ error500: 0.1, error502: 0.1, responseLost: 0.05, seed });
  env.emulator.control.setRateLimit({ perSecond: 30, burst: 4 });
}

export function calmService(env: ExecutorEnv): void {
  env.emulator.control.clearFaults();
  env.emulator.control.setRateLimit(null);
}

/**
 * What an operator does until an apply converges: apply again; for an audience the
 * service says exists but whose id was lost with a response, look its id up and
 * import it, as the blocked message says. Returns the number of applies.
 */
export async function convergeInProcess(
  env: ExecutorEnv,
  manifests: readonly ManifestInput[],
  maxApplies = 25,
): Promise<number> {
  for (let applies = 1; applies <= maxApplies; applies += 1) {
    const outcome = await env.apply(manifests);
    if (outcome.report?.results.some((result) => result.message.startsWith(HELD_CREATE)))
      await waitOutHeldCreates(env.store());
    const state = await env.store().readAll();
    for (const record of state.audiences.filter((r) => r.blocked)) {
      const name = manifests.find((m) => m.metadata.name === record.key)?.spec.name;
      const remote = env.emulator.control
        .listAudiences(DEMO_CLIENT.orgId, record.sandbox)
        .find((a) => a.audienceName === name);
      if (!remote) continue;
      const store = env.store();
      await store.lock();
      try {
        await importAudience(store, { ...record, audienceId: remote.audienceId, force: false });
      } finally {
        await store.unlock();
      }
    }
    const settled = state.audiences.every((r) => !r.intent && !r.blocked);
    if (settled && (await env.plan(manifests)).steps.length === 0) return applies;
  }
  throw new Error(`no convergence after ${maxApplies} applies`);
}

/** Every file of the store parses and matches the schema: no torn write survived a kill. */
export async function stateFilesProblems(stateDir: string): Promise<string[]> {
  const problems: string[] = [];
  const root = path.join(stateDir, 'audiences');
  for (const sandbox of await readdir(root)) {
    for (const name of await readdir(path.join(root, sandbox))) {
      if (name.startsWith('.')) continue;
      try {
        AudienceRecord.parse(JSON.parse(await readFile(path.join(root, sandbox, name), 'utf8')));
      } catch (error) {
        problems.push(`${sandbox}/${name}: ${(error as Error).message}`);
      }
    }
  }
  return problems;
}

/** What the service holds against what the state maps, counted on the service. */
export type Census = {
  /** Names held by more than one audience. */
  duplicates: string[];
  /** Audiences no record maps, and records whose audience does not exist. */
  orphans: string[];
  /** Runs started per audience name. */
  runs: Map<string, number>;
};

export async function census(env: ExecutorEnv, sandbox = 'prod'): Promise<Census> {
  const audiences = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, sandbox);
  const records = (await env.store().readAll()).audiences.filter((r) => r.sandbox === sandbox);
  const names = audiences.map((a) => a.audienceName);
  const duplicates = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  const mapped = new Set(records.map((r) => r.audienceId));
  const existing = new Set(audiences.map((a) => a.audienceId));
  const orphans = [
    ...audiences.filter((a) => !mapped.has(a.audienceId)).map((a) => `audience ${a.audienceName}`),
    ...records.filter((r) => !r.audienceId || !existing.has(r.audienceId)).map((r) => `record ${r.key}`),
  ];
  const runs = new Map<string, number>();
  for (const audience of audiences) {
    const started = env.emulator.control.listRuns(DEMO_CLIENT.orgId, sandbox, audience.audienceId).length;
    runs.set(audience.audienceName, (runs.get(audience.audienceName) ?? 0) + started);
  }
  return { duplicates, orphans, runs };
}
