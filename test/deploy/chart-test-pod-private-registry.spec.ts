import { describe, expect, it } from 'vitest';
import { helmBinaries, MINIMAL_VALUES, template, type K8sObject } from './helm.js';
import { deploymentSpec } from './pod-env.js';

/**
 * REVIEW chart-43 M-2 (fixed: templates/tests/test-connection.yaml). The chart's `helm test` Pod runs the controller's own image ("no other
 * image to pull or trust"). A team whose image comes from a private registry sets
 * `imagePullSecrets` (or gives a service account of its own the pull secret,
 * `serviceAccount.create: false`, `serviceAccount.name`): the controller's pod pulls, but the
 * test Pod carries neither the pull secrets nor the service account, and runs under the
 * namespace's `default` account. On any node that has not pulled the image yet it stays in
 * ErrImagePull / ImagePullBackOff, and `helm test` (which docs/deploy.md's Install runs right
 * after `helm install`) fails after its 5 minute timeout with "timed out waiting for the
 * condition", on a release that works. Nor does it get the pod's nodeSelector or tolerations:
 * on a cluster whose nodes are tainted for it, it never schedules.
 *
 * Here: the rendered test Pod pulls and schedules as the controller's pod does.
 */
type PodSpecLike = {
  imagePullSecrets?: { name: string }[];
  serviceAccountName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
};

function testPod(objects: K8sObject[]): K8sObject {
  const pod = objects.find((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test');
  if (!pod) throw new Error('no helm test Pod');
  return pod;
}

const VALUES = {
  ...MINIMAL_VALUES,
  image: { repository: 'registry.acme.internal/platform/audiencectl' },
  imagePullSecrets: [{ name: 'acme-registry' }],
  serviceAccount: { create: false, name: 'audiencectl-puller' },
  nodeSelector: { 'acme.io/pool': 'platform' },
  tolerations: [{ key: 'acme.io/pool', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
};

describe.each(helmBinaries())('helm $major: the helm test Pod from a private registry', (bin) => {
  it.concurrent('pulls and schedules as the controller pod does', async () => {
    const rendered = await template(bin, { values: VALUES });
    expect(rendered.stderr).toBe('');
    const controllerPod = deploymentSpec(rendered.objects).template.spec as PodSpecLike;
    expect(controllerPod.imagePullSecrets).toEqual([{ name: 'acme-registry' }]);
    expect(controllerPod.serviceAccountName).toBe('audiencectl-puller');
    const spec = testPod(rendered.objects)['spec'] as PodSpecLike;
    expect(spec.imagePullSecrets).toEqual([{ name: 'acme-registry' }]);
    expect(spec.serviceAccountName).toBe('audiencectl-puller');
    expect(spec.nodeSelector).toEqual({ 'acme.io/pool': 'platform' });
    expect(spec.tolerations).toEqual(VALUES.tolerations);
  });
});
