import { describe, expect, it } from 'vitest';
import { docsInstallArgs, INSTALL_EXAMPLES } from './docs-example.js';
import { find, helm, helmBinaries, parseObjects, template, type K8sObject } from './helm.js';
import { kubernetesProblems } from './k8s-validate.js';
import { controller, controllerEnv, deploymentSpec } from './pod-env.js';

/** Every object valid for its schema, unknown fields refused; the names of the kinds rendered. */
function expectValid(objects: K8sObject[]): string[] {
  expect(objects.length).toBeGreaterThan(0);
  for (const object of objects)
    expect(kubernetesProblems(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
  return objects.map((o) => o.kind).sort();
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SSH_KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
const KNOWN_HOSTS =
  'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
/** A configured, applying controller with its credentials in the chart's Secret. */
const TOKEN_SETUP = {
  git: { url: 'https://github.com/acme/audiences.git', auth: 'token' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { gitToken: 't', aepClientId: 'id', aepClientSecret: 's' },
};

function secretData(objects: K8sObject[], key: string): string | undefined {
  const data = (find(objects, 'Secret').data ?? {}) as Record<string, string>;
  const value = data[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

describe.each(helmBinaries())('helm $major template', (bin) => {
  it.concurrent('refuses the defaults with the documented message', async () => {
    const result = await template(bin);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('git.url is required');
  });

  it.concurrent.each(INSTALL_EXAMPLES)(
    'renders the install example of %s (%s) into valid objects',
    async (file, heading) => {
      const result = await helm(bin, await docsInstallArgs(file, heading));
      expect(result.stderr).toBe('');
      const objects = parseObjects(result.stdout);
      expect(expectValid(objects)).toEqual(
        [
          'ConfigMap',
          'Deployment',
          'PersistentVolumeClaim',
          'Pod',
          'Secret',
          'Service',
          // The helm test's Service of the pods ready or not (templates/tests/test-pods-service.yaml).
          'Service',
          'ServiceAccount',
        ].sort(),
      );
      const env = controllerEnv(objects);
      expect(env.get('AEP_CLIENT_ID')?.secret).toMatchObject({ key: 'AEP_CLIENT_ID' });
      expect(env.get('AEP_CLIENT_ID')?.secret?.optional).toBeUndefined();
      expect(env.get('AUDIENCECTL_LISTEN')).toEqual({ value: '[::]:8080' });
      expect(deploymentSpec(objects)).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    },
  );

  it.concurrent('uses an existing Secret and claim, and creates neither', async () => {
    const { objects, stderr } = await template(bin, { files: ['ssh-existing-secret-values.yaml'] });
    expect(stderr).toBe('');
    expect(expectValid(objects)).not.toContain('Secret');
    expect(objects.map((o) => o.kind)).not.toContain('PersistentVolumeClaim');
    const refs = [...controllerEnv(objects).values()].flatMap((s) => (s.secret ? [s.secret.name] : []));
    expect(new Set(refs)).toEqual(new Set(['audiencectl-credentials']));
    const volumes = deploymentSpec(objects).template.spec.volumes ?? [];
    expect(volumes.find((v) => v.name === 'state')).toMatchObject({
      persistentVolumeClaim: { claimName: 'audiencectl-state' },
    });
  });

  it.concurrent('scrapes /metrics with a ServiceMonitor that selects the Service port', async () => {
    const { objects } = await template(bin, { files: ['token-values.yaml'] });
    expectValid(objects);
    const monitor = find(objects, 'ServiceMonitor').spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    };
    const service = find(objects, 'Service');
    expect(service.metadata.labels).toMatchObject(monitor.selector.matchLabels);
    const ports = (service.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
    expect(ports).toContain(monitor.endpoints[0]?.port);
    expect(monitor.endpoints[0]?.path).toBe('/metrics');
  });

  it.concurrent('mounts an SSH key that ends with a newline, and the known hosts', async () => {
    const { objects, stderr } = await template(bin, {
      values: {
        ...TOKEN_SETUP,
        git: { url: 'git@github.com:acme/audiences.git', auth: 'ssh', knownHosts: KNOWN_HOSTS },
        secret: { ...TOKEN_SETUP.secret, gitSshPrivateKey: SSH_KEY },
      },
    });
    expect(stderr).toBe('');
    expectValid(objects);
    expect(secretData(objects, 'ssh-privatekey')).toBe(`${SSH_KEY}\n`);
    const env = controllerEnv(objects);
    expect(env.get('AUDIENCECTL_GIT_STRICT_HOST_KEY_CHECKING')).toEqual({ value: 'yes' });
    expect(find(objects, 'ConfigMap', 'audiencectl-known-hosts').data).toEqual({
      known_hosts: `${KNOWN_HOSTS}\n`,
    });
    const mounts = controller(objects).volumeMounts ?? [];
    for (const variable of ['AUDIENCECTL_GIT_SSH_KEY_FILE', 'AUDIENCECTL_GIT_KNOWN_HOSTS_FILE']) {
      const file = env.get(variable)?.value ?? '';
      expect(
        mounts.some((m) => file.startsWith(`${m.mountPath}/`)),
        variable,
      ).toBe(true);
    }
    const keyVolume = (deploymentSpec(objects).template.spec.volumes ?? []).find((v) => v.name === 'git-ssh');
    expect(keyVolume).toMatchObject({ secret: { defaultMode: 0o400 } });
    expect(deploymentSpec(objects).template.spec.securityContext).toMatchObject({ fsGroup: 10001 });
  });

  it.concurrent('trusts a new SSH host key only when told to, and says so to the app', async () => {
    const { objects, stderr } = await template(bin, {
      values: {
        ...TOKEN_SETUP,
        git: {
          url: 'ssh://git@gitlab.example.com/acme/audiences.git',
          auth: 'ssh',
          ssh: { insecureAcceptNewHostKeys: true },
        },
        secret: { ...TOKEN_SETUP.secret, gitSshPrivateKey: `${SSH_KEY}\n` },
      },
    });
    expect(stderr).toBe('');
    expectValid(objects);
    expect(secretData(objects, 'ssh-privatekey')).toBe(`${SSH_KEY}\n`);
    expect(controllerEnv(objects).get('AUDIENCECTL_GIT_STRICT_HOST_KEY_CHECKING')).toEqual({
      value: 'accept-new',
    });
  });

  it.concurrent('runs a dry-run controller without refresh with no AEP settings at all', async () => {
    const { objects, stderr } = await template(bin, { files: ['dry-run-values.yaml'] });
    expect(stderr).toBe('');
    expect(expectValid(objects)).not.toContain('PersistentVolumeClaim');
    const env = controllerEnv(objects);
    expect(env.get('AUDIENCECTL_DRY_RUN')).toEqual({ value: 'true' });
    expect(env.get('AUDIENCECTL_REFRESH_INTERVAL')).toEqual({ value: '0' });
    expect(env.has('AEP_CLIENT_ID')).toBe(false);
  });

  it.concurrent('takes durations as --set gives them: numbers of seconds, unquoted', async () => {
    const sets = [
      'git.interval=90',
      'reconcile.resyncInterval=600',
      'reconcile.refreshInterval=0',
      'reconcile.dryRun=true',
    ];
    const { objects, stderr } = await template(bin, {
      values: { git: { url: 'https://github.com/acme/audiences.git' } },
      args: sets.flatMap((set) => ['--set', set]),
    });
    expect(stderr).toBe('');
    const env = controllerEnv(objects);
    expect(env.get('AUDIENCECTL_INTERVAL')).toEqual({ value: '90' });
    expect(env.get('AUDIENCECTL_REFRESH_INTERVAL')).toEqual({ value: '0' });
    expect(env.has('AEP_CLIENT_ID')).toBe(false);
  });

  it.concurrent('keeps the state in PostgreSQL: replicas, rolling updates, a PDB and no volume', async () => {
    const { objects, stderr } = await template(bin, { files: ['postgres-values.yaml'] });
    expect(stderr).toBe('');
    const kinds = expectValid(objects);
    expect(kinds).toEqual(expect.arrayContaining(['PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor']));
    expect(kinds).not.toContain('PersistentVolumeClaim');
    const spec = deploymentSpec(objects);
    expect(spec).toMatchObject({ replicas: 2, strategy: { type: 'RollingUpdate' } });
    expect((spec.template.spec.volumes ?? []).map((v) => v.name)).not.toContain('state');
    const env = controllerEnv(objects);
    expect(env.get('AUDIENCECTL_STATE')?.secret).toEqual({
      name: 'audiencectl-credentials',
      key: 'AUDIENCECTL_STATE',
    });
    expect(env.has('AUDIENCECTL_STATE_DIR')).toBe(false);
    // The Secret's AUDIENCECTL_HTTP_TOKEN, mounted as the file the controller reads again when it
    // changes (test/deploy/chart-secrets-as-files.spec.ts), no longer a variable.
    expect(env.get('AUDIENCECTL_HTTP_TOKEN_FILE')).toEqual({ value: '/etc/audiencectl/http-token/token' });
    const tokenVolume = (spec.template.spec.volumes ?? []).find((v) => v.name === 'http-token');
    expect(tokenVolume?.['secret']).toMatchObject({
      items: [{ key: 'AUDIENCECTL_HTTP_TOKEN', path: 'token' }],
    });
    expect(env.get('AUDIENCECTL_WEBHOOK_LISTEN')).toEqual({ value: '[::]:8081' });
    const pdb = find(objects, 'PodDisruptionBudget').spec as { selector: { matchLabels: object } };
    expect(pdb.selector.matchLabels).toEqual(spec.selector.matchLabels);
    const service = find(objects, 'Service').spec as {
      ports: { name: string; port: number; targetPort: string }[];
    };
    expect(service.ports).toContainEqual(
      expect.objectContaining({ name: 'webhook', port: 8081, targetPort: 'webhook' }),
    );
    expect(controller(objects).ports).toContainEqual(
      expect.objectContaining({ name: 'webhook', containerPort: 8081 }),
    );
    const monitor = find(objects, 'ServiceMonitor').spec as { endpoints: Record<string, unknown>[] };
    expect(monitor.endpoints[0]?.authorization).toEqual({
      type: 'Bearer',
      credentials: { name: 'audiencectl-credentials', key: 'AUDIENCECTL_HTTP_TOKEN' },
    });
    // This namespace and the ServiceMonitor's Prometheus on http; the ingress controller on webhook.
    const policy = find(objects, 'NetworkPolicy').spec as { ingress: unknown[] };
    expect(policy.ingress).toEqual([
      { ports: [{ port: 'http', protocol: 'TCP' }], from: [{ podSelector: {} }] },
      {
        ports: [{ port: 'http', protocol: 'TCP' }],
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
      },
      {
        ports: [{ port: 'webhook', protocol: 'TCP' }],
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
      },
    ]);
  });

  it.concurrent(
    'migrates the PostgreSQL schema before the controller starts, with its state URL and restrictions',
    async () => {
      const { objects, stderr } = await template(bin, {
        files: ['postgres-values.yaml'],
        values: {
          extraVolumes: [{ name: 'pg', secret: { secretName: 'pg-password' } }],
          extraVolumeMounts: [{ name: 'pg', mountPath: '/etc/audiencectl/pg', readOnly: true }],
          extraEnv: [{ name: 'AUDIENCECTL_STATE_PASSWORD_FILE', value: '/etc/audiencectl/pg/password' }],
        },
      });
      expect(stderr).toBe('');
      expectValid(objects);
      const pod = deploymentSpec(objects).template.spec;
      expect(pod.initContainers?.length).toBe(1);
      const init = pod.initContainers![0]!;
      expect(init.name).toBe('init-state');
      expect(init.image).toBe('ghcr.io/audiencectl/audiencectl:0.1.0');
      expect(init.image).toBe(controller(objects).image);
      expect(init.args).toEqual(['init', '--state-only']);
      // The state URL from the Secret, the password file as the controller gets it, and nothing of AEP.
      expect(init.env).toEqual([
        {
          name: 'AUDIENCECTL_STATE',
          valueFrom: { secretKeyRef: { name: 'audiencectl-credentials', key: 'AUDIENCECTL_STATE' } },
        },
        { name: 'AUDIENCECTL_STATE_PASSWORD_FILE', value: '/etc/audiencectl/pg/password' },
      ]);
      expect(controllerEnv(objects).get('AUDIENCECTL_STATE_PASSWORD_FILE')).toEqual({
        value: '/etc/audiencectl/pg/password',
      });
      expect(init.volumeMounts).toContainEqual({
        name: 'pg',
        mountPath: '/etc/audiencectl/pg',
        readOnly: true,
      });
      const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
      for (const mount of init.volumeMounts ?? []) expect(volumes.has(mount.name), mount.name).toBe(true);
      expect(init.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(init.resources).toEqual({
        requests: { cpu: '50m', memory: '256Mi' },
        limits: { memory: '1Gi' },
      });
      expect(init.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    },
  );

  it.concurrent('runs no init step for the file state, nor with state.migrate false', async () => {
    const renders = await Promise.all([
      template(bin, { values: TOKEN_SETUP }),
      template(bin, { files: ['postgres-values.yaml'], values: { state: { migrate: false } } }),
    ]);
    for (const { objects, stderr } of renders) {
      expect(stderr).toBe('');
      expectValid(objects);
      expect(deploymentSpec(objects).template.spec.initContainers).toBeUndefined();
    }
    expect(controllerEnv(renders[1].objects).get('AUDIENCECTL_STATE')?.secret?.key).toBe('AUDIENCECTL_STATE');
  });

  it.concurrent('pins the image by digest and keeps the version label valid', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    for (const [tag, image, version] of [
      ['', `ghcr.io/audiencectl/audiencectl@${digest}`, '0.1.0'],
      ['1.2.3', `ghcr.io/audiencectl/audiencectl:1.2.3@${digest}`, '1.2.3'],
    ] as const) {
      const { objects, stderr } = await template(bin, { values: { ...TOKEN_SETUP, image: { tag, digest } } });
      expect(stderr).toBe('');
      expectValid(objects);
      expect(controller(objects).image).toBe(image);
      for (const object of objects) {
        const label = object.metadata.labels?.['app.kubernetes.io/version'] ?? '';
        expect(label, object.kind).toBe(version);
        expect(label).toMatch(LABEL_VALUE);
      }
    }
  });

  it.concurrent('mounts extra volumes, e.g. a CA bundle for git and Node', async () => {
    const { objects, stderr } = await template(bin, {
      values: {
        ...TOKEN_SETUP,
        extraVolumes: [{ name: 'ca', configMap: { name: 'corporate-ca' } }],
        extraVolumeMounts: [{ name: 'ca', mountPath: '/etc/audiencectl/ca', readOnly: true }],
        extraEnv: [
          { name: 'AUDIENCECTL_GIT_CA_FILE', value: '/etc/audiencectl/ca/ca.crt' },
          { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/audiencectl/ca/ca.crt' },
        ],
      },
    });
    expect(stderr).toBe('');
    expectValid(objects);
    expect(deploymentSpec(objects).template.spec.volumes).toContainEqual({
      name: 'ca',
      configMap: { name: 'corporate-ca' },
    });
    expect(controller(objects).volumeMounts).toContainEqual({
      name: 'ca',
      mountPath: '/etc/audiencectl/ca',
      readOnly: true,
    });
    expect(controllerEnv(objects).get('AUDIENCECTL_GIT_CA_FILE')).toEqual({
      value: '/etc/audiencectl/ca/ca.crt',
    });
  });

  it.concurrent('ships a helm test that checks /readyz and /metrics through the Service', async () => {
    const { objects } = await template(bin, {
      values: {
        ...TOKEN_SETUP,
        httpAuth: { enabled: true },
        secret: { ...TOKEN_SETUP.secret, httpToken: 'h'.repeat(32) },
      },
    });
    expectValid(objects);
    const pod = find(objects, 'Pod');
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    const container = (
      pod.spec as { containers: { command: string[]; env: { name: string; value?: string }[] }[] }
    ).containers[0];
    const script = container?.command.join(' ') ?? '';
    expect(script).toContain("'/readyz'");
    expect(script).toContain("'/metrics'");
    const service = find(objects, 'Service');
    const port = (service.spec as { ports: { port: number }[] }).ports[0]?.port;
    expect(container?.env).toContainEqual({
      name: 'BASE_URL',
      value: `http://${service.metadata.name}:${port}`,
    });
    expect(container?.env.map((e) => e.name)).toContain('AUDIENCECTL_HTTP_TOKEN');
  });
});
