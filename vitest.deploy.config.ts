import { defineConfig } from 'vitest/config';

/**
 * The deployment checks: a real helm (both majors, fetched once by the global setup) and
 * the packed npm tarball (`npm run check:chart`; `npm run check:package` runs the tarball's
 * spec alone, vitest.package.config.ts, with no helm). Kept out of `npm test`, which runs on
 * two Node versions; CI runs these once.
 */
export default defineConfig({
  test: {
    include: ['test/deploy/**/*.spec.ts'],
    // A cache directory of the run's own (test/setup/cache-home.ts): the installed CLI's
    // `plan --base` keeps a manifest cache in the user's cache directory.
    globalSetup: ['test/deploy/global-setup.ts', 'test/setup/cache-home.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // One process for all its files, as the suite's workers (vitest.config.ts): a fresh one per
    // file loaded vitest and the file's modules (kubernetes-models, ajv) again, about 0.6 s of
    // CPU each (docs/performance.md, "CI duration"). The files share no module state: no mocks,
    // no module-level caches, no writes to process.env.
    isolate: false,
  },
});
