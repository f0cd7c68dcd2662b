import { cp, mkdir, rm } from 'node:fs/promises';
import { expect } from 'vitest';
import path from 'node:path';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from './apply-env.js';
import { runCli, writeFiles, type CliResult } from './cli.js';
import { runCliInProcess } from './cli-in-process.js';
import type { TestEmulator } from './with-emulator.js';

/** A manifest, as a user writes it (text, not built by the code under test). */
export function manifest(key: string, name: string, ingestion = '  onCreate: true\n'): string {
  return [
    'apiVersion: audiencectl/v1',
    'kind: ExternalAudience',
    'metadata:',
    `  name: ${key}`,
    'spec:',
    `  name: ${name}`,
    '  fields:',
    '    - { name: email, type: string, identityNs: email }',
    `  sourceSpec: { path: exports/${key}.csv, type: file }`,
    '  originName: CUSTOM_UPLOAD',
    'ingestion:',
    ingestion,
  ].join('\n');
}

export type Story = {
  dir: string;
  state: string;
  env: Record<string, string>;
  write: (files: Record<string, string>) => Promise<void>;
  apply: (...flags: string[]) => Promise<CliResult>;
  cli: (...args: string[]) => Promise<CliResult>;
};

/**
 * A story's directory, store and commands. Its commands are the built CLI, spawned; with
 * `{ inProcess: true }`, the CLI's own entry in this process (cli-in-process.ts: the same code,
 * output and exit code, without the ~0.5 s of CPU a process costs), for the specs whose subject
 * is what the commands decide, not the process (no two commands at once: they run one after the
 * other, and env is read at each call).
 */
export async function story(
  emulator: TestEmulator,
  dir: string,
  extraEnv: Record<string, string> = {},
  { inProcess = false }: { inProcess?: boolean } = {},
): Promise<Story> {
  const manifests = path.join(dir, 'm');
  const state = path.join(dir, 'state');
  await mkdir(manifests, { recursive: true });
  await mkdir(state, { recursive: true });
  const env = emulatorEnv(emulator, { AEP_SANDBOX: 'prod', ...extraEnv });
  const run = (args: string[]) => (inProcess ? runCliInProcess : runCli)(args, { env, cwd: dir });
  return {
    dir,
    state,
    env,
    write: (files) => writeFiles(manifests, files),
    apply: (...flags) => run(['apply', manifests, '--state', state, '--auto-approve', ...flags]),
    cli: (...args) => run(args),
  };
}

/** Audiences of the sandbox by name, as the emulator itself lists them. */
export function audiencesByName(emulator: TestEmulator, sandbox = 'prod'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of emulator.control.listAudiences(DEMO_CLIENT.orgId, sandbox)) {
    const name =
      (a as { audienceName?: string; name?: string }).audienceName ?? (a as { name?: string }).name ?? '?';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** Runs the emulator started, per audience name. */
export function runsByName(emulator: TestEmulator, sandbox = 'prod'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of emulator.control.listRuns(DEMO_CLIENT.orgId, sandbox)) {
    const name = (r as { audienceName?: string }).audienceName ?? '?';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/**
 * restore-a created with its first run, its state backed up, its `ingestion.request: "r1"` run
 * done, then the backup restored: the service shows a run the state has no trace of. Resolves to
 * the apply that ran r1.
 */
export async function restoredBeforeR1(emulator: TestEmulator, s: Story, dir: string): Promise<CliResult> {
  await s.write({ 'a.yaml': manifest('restore-a', 'Restore A') });
  expect((await s.apply()).code).toBe(0);
  const backup = path.join(dir, 'backup');
  await cp(s.state, backup, { recursive: true });
  // A minute passes on the service before the next run, as between real runs (each takes
  // minutes): the emulator's runs end within milliseconds, and two in one second show one
  // createdAt, which the untraced-run rule (src/state/untraced-runs.ts) reads as the page's
  // reading that shows every run the audience's creation time, and leaves alone.
  emulator.control.updateSettings({ clockOffsetMs: 60_000 });
  await s.write({
    'a.yaml': manifest('restore-a', 'Restore A', '  onCreate: true\n  request: "r1"\n'),
  });
  const asked = await s.apply();
  expect(asked.code).toBe(0);
  expect(runsByName(emulator)).toEqual({ 'Restore A': 2 });
  await rm(s.state, { recursive: true, force: true });
  await cp(backup, s.state, { recursive: true });
  return asked;
}
