import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/**
 * REVIEW-34a L-4. The chart's default state is a directory on a ReadWriteOnce volume that only
 * the controller's pod mounts. When the controller blocks an audience and says the record must
 * be repaired (an audience of that name already exists: `state import … --audience-id …`; a
 * corrupt record: `state forget`; a restore from a backup), the docs show how to do it for the
 * PostgreSQL state only ("Repairing state under a controller": scale to 0, run `audiencectl state
 * …` with the URL). For the file state there is no path from outside the pod, and inside it the
 * image has no `audiencectl` command (`kubectl exec … -- audiencectl state list` finds no such
 * executable; the entry point is `node /app/dist/cli/main.js`). Nothing in README, docs/deploy.md,
 * docs/controller.md or docs/state.md says how.
 *
 * Once fixed, one of them gives a `kubectl … exec` command that runs a `state` command in the
 * controller's pod (or a command the image has on its PATH).
 */
describe('repairing the chart file state', () => {
  it('is documented with a command that runs in the pod', async () => {
    const docs = await Promise.all(
      ['README.md', 'docs/deploy.md', 'docs/controller.md', 'docs/state.md'].map((file) =>
        readFile(path.join(repoRoot, file), 'utf8'),
      ),
    );
    const commands = docs
      .join('\n')
      .split('\n')
      .filter((line) => /kubectl\b.*\bexec\b.*\bstate (import|forget|list|show|settle-run)\b/.test(line));
    expect(commands.length).toBeGreaterThan(0);
  });
});
