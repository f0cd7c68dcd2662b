import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // A real helm and the packed tarball: vitest.deploy.config.ts, run once by CI.
    exclude: [...configDefaults.exclude, 'test/deploy/**'],
    // One PostgreSQL server for the whole run: initdb takes seconds, a database per file does not.
    globalSetup: ['test/setup/postgres.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
