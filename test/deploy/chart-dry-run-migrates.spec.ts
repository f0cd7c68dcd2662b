import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';
import { deploymentSpec } from './pod-env.js';

/**
 * REVIEW-34a M-3. A dry-run controller "publishes plans, applies nothing" (docs/deploy.md), and
 * docs/state.md has it share a PostgreSQL store with the applying controller ("A dry-run
 * controller (--dry-run) takes no part in the election and never holds the lock"): the natural
 * way to see what a new release would do is a shadow release of it, `reconcile.dryRun: true`, on
 * the production state URL. But the chart gives every PostgreSQL pod the `init-state`
 * initContainer, `audiencectl init --state-only`, which creates the schema or applies the
 * migrations the new release brings (DDL), dry run or not. The shadow migrates production's
 * schema; the production pods keep running until one restarts, which then refuses the newer
 * schema (`STATE_SCHEMA_NEWER`) and crash-loops: a dry run that takes the applying controller
 * down.
 *
 * Once fixed, a dry-run release renders no container that runs the migrating `init` (it may
 * check the schema, or skip the step).
 */
const VALUES = {
  git: { url: 'https://github.com/acme/audiences.git' },
  reconcile: { dryRun: true, refreshInterval: '0' },
  state: { backend: 'postgres' },
  secret: { stateUrl: 'postgres://audiencectl@db.example.com:5432/audiences?schema=audiencectl' },
};

describe.each(helmBinaries())('helm $major: a dry-run release on the PostgreSQL state', (bin) => {
  it.concurrent('runs no schema migration', async () => {
    const result = await template(bin, { values: VALUES });
    expect(result.stderr).toBe('');
    const pod = deploymentSpec(result.objects).template.spec;
    const migrating = [...(pod.initContainers ?? []), ...pod.containers]
      .filter((container) => JSON.stringify(container.args) === JSON.stringify(['init', '--state-only']))
      .map((container) => container.name);
    expect(migrating).toEqual([]);
  });
});
