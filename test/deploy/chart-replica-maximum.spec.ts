import { describe, expect, it } from 'vitest';
import { find, helmBinaries, MINIMAL_VALUES, template } from './helm.js';
import { kubernetesProblems } from './k8s-validate.js';

/**
 * refusals-38. values.schema.json gives replicaCount no maximum, and with the PostgreSQL state
 * the chart wrote it into the Deployment as given: a replicaCount over 2147483647 (a typo's
 * extra digits) rendered, and Kubernetes refuses the Deployment at install (its replicas are an
 * int32), in words that name Deployment.spec.replicas, not the value to fix. The chart refuses
 * it in one line naming the key; 2147483647 itself still renders a Deployment Kubernetes takes.
 */
const POSTGRES = {
  ...MINIMAL_VALUES,
  state: { backend: 'postgres' },
  secret: { ...MINIMAL_VALUES.secret, stateUrl: 'postgres://audiencectl@db.example.com:5432/audiences' },
};

describe.each(helmBinaries())('helm $major: replicaCount over what a Deployment holds', (bin) => {
  it.concurrent('refuses 2147483648 in one line naming the key', async () => {
    const result = await template(bin, { values: { ...POSTGRES, replicaCount: 2_147_483_648 } });
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'));
    expect(`${result.code} ${errors.length}`).toBe('1 1');
    expect(errors[0]?.replace(/^Error: execution error at \([^)]*\): /, '')).toBe(
      'replicaCount 2147483648 is more than a Deployment holds (at most 2147483647, an int32): Kubernetes would refuse the Deployment at install',
    );
  });

  it.concurrent('renders 2147483647, a Deployment Kubernetes takes', async () => {
    const result = await template(bin, { values: { ...POSTGRES, replicaCount: 2_147_483_647 } });
    expect(result.stderr).toBe('');
    const deployment = find(result.objects, 'Deployment');
    expect((deployment.spec as { replicas: number }).replicas).toBe(2_147_483_647);
    expect(kubernetesProblems(deployment)).toEqual([]);
    // One more, as the chart rendered it before: what the install ran into.
    const over = { ...deployment, spec: { ...(deployment.spec as object), replicas: 2_147_483_648 } };
    expect(kubernetesProblems(over)).toEqual(['data/spec/replicas must match format "int32"']);
  });
});
