import { builtinModules } from 'node:module';
import { configDefaults, defineConfig, type Plugin } from 'vitest/config';
import LongestFirst from './test/setup/sequencer.js';

/**
 * vitest's transform cache (experimental.fsModuleCache below) keys each module by, among other
 * things, the resolve options, where vitest lists the runtime's built-in modules as external.
 * Node 24 lists four more than Node 20, all only with the `node:` prefix (node:sea, node:sqlite,
 * node:test, node:test/reporters), so CI's two passes never shared an entry: the Node 24 pass
 * transformed every module again. Listed without those (no spec imports them, and vitest
 * resolves a `node:` import as built-in by itself), the key is the same on both runtimes.
 */
const builtinsSharedByRuntimes: Plugin = {
  name: 'audiencectl:builtins-shared-by-runtimes',
  configResolved: {
    order: 'post',
    handler(config) {
      const plain = builtinModules.filter((name) => !name.startsWith('node:'));
      for (const environment of Object.values(config.environments)) {
        const resolve = environment.resolve as { external: unknown };
        if (Array.isArray(resolve.external))
          resolve.external = [...plain, ...plain.map((name) => `node:${name}`)];
      }
    },
  },
};

// Tests talk to loopback servers of their own only, and trust their own certificates
// explicitly; a machine's extra CA bundle (CI's sets NODE_EXTRA_CA_CERTS to the system
// store) is read by Node 20 at every start, ~65 ms of CPU in each of the hundreds of
// processes the suite spawns. The workers and every process they spawn go without it.
delete process.env.NODE_EXTRA_CA_CERTS;

export default defineConfig({
  plugins: [builtinsSharedByRuntimes],
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // A real helm and the packed tarball: vitest.deploy.config.ts, run once by CI.
    exclude: [...configDefaults.exclude, 'test/deploy/**'],
    // One PostgreSQL server for the whole run (initdb takes seconds, a database per file
    // does not), and a cache directory of the run's own (test/setup/cache-home.ts).
    globalSetup: ['test/setup/postgres.ts', 'test/setup/cache-home.ts'],
    // Each spec file's CPU, one JSON line each, appended to the file AUDIENCECTL_TEST_CPU_LOG
    // names (docs/performance.md, "CI duration"); without it, nothing is loaded.
    setupFiles: process.env.AUDIENCECTL_TEST_CPU_LOG ? ['test/setup/cpu-per-file.ts'] : [],
    // Only a guard against a hung test: a loaded 2-core runner must not fail a passing one.
    testTimeout: 120_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Three workers on this 2-core machine (vitest would use one): a test spends much of
    // its time waiting on the servers, processes and timers it starts, and a third worker
    // fills that time (the Node 20 pass: 124 s with two workers, 110 s with three, 109 s
    // with four, at 165% and 185% CPU). One process per worker for all its files:
    // re-loading vitest and the modules for each of ~140 files cost more CPU than most
    // tests. Test files share no module state that matters (no mocks; the in-process CLI
    // restores process.env); the suite passes in either mode.
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
    isolate: false,
    // Transformed modules kept on disk (node_modules/.experimental-vitest-cache, keyed by
    // content): a second run on the same Node skips transforming the TypeScript (transform
    // 13 s, then 4 s, summed over the workers), and CI's Node 24 pass reuses what its
    // Node 20 pass transformed (builtinsSharedByRuntimes). `npx vitest --clearCache` empties it.
    experimental: { fsModuleCache: true },
  },
});
