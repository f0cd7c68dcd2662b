import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ManifestInput } from '../../src/manifest/schema.js';
import type { EmulatorAudience, RunningEmulator } from '../../src/emulator/index.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { runCli, type CliResult } from './cli.js';
import { runCliInProcess } from './cli-in-process.js';
import { HELD_CREATE, waitOutHeldCreates } from './held-creates.js';
import { FileStateStore } from '../../src/state/file-store.js';

/** Environment that points the CLI at a test emulator, with quick polls. */
export function emulatorEnv(
  emulator: RunningEmulator,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AEP_BASE_URL: emulator.apiBaseUrl,
    AEP_IMS_URL: emulator.imsUrl,
    AEP_CLIENT_ID: DEMO_CLIENT.clientId,
    AEP_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
    AEP_ORG_ID: DEMO_CLIENT.orgId,
    AUDIENCECTL_POLL_INTERVAL_MS: '25',
    ...extra,
  };
}

/**
 * Unsets what would give the CLI AEP credentials (the variables and a configuration file), for a
 * `state import` a person runs on a laptop without them: its id is recorded unverified.
 */
export const NO_AEP_CREDENTIALS = {
  AEP_BASE_URL: undefined,
  AEP_IMS_URL: undefined,
  AEP_CLIENT_ID: undefined,
  AEP_CLIENT_SECRET: undefined,
  AEP_ORG_ID: undefined,
  AUDIENCECTL_CONFIG: undefined,
};

/** NO_AEP_CREDENTIALS, and no store named by the environment: a CLI given --state or none. */
export const NO_AEP_OR_STATE = { ...NO_AEP_CREDENTIALS, AUDIENCECTL_STATE: undefined };

/**
 * The environment of a CLI whose retries wait milliseconds, not seconds (a configuration file
 * in `dir`): for specs whose faults make every attempt fail, where the backoff's real waits
 * test nothing but cost seconds of each run.
 */
export async function quickRetries(dir: string): Promise<Record<string, string>> {
  const config = path.join(dir, 'quick-retries.yaml');
  await writeFile(config, 'retry:\n  baseDelayMs: 5\n  maxDelayMs: 20\n');
  return { AUDIENCECTL_CONFIG: config };
}

/**
 * Creates a directory store if it does not exist, as `audiencectl init` would; a
 * PostgreSQL URL is left alone (made into a path, it would leave directories named
 * after it, password included, in the working directory).
 */
export async function ensureDirStore(state: string): Promise<void> {
  if (!/^postgres(ql)?:\/\//.test(state)) await mkdir(state, { recursive: true });
}

/** A directory of manifests a test rewrites as the story goes on. */
export class ManifestDir {
  constructor(readonly dir: string) {}

  async write(manifests: readonly ManifestInput[]): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
    for (const m of manifests) await writeFile(path.join(this.dir, `${m.metadata.name}.yaml`), stringify(m));
  }
}

/**
 * Applies `dir`, creating the state store first if needed (as `audiencectl init` would).
 * In this process (the CLI's own entry): tests that need the apply to be a process of
 * its own (kill -9, signals, racing applies) spawn it themselves.
 */
export async function apply(
  dir: string,
  state: string,
  env: Record<string, string>,
  ...flags: string[]
): Promise<CliResult> {
  await ensureDirStore(state);
  return runCliInProcess(['apply', dir, '--state', state, '--auto-approve', ...flags], { env });
}

/** What the emulator holds, in the terms a manifest uses, by audience name. */
export function remoteByName(emulator: RunningEmulator, sandbox = 'prod'): Map<string, EmulatorAudience> {
  const audiences = emulator.control.listAudiences(DEMO_CLIENT.orgId, sandbox);
  return new Map(audiences.map((a) => [a.audienceName, a]));
}

function sorted(values: readonly string[] | undefined): string[] {
  return [...new Set(values ?? [])].sort();
}

/** The emulator's audiences are exactly the manifests: one each, with their properties. */
export function expectRemoteMatches(
  emulator: RunningEmulator,
  manifests: readonly ManifestInput[],
  expect: (actual: unknown) => { toEqual(expected: unknown): void },
  sandbox = 'prod',
): void {
  const audiences = emulator.control.listAudiences(DEMO_CLIENT.orgId, sandbox);
  const view = (a: EmulatorAudience) => ({
    name: a.audienceName,
    description: a.description ?? '',
    ttlInDays: a.ttlInDays,
    labels: sorted(a.labels),
    fields: a.fields
      .map((f) => ({ name: f.name, type: f.type, labels: sorted(f.labels) }))
      .sort((x, y) => x.name.localeCompare(y.name)),
  });
  const want = (m: ManifestInput) => ({
    name: m.spec.name,
    description: m.spec.description ?? '',
    ttlInDays: Number(m.spec.ttlInDays ?? 30),
    labels: sorted(m.spec.labels),
    fields: m.spec.fields
      .map((f) => ({ name: f.name, type: f.type, labels: sorted(f.labels) }))
      .sort((x, y) => x.name.localeCompare(y.name)),
  });
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  expect(audiences.map(view).sort(byName)).toEqual(manifests.map(want).sort(byName));
}

/**
 * What an operator does until the apply converges: apply again; for an audience the
 * service says exists but whose id was lost with a response, look the id up and
 * `state import` it, as the blocked message says. Each apply is a process of its own, as
 * an operator's is: its concurrent requests reach the emulator as a burst (in this
 * process, sharing the emulator's event loop on a loaded machine, they met no 429).
 */
export async function converge(
  emulator: RunningEmulator,
  manifests: readonly ManifestInput[],
  dir: string,
  state: string,
  env: Record<string, string>,
  sandbox = 'prod',
): Promise<CliResult[]> {
  const results: CliResult[] = [];
  for (let attempt = 0; attempt < 8; attempt += 1) {
    await ensureDirStore(state);
    const result = await runCli(['apply', dir, '--state', state, '--auto-approve', '--sandbox', sandbox], {
      env,
    });
    results.push(result);
    if (result.code === 0 && result.stdout.includes('No changes.')) return results;
    if (result.stdout.includes(HELD_CREATE)) await waitOutHeldCreates(new FileStateStore(state));
    for (const record of (await readState(state)).audiences.filter((r) => r.blocked)) {
      const name = manifests.find((m) => m.metadata.name === record.key)!.spec.name;
      const remote = remoteByName(emulator, sandbox).get(name)!;
      const imported = await runCliInProcess(
        [
          'state',
          'import',
          record.key,
          dir,
          '--sandbox',
          sandbox,
          '--audience-id',
          remote.audienceId,
          '--state',
          state,
        ],
        { env },
      );
      if (imported.code !== 0) throw new Error(`state import failed: ${imported.stderr}`);
    }
  }
  throw new Error(`apply did not converge:\n${results.map((r) => r.stdout + r.stderr).join('\n---\n')}`);
}
