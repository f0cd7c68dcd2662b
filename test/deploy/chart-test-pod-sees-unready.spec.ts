import { describe, expect, it } from 'vitest';
import { helmBinaries, MINIMAL_VALUES, template, type K8sObject } from './helm.js';
import { deploymentSpec } from './pod-env.js';

/**
 * REVIEW chart-43 M-4 (fixed: templates/tests/test-pods-service.yaml, test-connection.yaml). docs/deploy.md: the `helm test` Pod waits for the release to become
 * ready "saying what `/readyz` answers meanwhile; a release still not ready then fails the test
 * with that answer". It asks through the release's Service, and a Service routes only to ready
 * pods (kube-proxy rejects connections to one with no ready endpoint): while the pod is not
 * ready, which is exactly when its `/readyz` has a reason to give (`no successful sync yet:
 * GIT_AUTH: …`), the test Pod gets no answer at all. It logs `unreachable (ECONNREFUSED)` for
 * 4 minutes and fails with that, and the user goes looking for a network problem.
 *
 * Here: the address the test Pod waits on (PODS_URL; BASE_URL stays the release's Service,
 * which it checks once the pods are ready) is a Service that routes to the controller's pods
 * ready or not (`publishNotReadyAddresses`), on their http port, and selects no other pod.
 */
type ServiceSpec = {
  clusterIP?: string;
  publishNotReadyAddresses?: boolean;
  selector?: Record<string, string>;
  ports?: { name?: string; port: number; targetPort?: string | number }[];
};

function testPod(objects: K8sObject[]): K8sObject {
  const pod = objects.find((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test');
  if (!pod) throw new Error('no helm test Pod');
  return pod;
}

describe.each(helmBinaries())('helm $major: the helm test Pod', (bin) => {
  it.concurrent('asks /readyz of the controller pods, ready or not', async () => {
    const rendered = await template(bin, { values: MINIMAL_VALUES });
    expect(rendered.stderr).toBe('');
    const containers = (
      testPod(rendered.objects)['spec'] as { containers: { env?: { name: string; value?: string }[] }[] }
    ).containers;
    const baseUrl = containers[0]?.env?.find((v) => v.name === 'PODS_URL')?.value;
    expect(baseUrl).toBeDefined();
    const url = new URL(baseUrl!);
    const service = rendered.objects.find((o) => o.kind === 'Service' && o.metadata.name === url.hostname);
    expect(service, `a Service named ${url.hostname}`).toBeDefined();
    const spec = service!['spec'] as ServiceSpec;
    expect(spec.publishNotReadyAddresses).toBe(true);
    const podLabels = deploymentSpec(rendered.objects).template.metadata.labels;
    for (const [key, value] of Object.entries(spec.selector ?? {})) expect(podLabels[key]).toBe(value);
    expect(Object.keys(spec.selector ?? {}).length).toBeGreaterThan(0);
    // Not the test Pod itself, which has no http port to answer on.
    const testLabels = testPod(rendered.objects).metadata.labels ?? {};
    expect(Object.entries(spec.selector ?? {}).every(([key, value]) => testLabels[key] === value)).toBe(
      false,
    );
    // Headless: the URL's port is the pod's own; otherwise the Service maps it to http.
    const port = spec.ports?.find((p) => p.port === Number(url.port));
    if (spec.clusterIP === 'None') expect(Number(url.port)).toBe(8080);
    else expect(port?.targetPort).toBe('http');
  });
});
