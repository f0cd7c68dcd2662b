import module from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IN_THREAD_MAX_FILES } from '../../src/manifest/load-isolated.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

// Node 22.1 and later: the CLI turns on Node's compile cache (src/cli/compile-cache.ts).
const hasCompileCache = 'enableCompileCache' in module;

describe.runIf(hasCompileCache)("the compile cache in the CLI's threads", () => {
  it("serves a parser thread's code from the cache on the next run, as the main thread's", async () => {
    await withTempDir(async (dir) => {
      // More files than are parsed without a thread.
      const files: Record<string, string> = {};
      for (let i = 0; i <= IN_THREAD_MAX_FILES; i += 1) files[`a${i}.yaml`] = manifestYaml(`a${i}`);
      await writeFiles(path.join(dir, 'manifests'), files);
      const env = {
        XDG_CACHE_HOME: path.join(dir, 'cache'),
        NODE_COMPILE_CACHE: undefined,
        NODE_DISABLE_COMPILE_CACHE: undefined,
        // Node's own account of each module's cache entry, on stderr.
        NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
      };
      const validate = () => runCli(['validate', path.join(dir, 'manifests')], { env });
      const first = await validate();
      expect(first.code, first.stdout + first.stderr).toBe(0);
      const second = await validate();
      expect(second.code).toBe(0);
      expect(second.stdout).toContain(`${IN_THREAD_MAX_FILES + 1} valid manifest(s)`);
      // The main thread's command code: run-cli's, merged with what every command loads after
      // it (dist/chunks/loaded-by-cli-<hash>.js, scripts/bundle.mjs).
      expect(second.stderr).toMatch(
        /code cache for ESM file:\S*\/dist\/chunks\/loaded-by-cli-\w+\.js was accepted/,
      );
      // The thread's entry point (dist/manifest/parse-worker.js), loaded only by the thread.
      expect(second.stderr).toMatch(
        /code cache for ESM file:\S*\/dist\/manifest\/parse-worker\.js was accepted/,
      );
    });
  });
});
