import { describe, expect, it } from 'vitest';
import { find, helmBinaries, MINIMAL_VALUES, template } from './helm.js';

/**
 * chart-44 (review). With the PostgreSQL state and more than one replica the chart makes a
 * PodDisruptionBudget of podDisruptionBudget.minAvailable, written as given: a minAvailable of
 * replicaCount or more (2 of 2, "100%") allows no disruption at all, and every `kubectl drain`
 * of a node running one of the pods (a cluster upgrade, a node pool rotation) waits forever
 * ("Cannot evict pod as it would violate the pod's disruption budget"), far from the chart.
 * The chart refuses it in one line naming both values; fewer than replicaCount renders.
 */
const POSTGRES = {
  ...MINIMAL_VALUES,
  state: { backend: 'postgres' },
  secret: { ...MINIMAL_VALUES.secret, stateUrl: 'postgres://audiencectl@db.example.com:5432/audiences' },
};

describe.each(helmBinaries())('helm $major: a disruption budget that allows no disruption', (bin) => {
  it.concurrent('refuses minAvailable 2 of 2 replicas, naming both values', async () => {
    const result = await template(bin, {
      values: { ...POSTGRES, replicaCount: 2, podDisruptionBudget: { minAvailable: 2 } },
    });
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'));
    expect(`${result.code} ${errors.length}`).toBe('1 1');
    expect(errors[0]?.replace(/^Error: execution error at \([^)]*\): /, '')).toBe(
      'podDisruptionBudget.minAvailable 2 leaves no pod of replicaCount 2 to evict: every node drain would wait forever; give fewer than replicaCount (1 by default)',
    );
  });

  it.concurrent('refuses "100%"', async () => {
    const result = await template(bin, {
      values: { ...POSTGRES, replicaCount: 3, podDisruptionBudget: { minAvailable: '100%' } },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'podDisruptionBudget.minAvailable "100%" leaves no pod of replicaCount 3 to evict',
    );
  });

  it.concurrent('refuses a percentage Kubernetes rounds up to every replica (67% of 3)', async () => {
    const result = await template(bin, {
      values: { ...POSTGRES, replicaCount: 3, podDisruptionBudget: { minAvailable: '67%' } },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'podDisruptionBudget.minAvailable "67%" leaves no pod of replicaCount 3 to evict',
    );
  });

  it.concurrent('renders fewer than replicaCount', async () => {
    for (const minAvailable of [1, 2, '50%', '66%']) {
      const result = await template(bin, {
        values: { ...POSTGRES, replicaCount: 3, podDisruptionBudget: { minAvailable } },
      });
      expect(`${String(minAvailable)} ${result.code} ${result.stderr}`).toBe(`${String(minAvailable)} 0 `);
      const pdb = find(result.objects, 'PodDisruptionBudget');
      expect((pdb.spec as { minAvailable: unknown }).minAvailable).toBe(minAvailable);
    }
  });
});
