import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliGuarded } from '../helpers/hang-guard.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

const INJECTION = pathToFileURL(new URL('../fixtures/post-message-fails.mjs', import.meta.url).pathname).href;

/**
 * An internal error (a bug: no user input is known to reach one) thrown while a parser thread is
 * at work left that thread running, and nothing ended it: the command printed "Internal error"
 * and never exited, so a CI job waited for its own timeout. It exits 1 once its output is written.
 */
describe('an internal error while a parser thread works', () => {
  it.each([1, 2])('ends the command with exit 1 (the message number %i to a thread fails)', async (at) => {
    await withTempDir(async (dir) => {
      // Enough files that a cold plan parses them in a thread (more than IN_THREAD_MAX_FILES).
      const files: Record<string, string> = {};
      for (let n = 0; n < 200; n += 1) files[`manifests/a${n}.yaml`] = manifestYaml(`a${n}`);
      await writeFiles(dir, files);
      const result = await runCliGuarded(['plan', 'manifests', '--state', 'state'], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: `--import=${INJECTION}`, INJECT_AT: String(at) },
      });
      expect(result.stderr).toMatch(/^Internal error \(please report it\): TypeError: injected: a bug$/m);
      expect({ hung: result.hung, code: result.code }).toEqual({ hung: false, code: 1 });
    });
  });
});
