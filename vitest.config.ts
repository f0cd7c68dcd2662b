import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // A real helm and the packed tarball: vitest.deploy.config.ts, run once by CI.
    exclude: [...configDefaults.exclude, 'test/deploy/**'],
    // One PostgreSQL server for the whole run: initdb takes seconds, a database per file does not.
    globalSetup: ['test/setup/postgres.ts'],
    // Only a guard against a hung test: a loaded 2-core runner must not fail a passing one.
    testTimeout: 120_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Both cores (vitest would leave one idle on this 2-core machine), and one process per
    // worker for all its files: re-loading vitest and the modules for each of ~100 files
    // cost more CPU than most tests. Test files share no module state that matters (no
    // mocks, no env writes); the suite passes in either mode.
    maxWorkers: 2,
    isolate: false,
  },
});
