import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../action/event-step.js';

/**
 * Review 38a H-1. Retargeting a pull request (Edit → base branch) fires `pull_request` with
 * the activity type `edited`, which the documented workflow does not run on (without
 * `types:`, GitHub runs it on opened, synchronize and reopened only). The comment and the
 * check keep the plan against the old base: a pull request planned against `release` with
 * "no changes" and retargeted to `main` (where its manifests delete audiences) still shows
 * "no changes" and a green check until its next push.
 */
describe("README's pull-request workflow", () => {
  it('runs again when the pull request is retargeted to another base branch', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const block = /```yaml\n(# \.github\/workflows\/audience-plan\.yml\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const workflow = parse(block ?? '') as { on: { pull_request: { types?: string[] } } };
    // GitHub's default when `types` is not given.
    const types = workflow.on.pull_request.types ?? ['opened', 'synchronize', 'reopened'];
    expect(types).toEqual(expect.arrayContaining(['opened', 'synchronize', 'reopened', 'edited']));
  });
});
