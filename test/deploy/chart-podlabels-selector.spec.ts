import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { chartDir, helmBinaries, helmWithValues, MINIMAL_VALUES, template } from './helm.js';
import { deploymentSpec } from './pod-env.js';

/**
 * REVIEW-37d L-1. podLabels naming one of the chart's selector labels (app.kubernetes.io/name or
 * app.kubernetes.io/instance, e.g. a team's convention of labelling every pod with its app name)
 * was accepted and rendered as a second, duplicate key in the pod template's labels: the API
 * server then refuses the manifest (duplicate mapping key) or keeps the last value, and the
 * Deployment's selector, the Service and the NetworkPolicy no longer match the pods. It is
 * refused in one line naming podLabels and the key.
 */
const VALUES = {
  ...MINIMAL_VALUES,
  podLabels: { 'app.kubernetes.io/name': 'audiences-sync' },
};

describe.each(helmBinaries())('helm $major: podLabels naming a selector label', (bin) => {
  it.concurrent('is refused naming podLabels, or renders pod labels without a duplicate key', async () => {
    const result = await helmWithValues(
      bin,
      ['template', 'audiencectl', chartDir, '-n', 'audiences'],
      VALUES,
    );
    if (result.code !== 0) {
      expect(result.stderr).toContain('podLabels');
      return;
    }
    const problems = parseAllDocuments(result.stdout).flatMap((doc) => doc.errors.map((e) => e.code));
    expect(problems).toEqual([]);
  });

  it.concurrent.each(['app.kubernetes.io/name', 'app.kubernetes.io/instance'])(
    '%s: refused in one line, with or without the schema',
    async (key) => {
      for (const args of [[], ['--skip-schema-validation']]) {
        const result = await template(bin, { values: { ...VALUES, podLabels: { [key]: 'x' } }, args });
        expect(result.code).toBe(1);
        const [line] = result.stderr.split('\n');
        expect(line).toContain(
          `podLabels sets ${key}, a label of the chart's selector: the Deployment, the Service and the NetworkPolicy would no longer select the pods; use another key`,
        );
      }
    },
  );

  it.concurrent('other labels join the selector labels', async () => {
    const values = { ...VALUES, podLabels: { 'app.kubernetes.io/part-of': 'marketing', team: 'crm' } };
    const result = await template(bin, { values });
    expect(result.stderr).toBe('');
    expect(deploymentSpec(result.objects).template.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'audiencectl',
      'app.kubernetes.io/instance': 'audiencectl',
      'app.kubernetes.io/part-of': 'marketing',
      team: 'crm',
    });
  });
});
