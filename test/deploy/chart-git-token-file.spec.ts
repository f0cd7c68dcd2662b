import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';
import { controller, deploymentSpec } from './pod-env.js';

/**
 * Review secrets-43 M-1. `git.auth: token` gave the controller its token as an environment
 * variable (secretKeyRef), which a running pod never sees change: a token rotated in the Secret
 * (a GitHub App installation token lasts an hour) failed every fetch until a restart. The
 * token is now a file of the Secret's volume, which the kubelet updates in place, named by
 * AUDIENCECTL_GIT_TOKEN_FILE, which the controller reads at each fetch
 * (test/daemon/git-token-file-rotation.spec.ts).
 */
const VALUES = {
  git: { url: 'https://github.com/acme/audiences.git', auth: 'token' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { gitToken: 'ghs_0123456789', aepClientId: 'id', aepClientSecret: 's' },
};

describe.each(helmBinaries())('helm $major: git.auth token', (bin) => {
  it("mounts the Secret's AUDIENCECTL_GIT_TOKEN as the file AUDIENCECTL_GIT_TOKEN_FILE names, no variable", async () => {
    const result = await template(bin, { values: VALUES });
    expect(result.code, result.stderr).toBe(0);
    const pod = deploymentSpec(result.objects).template.spec;
    const container = controller(result.objects);
    const env = container.env ?? [];
    expect(env.map((e) => e.name)).not.toContain('AUDIENCECTL_GIT_TOKEN');
    const file = env.find((e) => e.name === 'AUDIENCECTL_GIT_TOKEN_FILE')?.value;
    expect(file).toBeDefined();
    const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === path.posix.dirname(file ?? ''));
    expect(mount?.readOnly).toBe(true);
    const volume = (pod.volumes ?? []).find((v) => v.name === mount?.name) as
      { secret?: { secretName: string; items?: { key: string; path: string }[] } } | undefined;
    expect(volume?.secret?.secretName).toBe('audiencectl');
    expect(volume?.secret?.items).toEqual([
      { key: 'AUDIENCECTL_GIT_TOKEN', path: path.posix.basename(file ?? '') },
    ]);
  });
});
