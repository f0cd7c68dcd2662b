import { describe, expect, it } from 'vitest';
import { helmBinaries, MINIMAL_VALUES, template } from './helm.js';

/**
 * chart-44 (review). The chart checks git.branch for blanks, ~ ^ : ? * [ \ and a leading - only; the
 * controller (src/source/git-options.ts checkBranch) also refuses a name ending in / or . or
 * .lock, holding .. or // or @{, a component starting with ., and @ alone. Such a branch
 * (`release/`, a pasted `main.lock`) installs, and every pod exits at start
 * (SOURCE_BRANCH_INVALID): a crash loop after an install that reported success. The chart
 * refuses each in one line naming git.branch, as it does the rest.
 */
const REFUSED = ['release/', 'main.', 'main.lock', 'a..b', 'a//b', 'a@{1}', '@', 'team/.hidden', '/main'];

describe.each(helmBinaries())('helm $major: branches the controller refuses', (bin) => {
  it.concurrent('refuses each in one line naming git.branch', async () => {
    const refused: string[] = [];
    for (const branch of REFUSED) {
      const result = await template(bin, {
        values: { ...MINIMAL_VALUES, git: { ...MINIMAL_VALUES.git, branch } },
      });
      const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'));
      refused.push(
        `${branch} ${result.code} ${errors.length} ${errors[0]?.includes(`git.branch ${JSON.stringify(branch)} is not a branch name`) ?? false}`,
      );
    }
    expect(refused).toEqual(REFUSED.map((branch) => `${branch} 1 1 true`));
  });

  it.concurrent('renders branch names git takes', async () => {
    for (const branch of ['main', 'release/2026.12', 'feature/a.b', 'v1.x']) {
      const result = await template(bin, {
        values: { ...MINIMAL_VALUES, git: { ...MINIMAL_VALUES.git, branch } },
      });
      expect(`${branch} ${result.code} ${result.stderr}`).toBe(`${branch} 0 `);
    }
  });
});
