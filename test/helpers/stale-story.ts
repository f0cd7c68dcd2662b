import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { CliBench } from './cli-bench.js';
import { manifestYaml } from './manifests.js';
import { gitAt } from './marks.js';
import { audienceNames } from './work-tree.js';

/** The first commit of a stale-checkout story (its committer time). */
export const FIRST_COMMIT_TIME = '2026-12-01T10:00:00Z';

/**
 * Review 32's stale checkouts (a fork's clone, a clone never fetched, one git cannot read): the
 * canonical repository `canon` (origin acme/audiences) applies gold and silver from its first
 * commit, then removes silver in a newer commit (11:00), applied. `atFirstCommit` makes the stale
 * checkout (a clone, a worktree) while `canon` is at its first commit. Returns `canon`.
 */
export async function silverRemovedUpstream(
  { tmp, setUp, emulator }: CliBench,
  atFirstCommit: (canon: string) => Promise<void>,
): Promise<string> {
  const canon = path.join(tmp, 'canon');
  await mkdir(path.join(canon, 'aud'), { recursive: true });
  await writeFile(path.join(canon, 'aud/gold.yaml'), manifestYaml('gold'));
  await writeFile(path.join(canon, 'aud/silver.yaml'), manifestYaml('silver'));
  await gitAt(canon, ['init', '--quiet', '--initial-branch', 'main']);
  await gitAt(canon, ['remote', 'add', 'origin', 'https://github.com/acme/audiences.git']);
  await gitAt(canon, ['add', '--all']);
  await gitAt(canon, ['commit', '--quiet', '-m', 'gold and silver'], FIRST_COMMIT_TIME);
  await atFirstCommit(canon);

  const first = await setUp('apply', path.join(canon, 'aud'), '--auto-approve');
  expect(first.code, first.stdout + first.stderr).toBe(0);
  await gitAt(canon, ['rm', '--quiet', 'aud/silver.yaml']);
  await gitAt(canon, ['commit', '--quiet', '-m', 'remove silver'], '2026-12-01T11:00:00Z');
  const removed = await setUp('apply', path.join(canon, 'aud'), '--auto-approve');
  expect(removed.code, removed.stdout + removed.stderr).toBe(0);
  expect(audienceNames(emulator)).toEqual(['Audience gold']);
  return canon;
}
