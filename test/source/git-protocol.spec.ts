import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALLOWED_GIT_ENV, gitConfigText, prepareGitEnv } from '../../src/source/git-env.js';
import { parseGitSourceOptions } from '../../src/source/git-options.js';
import { checkGitUrl } from '../../src/source/git-url.js';
import { createGitFixture, type GitFixture } from './helpers/git-fixture.js';

let fx: GitFixture;
beforeEach(async () => {
  fx = await createGitFixture();
  await fx.commit({ 'a.yaml': 'a\n' });
});
afterEach(async () => {
  await fx.cleanup();
});

/** git with the environment GitSource gives it, for a source that allows no file URLs. */
async function guardedGit(): Promise<ReturnType<typeof simpleGit>> {
  const options = parseGitSourceOptions({ url: 'https://example.test/a.git', workDir: fx.workDir });
  const home = path.join(fx.workDir, 'home');
  const env = await prepareGitEnv(
    options,
    gitConfigText(options, checkGitUrl(options.url, options), home),
    home,
  );
  const repo = path.join(fx.workDir, 'repo');
  await mkdir(repo, { recursive: true });
  const git = simpleGit({ baseDir: repo, allowEnvironment: ALLOWED_GIT_ENV }).env(env);
  await git.init();
  return git;
}

// Defence in depth: even a URL that got past checkGitUrl is stopped by git itself.
describe('git transport restrictions', () => {
  it('refuses the file transport when file URLs are not allowed', async () => {
    const git = await guardedGit();
    await expect(git.raw(['fetch', '--', fx.bare, 'refs/heads/main'])).rejects.toThrow(
      /transport 'file' not allowed/,
    );
  });

  it('refuses ext:: without running its command', async () => {
    const git = await guardedGit();
    const marker = path.join(fx.root, 'pwned');
    await expect(git.raw(['fetch', '--', `ext::sh -c touch% ${marker}`, 'main'])).rejects.toThrow(
      /not allowed/,
    );
    await expect(stat(marker)).rejects.toThrow();
  });
});
