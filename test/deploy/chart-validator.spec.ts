import { describe, expect, it } from 'vitest';
import { kubernetesProblems } from './k8s-validate.js';

/** The validator the chart checks rely on must itself be able to fail. */
function deployment(container: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', labels: { 'any.label/key': 'v' }, annotations: { 'checksum/config': 'abc' } },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: { containers: [{ name: 'c', image: 'i', ...container }] },
      },
      ...extra,
    },
  };
}

describe('kubernetesProblems', () => {
  it('accepts a valid object, with free-form labels and annotations', () => {
    expect(kubernetesProblems(deployment({ env: [{ name: 'A', value: 'b' }] }))).toEqual([]);
  });

  it('refuses unknown fields at any depth, as strict field validation does', () => {
    expect(kubernetesProblems(deployment({ imagePullPolicy: 'Always', envv: [] }, { replica: 2 }))).toEqual([
      '/spec/replica: unknown field',
      '/spec/template/spec/containers/0/envv: unknown field',
    ]);
  });

  it('refuses wrong types and missing required fields', () => {
    const problems = kubernetesProblems(deployment({ ports: [{ containerPort: '8080' }], image: undefined }));
    expect(problems.join('\n')).toMatch(/containerPort must be integer/);
  });

  it('refuses a kind the chart does not render', () => {
    expect(kubernetesProblems({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' } })).toEqual([
      'batch/v1/Job: no schema for this kind',
    ]);
  });

  it('knows the Prometheus Operator ServiceMonitor', () => {
    const monitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'x' },
      spec: { selector: { matchLabels: { app: 'x' } }, endpoints: [{ port: 'http', intervall: '30s' }] },
    };
    expect(kubernetesProblems(monitor)).toEqual(['/spec/endpoints/0/intervall: unknown field']);
  });
});
