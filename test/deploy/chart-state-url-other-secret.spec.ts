import { describe, expect, it } from 'vitest';
import { helmBinaries, MINIMAL_VALUES, template } from './helm.js';
import { kubernetesProblems } from './k8s-validate.js';
import { deploymentSpec, type Container } from './pod-env.js';

/**
 * REVIEW chart-43 M-3 (fixed: templates/deployment.yaml, _validate.tpl: audiencectl.extraEnvGives). A PostgreSQL operator (CloudNativePG, Zalando, Crunchy) or an external
 * secrets controller keeps the database URL in a Secret of its own, under its own key
 * (CloudNativePG: `<cluster>-app`, key `uri`), and rotates the password there. docs/deploy.md
 * says any variable comes through `extraEnv`, a gateway URL from "a Secret of yours" with
 * `valueFrom.secretKeyRef`, which the pod's env gives precedence. A team sets
 * `secret.existingSecret` for its AEP credentials and `AUDIENCECTL_STATE` from the operator's
 * Secret in `extraEnv`: the chart still references `AUDIENCECTL_STATE` in the existing Secret,
 * without `optional`, in the controller and in `init-state`, and that Secret has no such key:
 * every pod stays in CreateContainerConfigError ("couldn't find key AUDIENCECTL_STATE in Secret
 * audiences/acme-aep"), though the variable it names is given. The only way left is copying the
 * URL, password included, into a second Secret by hand, which the operator's next rotation
 * breaks. Without an existing Secret, `helm install` refuses it ("set secret.stateUrl").
 *
 * Here: each container's `AUDIENCECTL_STATE` and `AEP_CLIENT_SECRET` come only from the
 * Secret keys `extraEnv` names.
 */
const FROM_OPERATOR = { secretKeyRef: { name: 'pg-app', key: 'uri' } };
const FROM_VAULT = { secretKeyRef: { name: 'vault-aep', key: 'client-secret' } };

function refs(container: Container, name: string): unknown[] {
  return (container.env ?? []).filter((v) => v.name === name).map((v) => v.valueFrom ?? v.value);
}

describe.each(helmBinaries())(
  'helm $major: the state URL and AEP secret from Secrets of their own',
  (bin) => {
    it.concurrent('with an existing Secret for the rest', async () => {
      const rendered = await template(bin, {
        values: {
          ...MINIMAL_VALUES,
          state: { backend: 'postgres' },
          secret: { existingSecret: 'acme-aep' },
          extraEnv: [
            { name: 'AUDIENCECTL_STATE', valueFrom: FROM_OPERATOR },
            { name: 'AEP_CLIENT_SECRET', valueFrom: FROM_VAULT },
          ],
        },
      });
      expect(rendered.stderr).toBe('');
      const pod = deploymentSpec(rendered.objects).template.spec;
      const [controller] = pod.containers;
      const [init] = pod.initContainers ?? [];
      expect(init?.name).toBe('init-state');
      expect(refs(controller!, 'AUDIENCECTL_STATE')).toEqual([FROM_OPERATOR]);
      expect(refs(init!, 'AUDIENCECTL_STATE')).toEqual([FROM_OPERATOR]);
      expect(refs(controller!, 'AEP_CLIENT_SECRET')).toEqual([FROM_VAULT]);
      // What extraEnv does not give still comes from the existing Secret.
      expect(refs(controller!, 'AEP_CLIENT_ID')).toEqual([
        { secretKeyRef: { name: 'acme-aep', key: 'AEP_CLIENT_ID' } },
      ]);
      for (const object of rendered.objects)
        expect(kubernetesProblems(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
    });

    it.concurrent('with the chart creating the Secret for the rest', async () => {
      const rendered = await template(bin, {
        values: {
          ...MINIMAL_VALUES,
          state: { backend: 'postgres' },
          extraEnv: [{ name: 'AUDIENCECTL_STATE', valueFrom: FROM_OPERATOR }],
        },
      });
      expect(rendered.stderr).toBe('');
      const pod = deploymentSpec(rendered.objects).template.spec;
      expect(refs(pod.containers[0]!, 'AUDIENCECTL_STATE')).toEqual([FROM_OPERATOR]);
      expect(refs(pod.initContainers![0]!, 'AUDIENCECTL_STATE')).toEqual([FROM_OPERATOR]);
    });
  },
);
