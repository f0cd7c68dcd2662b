import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // A real helm and the packed tarball: vitest.deploy.config.ts, run once by CI.
    exclude: [...configDefaults.exclude, 'test/deploy/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
