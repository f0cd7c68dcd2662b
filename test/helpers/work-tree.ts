import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { recordPath } from '../../src/state/paths.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { expect } from 'vitest';
import { apply, emulatorEnv } from './apply-env.js';
import { GIT_ENV, runCli } from './cli.js';
import { manifestYaml } from './manifests.js';
import type { TestEmulator } from './with-emulator.js';

// The git work trees, audiences and records of the specs of the directory records were applied
// from (sourceRoot): beside-root-cli, source-root-*-cli.

const run = promisify(execFile);

/** Runs git in `dir`, as GIT_ENV's author. */
export function gitIn(dir: string) {
  return (...args: string[]) => run('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
}

/** A git repository `root/name` holding `files`, committed on branch main; `git` runs in it. */
export async function gitRepository(root: string, files: Record<string, string>, name = 'repo') {
  const repo = path.join(root, name);
  await mkdir(repo);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(repo, file)), { recursive: true });
    await writeFile(path.join(repo, file), text);
  }
  // init, add and commit in one process: a spawn from the test worker costs more than these.
  await run(
    'sh',
    ['-c', 'set -e; git init --quiet --initial-branch main; git add --all; git commit --quiet -m manifests'],
    { cwd: repo, env: { ...process.env, ...GIT_ENV } },
  );
  return { repo, git: gitIn(repo) };
}

/**
 * gitRepository named `name` whose `audiences/` holds a manifest for each key (no run on
 * create), with its remote `origin` only named as `url`: the repository identity a mark reads.
 */
export async function repositoryWithRemote(root: string, name: string, url: string, keys: readonly string[]) {
  const quiet = { ingestion: { onCreate: false } };
  const files = Object.fromEntries(keys.map((key) => [`audiences/${key}.yaml`, manifestYaml(key, quiet)]));
  const made = await gitRepository(root, files, name);
  await made.git('remote', 'add', 'origin', url);
  return made;
}

/**
 * gitRepository of `files`, its `audiences/` applied to a directory store `root/state` against
 * `emulator`: the repository, its git, the store and the CLI's environment.
 */
export async function appliedRepository(root: string, emulator: TestEmulator, files: Record<string, string>) {
  const env = emulatorEnv(emulator);
  const state = path.join(root, 'state');
  const { repo, git } = await gitRepository(root, files);
  expect((await apply(path.join(repo, 'audiences'), state, env)).code).toBe(0);
  return { repo, git, state, env };
}

/** A clone of `repo` at `to` one commit deep, as a CI job checks out. */
export async function shallowClone(repo: string, to: string): Promise<void> {
  await run('git', ['clone', '--quiet', '--depth', '1', `file://${repo}`, to], {
    env: { ...process.env, ...GIT_ENV },
  });
}

/** The names of the emulator's audiences in `sandbox`, sorted. */
export function audienceNames(emulator: TestEmulator, sandbox = 'prod'): string[] {
  return emulator.control
    .listAudiences('DEMO0RG0000000000000000@AdobeOrg', sandbox)
    .map((audience) => audience.audienceName)
    .sort();
}

/**
 * The steps of `plan . --base main --output json` run in `dir`, as the GitHub Action plans a
 * pull request's directory (no state, no credentials), each as `<kind> <id>: <reason>`.
 */
export async function basePlanSteps(dir: string): Promise<string[]> {
  const pr = await runCli(['plan', '.', '--base', 'main', '--output', 'json'], { cwd: dir });
  expect(pr.code, pr.stderr).toBe(0);
  const { steps } = JSON.parse(pr.stdout) as { steps: { id: string; kind: string; reason: string }[] };
  return steps.map((s) => `${s.kind} ${s.id}: ${s.reason}`);
}

/** The record of `sandbox/key` in the directory store `state`, as stored. */
export async function storedRecord(state: string, key: string, sandbox = 'prod'): Promise<AudienceRecord> {
  return JSON.parse(await readFile(recordPath(state, sandbox, key), 'utf8')) as AudienceRecord;
}

/** The reason a plan holds `prod/<key>` whose file is in the directory beside it was applied from. */
export const besideHeld = (key: string, file: string, dir: string) =>
  `prod/${key}: its manifest ${file} is outside the directory given, in the one it was applied from; the audience is left as it is: give that directory (${dir}), or remove the file to delete the audience`;
