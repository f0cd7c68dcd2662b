import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';
import { controller, deploymentSpec } from './pod-env.js';

/**
 * Review secrets-44 (last pass's leftovers 1 and 2), and secrets-45 (the webhook secret). The chart gives the controller its HTTP
 * token (httpAuth.enabled) and its AEP client secret as environment variables (secretKeyRef),
 * which a running pod never sees change: a token or secret rotated in the Secret is refused
 * (the HTTP token) or fails every IMS renewal (the client secret) until a restart. Both should
 * be files of the Secret's volume, which the kubelet updates in place, named by
 * AUDIENCECTL_HTTP_TOKEN_FILE and AEP_CLIENT_SECRET_FILE, as the git token is.
 */
const VALUES = {
  git: { url: 'https://github.com/acme/audiences.git' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  httpAuth: { enabled: true },
  webhook: { enabled: true },
  secret: {
    aepClientId: 'id',
    aepClientSecret: 's',
    httpToken: '0123456789abcdef0123',
    webhookSecret: 'fedcba9876543210fedc',
  },
};

describe.each(helmBinaries())('helm $major: secrets a running controller reads again', (bin) => {
  it.each([
    ['AEP_CLIENT_SECRET', 'AEP_CLIENT_SECRET_FILE'],
    ['AUDIENCECTL_HTTP_TOKEN', 'AUDIENCECTL_HTTP_TOKEN_FILE'],
    // Review secrets-45 (leftover 1): the webhook secret, rotated in the Secret, needed a restart.
    ['AUDIENCECTL_WEBHOOK_SECRET', 'AUDIENCECTL_WEBHOOK_SECRET_FILE'],
  ])("mounts the Secret's %s as the file %s names, no variable", async (key, variable) => {
    const result = await template(bin, { values: VALUES });
    expect(result.code, result.stderr).toBe(0);
    const pod = deploymentSpec(result.objects).template.spec;
    const container = controller(result.objects);
    const env = container.env ?? [];
    expect(env.map((e) => e.name)).not.toContain(key);
    const file = env.find((e) => e.name === variable)?.value;
    expect(file).toBeDefined();
    const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === path.posix.dirname(file ?? ''));
    expect(mount?.readOnly).toBe(true);
    const volume = (pod.volumes ?? []).find((v) => v.name === mount?.name) as
      { secret?: { secretName: string; items?: { key: string; path: string }[] } } | undefined;
    expect(volume?.secret?.secretName).toBe('audiencectl');
    expect(volume?.secret?.items).toContainEqual({ key, path: path.posix.basename(file ?? '') });
  });
});
