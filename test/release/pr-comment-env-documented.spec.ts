import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

/**
 * docs/deploy.md: scripts/pr-comment.mjs "you can also run from any CI with" the variables it
 * lists. A CI other than GitHub Actions sets none of GitHub's own variables, so each one the
 * script reads must be in that list: GITHUB_API_URL above all (a GitHub Enterprise Server's
 * API; without it the comment goes to api.github.com), and the guards a run of an older push
 * or of a retargeted pull request relies on (REVIEW-docs-41 3: four of them were not named).
 */
describe('docs/deploy.md names every variable scripts/pr-comment.mjs reads', () => {
  it('lists them in the paragraph on running it from any CI', async () => {
    const script = await readFile(new URL('../../scripts/pr-comment.mjs', import.meta.url), 'utf8');
    const docs = await readFile(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    const read = new Set([...script.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] ?? ''));
    expect(read.size).toBeGreaterThan(5);
    const paragraph = docs
      .split('\n\n')
      .find((p) => p.includes('scripts/pr-comment.mjs') && p.includes('from any CI'));
    expect(paragraph, 'the paragraph on running the script from any CI').toBeDefined();
    const missing = [...read].filter((name) => !paragraph?.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
