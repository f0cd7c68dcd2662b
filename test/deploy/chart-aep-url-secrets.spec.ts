import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';
import { controllerEnv } from './pod-env.js';

/**
 * REVIEW-37d M-1. aep.baseUrl and aep.imsUrl go into the ConfigMap, readable by anyone who may
 * `get configmaps`, and a refused one was quoted whole in helm's error (the CD job's log). The app
 * treats these URLs as secret-bearing (docs/configuration.md masks their user info and
 * secret-looking query values), and the chart refuses the same in git.url: a credential in either
 * is refused naming the key only, and a malformed one is never quoted.
 */
const SETUP = {
  git: { url: 'https://github.com/acme/audiences.git' },
  secret: { aepClientId: 'id', aepClientSecret: 's' },
};
const ORG = 'ABC123DEF456@AdobeOrg';

describe.each(helmBinaries())('helm $major: aep.baseUrl / aep.imsUrl holding a credential', (bin) => {
  it.concurrent('a refused aep.baseUrl does not show its password in the error', async () => {
    const values = {
      ...SETUP,
      aep: { orgId: ORG, baseUrl: 'htps://svc:pwCANARY0101@aep.example/data/core/ais' },
    };
    const result = await template(bin, { values });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).not.toContain('pwCANARY0101');
  });

  it.concurrent('an aep.imsUrl with a password before its host never reaches the ConfigMap', async () => {
    const values = {
      ...SETUP,
      aep: { orgId: ORG, imsUrl: 'https://svc:pwCANARY0102@ims.example/ims/token/v3' },
    };
    const result = await template(bin, { values });
    expect(result.stdout).not.toContain('pwCANARY0102');
    expect(result.code).toBe(1);
    const [line] = result.stderr.split('\n');
    expect(line).toContain(
      'aep.imsUrl holds a user or password before its host: it would be written in plain into the ConfigMap; set AEP_IMS_URL from a Secret of yours through extraEnv (valueFrom.secretKeyRef) instead',
    );
  });

  it.concurrent.each([
    ['aep.baseUrl', { baseUrl: 'https://gw.example/data/core/ais?sig=CANARY0103' }, 'CANARY0103'],
    ['aep.imsUrl', { imsUrl: 'https://gw.example/ims/token/v3?api_key=CANARY0104' }, 'CANARY0104'],
    ['aep.baseUrl', { baseUrl: 'https://gw.example/data/core/ais?a=1;Token=CANARY0105' }, 'CANARY0105'],
    ['aep.imsUrl', { imsUrl: 'https://gw.example/ims/token/v3?%73ig=CANARY0106' }, 'CANARY0106'],
  ])('%s with a credential in its query (%o): refused, naming the key only', async (key, aep, canary) => {
    const result = await template(bin, { values: { ...SETUP, aep: { orgId: ORG, ...aep } } });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(canary);
    const [line] = result.stderr.split('\n');
    expect(line).toContain(`${key} holds`);
  });

  it.concurrent("one that needs a credential comes from the user's Secret through extraEnv", async () => {
    const extraEnv = [
      { name: 'AEP_BASE_URL', valueFrom: { secretKeyRef: { name: 'aep-gateway', key: 'url' } } },
    ];
    const result = await template(bin, { values: { ...SETUP, aep: { orgId: ORG }, extraEnv } });
    expect(result.stderr).toBe('');
    expect(controllerEnv(result.objects).get('AEP_BASE_URL')).toEqual({
      secret: { name: 'aep-gateway', key: 'url' },
    });
  });

  it.concurrent('a gateway URL without credentials is written as given', async () => {
    const baseUrl = 'https://gw.example:8443/data/core/ais?region=eu';
    const result = await template(bin, { values: { ...SETUP, aep: { orgId: ORG, baseUrl } } });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('AEP_BASE_URL: "https://gw.example:8443/data/core/ais?region=eu"');
  });
});
