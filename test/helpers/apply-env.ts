import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ManifestInput } from '../../src/manifest/schema.js';
import type { EmulatorAudience, RunningEmulator } from '../../src/emulator/index.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { runCli, type CliResult } from './cli.js';

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

/** A directory of manifests a test rewrites as the story goes on. */
export class ManifestDir {
  constructor(readonly dir: string) {}

  async write(manifests: readonly ManifestInput[]): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
    for (const m of manifests) await writeFile(path.join(this.dir, `${m.metadata.name}.yaml`), stringify(m));
  }
}

export function apply(
  dir: string,
  state: string,
  env: Record<string, string>,
  ...flags: string[]
): Promise<CliResult> {
  return runCli(['apply', dir, '--state', state, '--auto-approve', ...flags], { env });
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
